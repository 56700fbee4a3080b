-- Cost spikes and drops: a feature's, customer's or provider's daily effective cost against the robust
-- z-score (median / MAD) of its own trailing var alert_baseline_days.
{% set baseline_window_days = var('alert_baseline_days', 28) %}
{% set min_baseline_days = var('alert_min_baseline_days', 14) %}
{% set anomaly_ratio = var('alert_anomaly_min_ratio', 2) %}
with customer_days as (

    {{ alert_customer_days() }}

),

provider_credits as (

    {{ alert_provider_credits() }}

),

-- daily effective cost per feature, customer and provider against its own trailing baseline; the
-- provider's without its credits' share of production (the residual went to usage by estimated cost)
cost_series as (

    select 'feature' as entity_type, feature as entity_id, margin_date as cost_date, total_cost_usd as cost_usd
    from {{ ref('int_feature_margin_rolling') }}
    union all
    select 'customer', customer_id, margin_date, total_cost_usd
    from customer_days
    union all
    select
        'provider', provider, usage_date,
        production_cost_usd - coalesce(credit_usd * production_estimate_usd / nullif(estimate_usd, 0), 0)
    from (
        select
            reconciled.provider,
            reconciled.usage_date,
            sum(reconciled.effective_cost_usd) filter (where reconciled.is_production) as production_cost_usd,
            sum(reconciled.estimated_cost_usd) filter (where reconciled.is_production) as production_estimate_usd,
            sum(reconciled.estimated_cost_usd) as estimate_usd,
            any_value(provider_credits.credit_usd) as credit_usd
        from {{ ref('int_inference_cost_reconciled') }} as reconciled
        left join provider_credits
            on provider_credits.cost_date = reconciled.usage_date and provider_credits.provider = reconciled.provider
        group by reconciled.provider, reconciled.usage_date
    )
    where production_cost_usd is not null

),

-- a series whose dearest day stays under the minimum daily cost can never raise an anomaly: not judged
-- (most customers; the windowed medians below are the costliest part of this model). A semi-join to the
-- series' maxima: cheaper than a window over every series.
judged_cost_series as (

    select * from cost_series  -- read again, in its own scope, by the subquery -- noqa: AL04
    where (entity_type, entity_id) in (
        select entity_type, entity_id from cost_series
        group by all
        having max(cost_usd) >= {{ var('alert_anomaly_min_daily_cost_usd', 5) }}
    )

),

cost_scores as (

    select
        *,
        count(*) over baseline_window as baseline_days,
        {{ window_median('cast(cost_usd as double)', 'baseline_window') }} as baseline_median,
        -- median absolute deviation, scaled to estimate a standard deviation
        {{ window_mad('cast(cost_usd as double)', 'baseline_window') }} * 1.4826 as baseline_scale
    from judged_cost_series
    window baseline_window as (partition by entity_type, entity_id order by cost_date
                        range between {{ baseline_window_days }} preceding and 1 preceding)

),

cost_z_scores as (

    select
        *,
        -- robust z-score; the scale is floored at 5% of the median so a flat history does not divide by ~0
        (cast(cost_usd as double) - baseline_median) / greatest(baseline_scale, 0.05 * baseline_median) as robust_z
    from cost_scores
    where baseline_days >= {{ min_baseline_days }} and baseline_median > 0

),

cost_anomalies as (

    select
        cost_date as alert_date,
        case when cost_usd >= baseline_median then 'cost_spike' else 'cost_drop' end as alert_type,
        'warning' as severity,
        entity_type,
        entity_id,
        'daily cost, USD (robust z-score ' || {{ rounded_text('robust_z', 1) }} || ')' as metric,
        cost_usd as metric_value,
        case when cost_usd >= baseline_median then baseline_median * {{ anomaly_ratio }}
             else baseline_median / {{ anomaly_ratio }} end as threshold,
        baseline_median as baseline_value,
        greatest(cost_usd, baseline_median) >= {{ var('alert_anomaly_min_daily_cost_usd', 5) }}
            and abs(robust_z) >= {{ var('alert_anomaly_z', 5) }}
            and (cost_usd >= baseline_median * {{ anomaly_ratio }} or cost_usd <= baseline_median / {{ anomaly_ratio }})
            as is_on
    from cost_z_scores

)

{{ alert_rows('cost_anomalies') }}

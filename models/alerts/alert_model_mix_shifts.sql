-- A feature whose split of requests across models moved from its trailing 7 days by var
-- alert_model_mix_shift or more.
with feature_models as (

    select usage_date, feature, model, sum(requests) as requests
    from {{ ref('int_usage_cost_drivers_daily') }}
    group by usage_date, feature, model

),

model_shares as (

    select
        -- a model used only in the baseline has no row today: its share fell to zero
        coalesce(today.usage_date, base.usage_date) as usage_date,
        coalesce(today.feature, base.feature) as feature,
        coalesce(today.model, base.model) as model,
        -- shares as doubles (DuckDB's "/" on integers; Spark's on decimal sums would stay decimal)
        cast(coalesce(today.requests, 0) as double)
        / cast(nullif(sum(coalesce(today.requests, 0)) over day_feature, 0) as double) as share_today,
        cast(coalesce(base.requests, 0) as double)
        / cast(nullif(sum(coalesce(base.requests, 0)) over day_feature, 0) as double) as share_baseline,
        sum(coalesce(today.requests, 0)) over day_feature as requests_today
    from (select distinct usage_date, feature from feature_models) as days  -- joined by using -- noqa: ST11
    left join feature_models as today using (usage_date, feature)
    full join (
        select base_days.usage_date, base_days.feature, history.model, sum(history.requests) as requests
        from (select distinct usage_date, feature from feature_models) as base_days
        inner join feature_models as history
            on history.feature = base_days.feature
            and history.usage_date between base_days.usage_date - 7 and base_days.usage_date - 1
        group by all
    ) as base
        on base.usage_date = today.usage_date and base.feature = today.feature and base.model = today.model
    window day_feature as (
        partition by coalesce(today.usage_date, base.usage_date), coalesce(today.feature, base.feature)
    )

),

model_mix_shifts as (

    select
        usage_date as alert_date, 'model_mix_shift' as alert_type, 'warning' as severity, 'feature' as entity_type,
        feature as entity_id, 'share of requests moved between models' as metric,
        0.5 * sum(abs(share_today - share_baseline)) as metric_value,
        {{ var('alert_model_mix_shift', 0.25) }} as threshold,
        null as baseline_value,
        0.5 * sum(abs(share_today - share_baseline)) >= {{ var('alert_model_mix_shift', 0.25) }}
            and max(requests_today) >= {{ var('alert_min_requests', 50) }} as is_on
    from model_shares
    where usage_date is not null and share_baseline is not null
    group by usage_date, feature

)

{{ alert_rows('model_mix_shifts') }}

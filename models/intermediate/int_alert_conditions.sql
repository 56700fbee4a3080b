-- Every alert condition evaluated on every day it can be judged, one row per detector, entity and day,
-- with `is_on` when the condition holds. fct_margin_alerts keeps the day each condition starts. Series
-- that can never reach a detector's minimums (cost anomalies under the minimum daily cost, agent loops
-- under the minimum calls) are not judged.
-- Thresholds are dbt vars (dbt_project.yml, prefix `alert_`). Statistics (z-scores, ratios, shares) are
-- computed in double precision: they rank and flag, they are never summed into money.
-- Day windows are ranges of whole days over dates (`range between 6 preceding`): an interval would cast
-- the dates to timestamps, and each window would sort the rows apart instead of sharing one sort.
-- A view: fct_margin_alerts is its one reader and runs it once per build, so storing its ~250k rows per
-- build (write, then drop the previous copy) only lengthened the build; analysts still query it.
{{ config(materialized='view') }}
{% set baseline_window_days = var('alert_baseline_days', 28) %}
{% set min_baseline_days = var('alert_min_baseline_days', 14) %}
{% set rise_factor = 1 + var('alert_cost_per_request_rise_pct', 15) / 100 %}
{% set anomaly_ratio = var('alert_anomaly_min_ratio', 2) %}
with feature_days as (

    select
        *,
        lag(margin_pct_7d) over by_day as prev_margin_pct_7d,
        {{ money_per('usage_cost_usd', 'requests') }} as cost_per_request_usd,
        sum(usage_cost_usd) over (by_day rows between 7 preceding and 1 preceding) as usage_cost_prev_7d_usd,
        sum(requests) over (by_day rows between 7 preceding and 1 preceding) as requests_prev_7d,
        row_number() over by_day as day_number
    from {{ ref('int_feature_margin_rolling') }}
    window by_day as (partition by feature order by margin_date)

),

feature_zones as (

    select
        margin_date as alert_date, 'feature_margin_red_3d' as alert_type, 'critical' as severity,
        'feature' as entity_type, feature as entity_id, '3-day gross margin %' as metric,
        margin_pct_3d as metric_value, margin_floor_pct as threshold, margin_pct_7d as baseline_value,
        zone_3d = 'red' and not has_floor_exception as is_on
    from feature_days where zone_3d is not null
    union all
    select
        margin_date, 'feature_margin_yellow_7d', 'warning', 'feature', feature, '7-day gross margin %',
        margin_pct_7d, yellow_ceiling_pct, prev_margin_pct_7d,
        zone_7d = 'yellow' and not has_floor_exception
    from feature_days where zone_7d is not null

),

-- usage cost per request: the day against the week before it, or three daily rises in a row
feature_cost_per_request as (

    select
        *,
        {{ money_per('usage_cost_prev_7d_usd', 'requests_prev_7d') }} as cost_per_request_prev_7d_usd,
        lag(cost_per_request_usd, 1) over by_day as cpr_1,
        lag(cost_per_request_usd, 2) over by_day as cpr_2,
        lag(cost_per_request_usd, 3) over by_day as cpr_3
    from feature_days
    window by_day as (partition by feature order by margin_date)

),

cost_per_request_rises as (

    select
        margin_date as alert_date, 'feature_cost_per_request_up' as alert_type, 'warning' as severity,
        'feature' as entity_type, feature as entity_id, 'usage cost per request, USD' as metric,
        cost_per_request_usd as metric_value,
        cost_per_request_prev_7d_usd * {{ rise_factor }} as threshold,
        cost_per_request_prev_7d_usd as baseline_value,
        requests >= {{ var('alert_min_requests', 50) }} and (
            cost_per_request_usd > cost_per_request_prev_7d_usd * {{ rise_factor }}
            or (cost_per_request_usd > cpr_1 and cpr_1 > cpr_2 and cpr_2 > cpr_3
                and cost_per_request_usd > cpr_3 * {{ rise_factor }})
        ) as is_on
    from feature_cost_per_request
    where day_number >= 8 and requests_prev_7d > 0

),

customer_days as (

    select
        margin_date,
        customer_id,
        sum(revenue_usd) as revenue_usd,
        sum(total_cost_usd) as total_cost_usd
    from {{ ref('fct_margin_waterfall') }}
    group by margin_date, customer_id

),

-- revenue that re-states earlier days (a refund's or credit note's reversal of revenue already
-- recognised), per customer-day: the 7-day ratio judges the days' own revenue, so a refund lowers it
-- from its day on instead of wiping out a week at once
customer_restated as (

    select revenue_date as margin_date, customer_id, sum(restated_usd) as restated_usd
    from {{ ref('int_revenue_recognized_daily') }}
    where restated_usd <> 0
        and revenue_date between (select min(margin_date) from customer_days)
                             and (select max(margin_date) from customer_days)
    group by all

),

customer_rolling as (

    select
        customer_days.*,
        customers.signup_date,
        sum(revenue_usd - coalesce(customer_restated.restated_usd, 0)) over (by_day range between 6 preceding and current row)
            as own_revenue_7d_usd,
        sum(total_cost_usd) over (by_day range between 6 preceding and current row) as total_cost_7d_usd,
        min(margin_date) over (partition by customer_id) as first_margin_date,
        -- a paying customer: revenue recognised on this day or before (of either sign)
        bool_or(revenue_usd <> 0) over (by_day rows between unbounded preceding and current row) as is_paying,
        sum(revenue_usd) over (by_day rows between unbounded preceding and current row) as revenue_to_date_usd,
        sum(total_cost_usd) over (by_day rows between unbounded preceding and current row) as total_cost_to_date_usd
    from customer_days
    left join customer_restated using (margin_date, customer_id)
    left join {{ ref('dim_customers') }} as customers using (customer_id)
    window by_day as (partition by customer_id order by margin_date)

),

customer_alerts as (

    -- paying customers (revenue recognised by that day) whose last 7 days cost more than the set
    -- share of those days' own revenue, whatever its sign: refunds that took it below zero make the
    -- worst case, not an unjudged one (the ratio is then null: cost against no revenue)
    select
        margin_date as alert_date, 'customer_cost_to_revenue_high' as alert_type, 'warning' as severity,
        'customer' as entity_type, customer_id as entity_id, 'cost-to-revenue ratio (7-day)' as metric,
        case when own_revenue_7d_usd > 0 then cast(total_cost_7d_usd as double) / cast(own_revenue_7d_usd as double) end
            as metric_value,
        {{ var('alert_cost_to_revenue_ratio', 0.8) }} as threshold,
        null as baseline_value,
        total_cost_7d_usd > own_revenue_7d_usd * {{ var('alert_cost_to_revenue_ratio', 0.8) }} as is_on
    from customer_rolling
    where total_cost_7d_usd > 0 and is_paying and margin_date >= first_margin_date + 6
    union all
    -- paying customers in their first days who cost more than they paid since signing up (whatever the sign)
    select
        margin_date, 'new_customer_unprofitable', 'critical', 'customer', customer_id,
        'gross margin since signup, USD', revenue_to_date_usd - total_cost_to_date_usd, 0, null,
        total_cost_to_date_usd > revenue_to_date_usd
    from customer_rolling
    where signup_date >= (select min(margin_date) from customer_days)
        and margin_date < signup_date + {{ var('alert_new_customer_days', 30) }}
        and is_paying and total_cost_to_date_usd > 0

),

-- credits on provider bills (FOCUS ChargeCategory Credit, spread over their charge period): money, so in
-- every cost and margin, but not usage: the provider's cost series and billing residual leave them out,
-- so a promotional credit raises neither a cost drop nor a residual alert
provider_credits as (

    select cost_date, provider, sum(effective_cost_usd) as credit_usd
    from {{ ref('int_provider_costs_daily') }}
    where charge_category = 'credit'
    group by all

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

    select * from cost_series
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
        median(cast(cost_usd as double)) over baseline_window as baseline_median,
        -- median absolute deviation, scaled to estimate a standard deviation
        mad(cast(cost_usd as double)) over baseline_window * 1.4826 as baseline_scale
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
        'daily cost, USD (robust z-score ' || round(robust_z, 1) || ')' as metric,
        cost_usd as metric_value,
        case when cost_usd >= baseline_median then baseline_median * {{ anomaly_ratio }}
             else baseline_median / {{ anomaly_ratio }} end as threshold,
        baseline_median as baseline_value,
        greatest(cost_usd, baseline_median) >= {{ var('alert_anomaly_min_daily_cost_usd', 5) }}
            and abs(robust_z) >= {{ var('alert_anomaly_z', 5) }}
            and (cost_usd >= baseline_median * {{ anomaly_ratio }} or cost_usd <= baseline_median / {{ anomaly_ratio }})
            as is_on
    from cost_z_scores

),

-- agent loops: a customer's busiest workflow (or its calls) far above its own trailing baseline
-- materialized: read twice below, DuckDB would otherwise aggregate the usage twice
customer_activity as materialized (

    select usage_date, customer_id, sum(requests) as requests, max(max_calls_per_workflow) as max_calls_per_workflow
    from {{ ref('int_usage_cost_drivers_daily') }}
    group by usage_date, customer_id

),

-- a customer whose calls never reach the minimums cannot loop by these rules: not judged
judged_customer_activity as (

    select * from customer_activity
    where customer_id in (
        select customer_id from customer_activity
        group by all
        having max(max_calls_per_workflow) >= {{ var('alert_agent_loop_min_calls', 50) }}
            or max(requests) >= {{ var('alert_agent_loop_min_daily_calls', 500) }}
    )

),

activity_baselines as (

    select
        *,
        count(*) over baseline_window as baseline_days,
        median(max_calls_per_workflow) over baseline_window as baseline_calls_per_workflow,
        median(requests) over baseline_window as baseline_requests
    from judged_customer_activity
    window baseline_window as (partition by customer_id order by usage_date
                        range between {{ baseline_window_days }} preceding and 1 preceding)

),

judged_activity as (

    select
        *,
        max_calls_per_workflow >= {{ var('alert_agent_loop_min_calls', 50) }}
            and max_calls_per_workflow >= {{ var('alert_agent_loop_ratio', 5) }} * baseline_calls_per_workflow
            as workflow_loops,
        requests >= {{ var('alert_agent_loop_min_daily_calls', 500) }}
            and requests >= {{ var('alert_agent_loop_ratio', 5) }} * baseline_requests as day_loops
    from activity_baselines
    where baseline_days >= 7

),

-- the metric shown: the busiest workflow, unless only the day's calls looped
agent_loop_metrics as (

    select
        *,
        workflow_loops or not day_loops as shows_workflow,
        case when workflow_loops or not day_loops then max_calls_per_workflow else requests end as metric_value,
        case when workflow_loops or not day_loops then baseline_calls_per_workflow else baseline_requests end
            as baseline_value
    from judged_activity

),

agent_loops as (

    select
        usage_date as alert_date, 'agent_loop' as alert_type, 'critical' as severity, 'customer' as entity_type,
        customer_id as entity_id,
        case when shows_workflow then 'calls in the busiest workflow' else 'calls per day' end as metric,
        metric_value,
        {{ var('alert_agent_loop_ratio', 5) }} * baseline_value as threshold,
        baseline_value,
        workflow_loops or day_loops as is_on
    from agent_loop_metrics

),

-- model mix: how far a feature's split of requests across models moved from its trailing 7 days
feature_models as (

    select usage_date, feature, model, sum(requests) as requests
    from {{ ref('int_usage_cost_drivers_daily') }}
    group by usage_date, feature, model

),

model_shares as (

    select
        today.usage_date,
        today.feature,
        coalesce(today.model, base.model) as model,
        coalesce(today.requests, 0) / nullif(sum(coalesce(today.requests, 0)) over day_feature, 0) as share_today,
        coalesce(base.requests, 0) / nullif(sum(coalesce(base.requests, 0)) over day_feature, 0) as share_baseline,
        sum(coalesce(today.requests, 0)) over day_feature as requests_today
    from (select distinct usage_date, feature from feature_models) as days
    left join feature_models as today using (usage_date, feature)
    full join (
        select days.usage_date, days.feature, history.model, sum(history.requests) as requests
        from (select distinct usage_date, feature from feature_models) as days
        inner join feature_models as history
            on history.feature = days.feature
            and history.usage_date between days.usage_date - 7 and days.usage_date - 1
        group by all
    ) as base
        on base.usage_date = today.usage_date and base.feature = today.feature and base.model = today.model
    window day_feature as (partition by coalesce(today.usage_date, base.usage_date), coalesce(today.feature, base.feature))

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

),

-- a prompt version whose cost per request beats the other versions' trailing 7 days by the set share
prompt_versions as (

    select usage_date, feature, prompt_version, sum(requests) as requests, sum(estimated_cost_usd) as cost_usd
    from {{ ref('int_usage_cost_drivers_daily') }}
    group by all

),

prompt_version_costs as (

    select
        today.usage_date,
        today.feature,
        today.prompt_version,
        today.requests,
        {{ money_per('today.cost_usd', 'today.requests') }} as cost_per_request_usd,
        {{ money_per('sum(history.cost_usd)', 'sum(history.requests)') }} as baseline_cost_per_request_usd
    from prompt_versions as today
    inner join prompt_versions as history
        on history.feature = today.feature
        and history.prompt_version <> today.prompt_version
        and history.usage_date between today.usage_date - 7 and today.usage_date - 1
    group by all

),

prompt_version_rises as (

    select
        usage_date as alert_date, 'prompt_version_cost_up' as alert_type, 'warning' as severity,
        'feature' as entity_type, feature || ' / prompt ' || prompt_version as entity_id,
        'estimated cost per request, USD' as metric,
        cost_per_request_usd as metric_value,
        baseline_cost_per_request_usd * {{ rise_factor }} as threshold,
        baseline_cost_per_request_usd as baseline_value,
        requests >= {{ var('alert_min_requests', 50) }}
            and cost_per_request_usd > baseline_cost_per_request_usd * {{ rise_factor }} as is_on
    from prompt_version_costs

),

-- a price change (catalog or override) for a model in use, day over day
prices as (

    select
        usage_date, provider, model, service_tier, input_usd_per_mtok, output_usd_per_mtok,
        lag(input_usd_per_mtok) over by_day as prev_input_usd_per_mtok,
        lag(output_usd_per_mtok) over by_day as prev_output_usd_per_mtok
    from {{ ref('int_model_prices_resolved') }}
    where context_tier_start = 0
    window by_day as (partition by provider, model, service_tier order by usage_date)

),

price_changes as (

    select
        usage_date as alert_date, 'model_price_change' as alert_type, 'warning' as severity, 'model' as entity_type,
        provider || '/' || model || coalesce(' (' || service_tier || ')', '') as entity_id,
        'output USD per million tokens (input ' || coalesce(prev_input_usd_per_mtok::varchar, '?') || ' -> '
            || coalesce(input_usd_per_mtok::varchar, '?') || ')' as metric,
        output_usd_per_mtok as metric_value,
        null as threshold,
        prev_output_usd_per_mtok as baseline_value,
        input_usd_per_mtok is distinct from prev_input_usd_per_mtok
            or output_usd_per_mtok is distinct from prev_output_usd_per_mtok as is_on
    from prices
    where prev_input_usd_per_mtok is not null or prev_output_usd_per_mtok is not null

),

-- what a provider billed moved away from what the prices in force predict
billing_residuals as (

    select
        cost_date as alert_date, 'provider_billing_residual' as alert_type, 'warning' as severity,
        'provider' as entity_type, provider as entity_id,
        'billed (credits aside) minus estimated, % of estimate' as metric,
        residual_pct as metric_value,
        {{ var('max_reconciliation_residual_pct', 15) }} as threshold,
        null as baseline_value,
        abs(residual_pct) > {{ var('max_reconciliation_residual_pct', 15) }} as is_on
    from (
        select
            reconciliation.*,
            case when reconciliation.estimated_cost_usd <> 0 then
                cast(reconciliation.residual_usd - coalesce(provider_credits.credit_usd, 0) as double)
                / cast(reconciliation.estimated_cost_usd as double) * 100
            end as residual_pct
        from {{ ref('fct_provider_reconciliation_daily') }} as reconciliation
        left join provider_credits using (cost_date, provider)
        where reconciliation.is_reconciled
    )

)

{% set detectors = ['feature_zones', 'cost_per_request_rises', 'customer_alerts', 'cost_anomalies', 'agent_loops',
                    'model_mix_shifts', 'prompt_version_rises', 'price_changes', 'billing_residuals'] %}
{% for detector in detectors %}
select
    cast(alert_date as date) as alert_date,
    cast(alert_type as varchar) as alert_type,
    cast(severity as varchar) as severity,
    cast(entity_type as varchar) as entity_type,
    cast(entity_id as varchar) as entity_id,
    cast(metric as varchar) as metric,
    cast(metric_value as decimal(38, 10)) as metric_value,
    cast(threshold as decimal(38, 10)) as threshold,
    cast(baseline_value as decimal(38, 10)) as baseline_value,
    coalesce(is_on, false) as is_on
from {{ detector }}
{{ "union all" if not loop.last }}
{% endfor %}

-- A prompt version whose cost per request beats the feature's other versions over the 7 days before by
-- var alert_cost_per_request_rise_pct.
{% set rise_factor = 1 + var('alert_cost_per_request_rise_pct', 15) / 100 %}
with prompt_versions as (

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

)

{{ alert_rows('prompt_version_rises') }}

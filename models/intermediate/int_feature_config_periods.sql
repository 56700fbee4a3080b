-- Each feature's configuration on each day it ran: the model and the prompt version carrying most of its
-- production requests. A configuration period is a run of days with the same configuration; it begins
-- on a day whose configuration differs from the feature's previous day with usage. Cost baselines
-- compare within a period (alert_feature_cost_per_request), and fct_feature_config_periods has each
-- period's own cost per request.
with daily as (

    select
        usage_date,
        feature,
        -- ties go to the alphabetically last name, so that a rerun gives the same configuration
        max_by(model, {{ struct_of({'r': 'model_requests', 'm': 'model'}) }}) as model,
        max_by(prompt_version, {{ struct_of({'r': 'prompt_requests', 'p': 'prompt_version'}) }}) as prompt_version
    from (
        select
            usage_date, feature, model, prompt_version,
            sum(requests) over (partition by usage_date, feature, model) as model_requests,
            sum(requests) over (partition by usage_date, feature, prompt_version) as prompt_requests
        from {{ ref('int_usage_cost_drivers_daily') }}
    ) as drivers
    group by usage_date, feature

),

changes as (

    select
        *,
        lag(model) over by_day as previous_model,
        lag(prompt_version) over by_day as previous_prompt_version,
        (lag(model) over by_day is distinct from model)
            or (lag(prompt_version) over by_day is distinct from prompt_version) as begins_period
    from daily
    window by_day as (partition by feature order by usage_date)

),

periods as (

    select
        *,
        max(case when begins_period then usage_date end) over (
            partition by feature order by usage_date rows between unbounded preceding and current row
        ) as period_start
    from changes

)

select
    usage_date,
    feature,
    model,
    nullif(prompt_version, '') as prompt_version,
    period_start,
    -- the configuration the period replaced (null in a feature's first period)
    first_value(previous_model) over by_period as previous_model,
    nullif(first_value(previous_prompt_version) over by_period, '') as previous_prompt_version
from periods
window by_period as (partition by feature, period_start order by usage_date)

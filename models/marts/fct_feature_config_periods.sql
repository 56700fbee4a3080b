-- One row per feature configuration period (int_feature_config_periods: a run of days on the same main
-- model and prompt version) with the period's own cost-per-request baseline: the effective usage cost
-- (reconciled to bills) of its days over their requests, as the cost-per-request alert compares. USD.
with days as (

    select
        configs.feature,
        configs.period_start,
        configs.usage_date,
        configs.model,
        configs.prompt_version,
        configs.previous_model,
        configs.previous_prompt_version,
        coalesce(margins.requests, 0) as requests,
        coalesce(margins.usage_cost_usd, 0) as usage_cost_usd
    from {{ ref('int_feature_config_periods') }} as configs
    left join {{ ref('int_feature_margin_rolling') }} as margins
        on margins.feature = configs.feature
        and margins.margin_date = configs.usage_date

)

select
    cast(feature as string) as feature,
    cast(period_start as date) as period_start,
    cast(max(usage_date) as date) as last_usage_date,
    cast(any_value(model) as string) as model,
    cast(any_value(prompt_version) as string) as prompt_version,
    cast(any_value(previous_model) as string) as previous_model,
    cast(any_value(previous_prompt_version) as string) as previous_prompt_version,
    cast(count(*) as bigint) as days_with_usage,
    cast(sum(requests) as bigint) as requests,
    cast(sum(usage_cost_usd) as {{ money_type() }}) as usage_cost_usd,
    cast({{ money_per('sum(usage_cost_usd)', 'sum(requests)') }} as {{ money_type() }}) as cost_per_request_usd
from days
group by feature, period_start

-- A feature's usage cost per request above its baseline by var alert_cost_per_request_rise_pct, or three
-- daily rises in a row that add up to as much. Baselines are versioned by configuration
-- (int_feature_config_periods: the feature's main model and prompt version): the baseline is the 7 days
-- before within the feature's configuration period; on the day a new period begins it is the 7 days
-- before (the previous configuration), and the alert's note says the period began.
{% set rise_factor = 1 + var('alert_cost_per_request_rise_pct', 15) / 100 %}
with feature_days as (

    {{ alert_feature_days() }}

),

-- a day without usage stays in the configuration period it falls in
configured as (

    select
        {{ star_except(['config']) }},
        config['period_start'] as period_start,
        config['model'] as model,
        config['prompt_version'] as prompt_version,
        config['previous_model'] as previous_model,
        config['previous_prompt_version'] as previous_prompt_version
    from (
        select
            feature_days.*,
            -- the configuration carried as one value, so that a null prompt version stays null
            {{ last_value_ignoring_nulls('case when configs.feature is not null then ' ~ struct_of({
                'period_start': 'configs.period_start', 'model': 'configs.model',
                'prompt_version': 'configs.prompt_version', 'previous_model': 'configs.previous_model',
                'previous_prompt_version': 'configs.previous_prompt_version'
            }) ~ ' end') }} over by_day as config
        from feature_days
        left join {{ ref('int_feature_config_periods') }} as configs
            on configs.feature = feature_days.feature
            and configs.usage_date = feature_days.margin_date
        window by_day as (partition by feature_days.feature order by feature_days.margin_date
                          rows between unbounded preceding and current row)
    ) as carried

),

feature_cost_per_request as (

    select
        *,
        margin_date = period_start and previous_model is not null as begins_period,
        sum(usage_cost_usd) over in_period_before as usage_cost_before_in_period_usd,
        sum(requests) over in_period_before as requests_before_in_period,
        lag(cost_per_request_usd, 1) over in_period as cpr_1,
        lag(cost_per_request_usd, 2) over in_period as cpr_2,
        lag(cost_per_request_usd, 3) over in_period as cpr_3
    from configured
    window in_period as (partition by feature, period_start order by margin_date),
           in_period_before as (partition by feature, period_start order by margin_date
                                rows between 7 preceding and 1 preceding)

),

baselines as (

    select
        *,
        case when begins_period then {{ money_per('usage_cost_prev_7d_usd', 'requests_prev_7d') }}
             else {{ money_per('usage_cost_before_in_period_usd', 'requests_before_in_period') }}
        end as baseline_cost_per_request_usd,
        case
            when begins_period then {{ format_text(
                "'a new configuration period began today: model %s -> %s, prompt %s -> %s; baseline: the 7 days before it'",
                ['previous_model', 'model', "coalesce(previous_prompt_version, '-')", "coalesce(prompt_version, '-')"]) }}
            when period_start > margin_date - 7 then {{ format_text(
                "'baseline: this configuration period only, since %s (model %s, prompt %s)'",
                ['period_start', 'model', "coalesce(prompt_version, '-')"]) }}
        end as note
    from feature_cost_per_request

),

cost_per_request_rises as (

    select
        margin_date as alert_date, 'feature_cost_per_request_up' as alert_type, 'warning' as severity,
        'feature' as entity_type, feature as entity_id, 'usage cost per request, USD' as metric,
        cost_per_request_usd as metric_value,
        baseline_cost_per_request_usd * {{ rise_factor }} as threshold,
        baseline_cost_per_request_usd as baseline_value,
        note,
        requests >= {{ var('alert_min_requests', 50) }} and (
            cost_per_request_usd > baseline_cost_per_request_usd * {{ rise_factor }}
            or (cost_per_request_usd > cpr_1 and cpr_1 > cpr_2 and cpr_2 > cpr_3
                and cost_per_request_usd > cpr_3 * {{ rise_factor }})
        ) as is_on
    from baselines
    where day_number >= 8 and baseline_cost_per_request_usd is not null

)

{{ alert_rows('cost_per_request_rises', note='note') }}

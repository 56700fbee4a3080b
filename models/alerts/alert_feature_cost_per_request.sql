-- A feature's usage cost per request above the week before it by var alert_cost_per_request_rise_pct,
-- or three daily rises in a row that add up to as much.
{% set rise_factor = 1 + var('alert_cost_per_request_rise_pct', 15) / 100 %}
with feature_days as (

    {{ alert_feature_days() }}

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

)

{{ alert_rows('cost_per_request_rises') }}

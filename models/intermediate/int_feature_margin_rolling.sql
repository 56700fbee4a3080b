-- Day x feature: the day's margin and its 3- and 7-day rolling margins, judged against the feature's
-- floor (features seed, else its category's default) into red / yellow / green zones. Every day of
-- the period is present for every feature (a quiet day counts as zero), so "3 days" means 3 calendar
-- days; a window is only judged once it is full.
with daily as (

    select
        margin_date,
        feature,
        sum(revenue_usd) as revenue_usd,
        sum(total_cost_usd) as total_cost_usd,
        sum(inference_cost_usd + orchestration_usage_cost_usd) as usage_cost_usd,
        sum(requests) as requests
    from {{ ref('fct_margin_waterfall') }}
    where feature <> 'unallocated'
    group by margin_date, feature

),

calendar as (

    select {{ date_rows('min(margin_date)', 'max(margin_date)') }} as margin_date
    from daily

),

features as (

    select
        coalesce(catalog.feature, used.feature) as feature,
        coalesce(catalog.category, '{{ var("default_feature_category", "core") }}') as category,
        coalesce(catalog.margin_floor_pct, defaults.margin_floor_pct) as margin_floor_pct,
        catalog.floor_exception_reason,
        catalog.floor_exception_review_date
    from (select distinct feature from daily) as used
    left join {{ ref('features') }} as catalog using (feature)
    left join {{ ref('margin_floor_defaults') }} as defaults
        on defaults.category = coalesce(catalog.category, '{{ var("default_feature_category", "core") }}')

),

dense as (

    select
        calendar.margin_date,
        features.*,
        coalesce(daily.revenue_usd, 0) as revenue_usd,
        coalesce(daily.total_cost_usd, 0) as total_cost_usd,
        coalesce(daily.usage_cost_usd, 0) as usage_cost_usd,
        coalesce(daily.requests, 0) as requests
    from calendar
    cross join features
    left join daily using (margin_date, feature)

),

rolling as (

    select
        *,
        row_number() over by_day as day_number,
        {% for days in [3, 7] %}
        -- the frame spelled out in each window: Spark cannot refine a named window
        sum(revenue_usd) over (
            partition by feature order by margin_date rows between {{ days - 1 }} preceding and current row
        ) as revenue_{{ days }}d_usd,
        sum(total_cost_usd) over (
            partition by feature order by margin_date rows between {{ days - 1 }} preceding and current row
        ) as total_cost_{{ days }}d_usd{{ "," if not loop.last }}
        {% endfor %}
    from dense
    window by_day as (partition by feature order by margin_date)

),

judged as (

    select
        margin_date,
        feature,
        category,
        margin_floor_pct,
        margin_floor_pct + {{ var('margin_yellow_band_pts', 10) }} as yellow_ceiling_pct,
        floor_exception_reason,
        floor_exception_review_date,
        coalesce(floor_exception_review_date >= {{ as_of_date() }}, false) as has_floor_exception,
        requests,
        revenue_usd,
        usage_cost_usd,
        total_cost_usd,
        {{ margin_pct('revenue_usd - total_cost_usd', 'revenue_usd') }} as margin_pct,
        {% for days in [3, 7] %}
        case when day_number >= {{ days }} then revenue_{{ days }}d_usd end as revenue_{{ days }}d_usd,
        case when day_number >= {{ days }} then total_cost_{{ days }}d_usd end as total_cost_{{ days }}d_usd,
        case when day_number >= {{ days }} then
            {{ margin_pct('revenue_' ~ days ~ 'd_usd - total_cost_' ~ days ~ 'd_usd', 'revenue_' ~ days ~ 'd_usd') }}
        end as margin_pct_{{ days }}d{{ "," if not loop.last }}
        {% endfor %}
    from rolling

),

final as (

    select
        *,
        {% for days in [3, 7] %}
        -- null until the window is full: its margin and cost are null then
        {{ margin_zone('margin_pct_' ~ days ~ 'd', 'margin_floor_pct', 'total_cost_' ~ days ~ 'd_usd') }}
            as zone_{{ days }}d{{ "," if not loop.last }}
        {% endfor %}
    from judged

)

select * from final

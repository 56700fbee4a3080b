-- One row per feature over the loaded period, summed from the monthly rollup: the same sums as over
-- the waterfall's days, from about 20 times fewer rows (a customer active in a month was active on
-- one of its days: requests are never negative).
-- Cost per request beside the margin: the mean and the P95 of the effective usage cost of a production
-- call, and the margin % at each (int_cost_per_request_percentiles; macro margin_pct_at_cost_per_request):
-- the revenue and overhead per request are the feature's over the window, so the margin at the mean
-- cost is gross_margin_pct and p95_margin_pct is the margin of a call at the P95 cost. A P95 margin far
-- below the gross margin is a tail-cost problem.
with monthly as (

    select * from {{ ref('fct_margin_monthly') }}

),

features as (

    select * from {{ ref('features') }}

),

percentiles as (

    select feature, p95_cost_per_request_usd
    from {{ ref('int_cost_per_request_percentiles') }}
    where grain = 'feature'

),

totals as (

    select
        feature,
        count(distinct customer_id) filter (where requests > 0) as active_customers,
        sum(requests) as requests,
        sum(revenue_usd) as revenue_usd,
        sum(inference_cost_usd) as inference_cost_usd,
        sum(inference_cost_usd + orchestration_usage_cost_usd) as usage_cost_usd,
        sum(total_cost_usd) as total_cost_usd,
        sum(gross_margin_usd) as gross_margin_usd
    from monthly
    group by feature

),

final as (

    select
        cast(totals.feature as string) as feature,
        cast(coalesce(features.category, 'uncatalogued') as string) as category,
        cast(totals.active_customers as bigint) as active_customers,
        cast(totals.requests as bigint) as requests,
        cast(totals.revenue_usd as {{ money_type() }}) as revenue_usd,
        cast(totals.inference_cost_usd as {{ money_type() }}) as inference_cost_usd,
        cast(totals.total_cost_usd as {{ money_type() }}) as total_cost_usd,
        cast(totals.gross_margin_usd as {{ money_type() }}) as gross_margin_usd,
        {{ margin_pct('totals.gross_margin_usd', 'totals.revenue_usd') }} as gross_margin_pct,
        cast({{ money_per('totals.usage_cost_usd', 'totals.requests') }} as {{ money_type() }})
            as mean_usage_cost_per_request_usd,
        cast(percentiles.p95_cost_per_request_usd as {{ money_type() }}) as p95_cost_per_request_usd,
        {{ margin_pct_at_cost_per_request('totals.revenue_usd', 'totals.total_cost_usd - totals.usage_cost_usd',
                                          'totals.requests', 'percentiles.p95_cost_per_request_usd') }}
            as p95_margin_pct
    from totals
    left join features using (feature)
    left join percentiles using (feature)

)

select * from final

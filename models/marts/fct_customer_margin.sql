-- One row per customer over the loaded period, classified profitable, break-even or unprofitable.
-- Cost per request beside the margin: the mean and the P95 of the effective usage cost of the
-- customer's production calls, and the margin % at each (int_cost_per_request_percentiles; macro
-- margin_pct_at_cost_per_request): the revenue and overhead per request are the customer's over the
-- window, so the margin at the mean cost is gross_margin_pct and p95_margin_pct is the margin of a
-- call at the P95 cost.
with daily as (

    select * from {{ ref('fct_margin_waterfall') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

percentiles as (

    select customer_id, p95_cost_per_request_usd
    from {{ ref('int_cost_per_request_percentiles') }}
    where grain = 'customer'

),

totals as (

    select
        customer_id,
        min(margin_date) as first_date,
        max(margin_date) as last_date,
        sum(requests) as requests,
        sum(revenue_usd) as revenue_usd,
        sum(inference_cost_usd) as inference_cost_usd,
        sum(inference_cost_usd + orchestration_usage_cost_usd) as usage_cost_usd,
        sum(total_cost_usd) as total_cost_usd,
        sum(gross_margin_usd) as gross_margin_usd
    from daily
    group by customer_id

),

final as (

    select
        cast(customers.customer_id as string) as customer_id,
        cast(customers.plan as string) as plan,
        cast(customers.segment as string) as segment,
        cast(customers.cohort_month as date) as cohort_month,
        cast(totals.first_date as date) as first_date,
        cast(totals.last_date as date) as last_date,
        cast(coalesce(totals.requests, 0) as bigint) as requests,
        cast(coalesce(totals.revenue_usd, 0) as {{ money_type() }}) as revenue_usd,
        cast(coalesce(totals.inference_cost_usd, 0) as {{ money_type() }}) as inference_cost_usd,
        cast(coalesce(totals.total_cost_usd, 0) as {{ money_type() }}) as total_cost_usd,
        cast(coalesce(totals.gross_margin_usd, 0) as {{ money_type() }}) as gross_margin_usd,
        {{ margin_pct('totals.gross_margin_usd', 'totals.revenue_usd') }} as gross_margin_pct,
        case when totals.revenue_usd > 0
            then round(cast(totals.total_cost_usd as double) / cast(totals.revenue_usd as double), 4)
        end as cost_to_revenue_ratio,
        cast(case
            when coalesce(totals.revenue_usd, 0) = 0 and coalesce(totals.total_cost_usd, 0) = 0 then 'no_activity'
            when coalesce(totals.revenue_usd, 0) <= 0 then 'unprofitable'
            when totals.gross_margin_usd * 100 > totals.revenue_usd * {{ var('break_even_band_pct') }} then 'profitable'
            when totals.gross_margin_usd * 100 < -totals.revenue_usd * {{ var('break_even_band_pct') }}
                then 'unprofitable'
            else 'break_even'
        end as string) as profitability,
        cast({{ money_per('totals.usage_cost_usd', 'totals.requests') }} as {{ money_type() }})
            as mean_usage_cost_per_request_usd,
        cast(percentiles.p95_cost_per_request_usd as {{ money_type() }}) as p95_cost_per_request_usd,
        {{ margin_pct_at_cost_per_request('totals.revenue_usd', 'totals.total_cost_usd - totals.usage_cost_usd',
                                          'totals.requests', 'percentiles.p95_cost_per_request_usd') }}
            as p95_margin_pct
    from customers
    left join totals using (customer_id)
    left join percentiles using (customer_id)

)

select * from final

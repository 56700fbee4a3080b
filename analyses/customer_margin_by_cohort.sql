-- Gross margin by signup cohort and plan (run with `dbt compile`, paste into your SQL client).
select
    customers.cohort_month,
    customers.plan,
    count(distinct margin.customer_id) as customers,
    sum(margin.revenue_usd) as revenue_usd,
    sum(margin.inference_cost_usd) as inference_cost_usd,
    sum(margin.gross_margin_usd) as gross_margin_usd,
    {{ margin_pct('sum(margin.gross_margin_usd)', 'sum(margin.revenue_usd)') }} as gross_margin_pct
from {{ ref('fct_margin_waterfall') }} as margin
inner join {{ ref('dim_customers') }} as customers using (customer_id)
group by all
order by cohort_month, plan

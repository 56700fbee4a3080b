-- Each month of fct_revenue_recognized_monthly equals the sum of its days in int_revenue_recognized_daily,
-- per customer and currency, to the minor unit.
with daily as (
    select
        cast(date_trunc('month', revenue_date) as date) as revenue_month,
        customer_id,
        original_currency as currency,
        sum(original_amount_minor) as recognized_minor
    from {{ ref('int_revenue_recognized_daily') }}
    group by all
),

monthly as (
    select revenue_month, customer_id, currency, recognized_minor from {{ ref('fct_revenue_recognized_monthly') }}
)

select *
from daily
full outer join monthly using (revenue_month, customer_id, currency)
where coalesce(daily.recognized_minor, 0) <> coalesce(monthly.recognized_minor, 0)

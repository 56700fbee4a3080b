-- The mart's revenue equals recognised revenue over the same days, to the last 1e-10 USD.
with window_days as (
    select min(margin_date) as from_date, max(margin_date) as to_date from {{ ref('fct_margin_waterfall') }}
),

mart as (
    select coalesce(sum(revenue_usd), 0) as revenue from {{ ref('fct_margin_waterfall') }}
),

recognized as (
    select coalesce(sum(revenue_usd), 0) as revenue
    from {{ ref('int_revenue_recognized_daily') }}, window_days
    where revenue_date between window_days.from_date and window_days.to_date
)

select mart.revenue as mart_revenue, recognized.revenue as recognized_revenue
from mart, recognized
where mart.revenue <> recognized.revenue

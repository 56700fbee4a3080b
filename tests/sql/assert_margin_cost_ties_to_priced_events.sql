-- The mart's estimated inference cost equals the sum of priced production events in its window, exactly.
-- It reads every priced event: routine builds check the days they rebuilt instead (..._by_day).
{{ config(tags=['full_history_scan']) }}
with window_days as (
    select min(margin_date) as from_date, max(margin_date) as to_date from {{ ref('fct_margin_waterfall') }}
),
mart as (
    select coalesce(sum(estimated_usage_cost_usd), 0) as cost from {{ ref('fct_margin_waterfall') }}
),
events as (
    select coalesce(sum(estimated_cost_usd), 0) as cost
    from {{ ref('int_usage_events_priced') }}, window_days
    where is_production and usage_date between window_days.from_date and window_days.to_date
)
select mart.cost as mart_cost, events.cost as event_cost
from mart, events
where mart.cost <> events.cost

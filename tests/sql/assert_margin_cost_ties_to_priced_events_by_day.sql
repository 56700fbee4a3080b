-- On each day of the waterfall, the mart's estimated inference cost equals the sum of that day's priced
-- production events, exactly.
{%- set waterfall = ref('fct_margin_waterfall') %}
with window_days as (
    select min(margin_date) as from_date, max(margin_date) as to_date from {{ waterfall }}
),

mart as (
    select margin_date as day, sum(estimated_usage_cost_usd) as cost
    from {{ waterfall }}
    group by margin_date
),

events as (
    select usage_date as day, sum(estimated_cost_usd) as cost
    from {{ ref('int_usage_events_priced') }}, window_days
    where is_production and usage_date between window_days.from_date and window_days.to_date
    group by usage_date
)

select day, mart.cost as mart_cost, events.cost as event_cost
from mart
full join events using (day)
where coalesce(mart.cost, 0) <> coalesce(events.cost, 0)

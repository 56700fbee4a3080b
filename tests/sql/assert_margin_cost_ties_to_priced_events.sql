-- The mart's inference cost equals the sum of priced production events, exactly.
with mart as (
    select coalesce(sum(inference_cost_usd), 0) as cost from {{ ref('fct_margin_daily') }}
),
events as (
    select coalesce(sum(estimated_cost_usd), 0) as cost
    from {{ ref('int_usage_events_priced') }}
    where is_production
)
select mart.cost as mart_cost, events.cost as event_cost
from mart, events
where mart.cost <> events.cost

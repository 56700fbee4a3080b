-- Revenue events billed outside Stripe are recognised in full, to the minor unit, per document.
with source_events as (
    select revenue_event_id, amount_minor from {{ ref('stg_revenue__events') }}
),

recognized as (
    select revenue_source_id, sum(original_amount_minor) as amount_minor
    from {{ ref('int_revenue_recognized_daily') }}
    where revenue_source = 'revenue_event'
    group by revenue_source_id
)

select source_events.revenue_event_id, source_events.amount_minor, recognized.amount_minor as recognized_minor
from source_events
full outer join recognized on source_events.revenue_event_id = recognized.revenue_source_id
where coalesce(source_events.amount_minor, 0) <> coalesce(recognized.amount_minor, 0)

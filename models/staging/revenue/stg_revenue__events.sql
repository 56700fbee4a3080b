-- Non-Stripe revenue: charges positive, refunds and credits negative, in minor units of `currency`.
with source as (

    {{ source_columns('revenue', 'revenue_events', {
        'event_id': 'string', 'occurred_at': 'timestamptz', 'customer_id': 'string', 'amount_minor': 'bigint',
        'currency': 'string', 'kind': 'string', 'feature': 'string', 'service_period_start': 'date',
        'service_period_end': 'date'
    }) }}

)

{% set occurred_on = "cast(" ~ to_utc('occurred_at') ~ " as date)" %}
select
    event_id as revenue_event_id,
    {{ to_utc('occurred_at') }} as occurred_at,
    customer_id,
    -- refunds and credits reduce revenue whatever sign the biller used
    case when kind in ('refund', 'credit') then -abs(amount_minor) else amount_minor end as amount_minor,
    upper(currency) as currency,
    kind,
    feature,
    coalesce(service_period_start, {{ occurred_on }}) as service_start_date,
    -- service_period_end is the last day of service, inclusive
    greatest(
        {{ dbt.datediff("coalesce(service_period_start, " ~ occurred_on ~ ")",
                        "coalesce(service_period_end, service_period_start, " ~ occurred_on ~ ")", 'day') }} + 1,
        1
    ) as service_days
from source

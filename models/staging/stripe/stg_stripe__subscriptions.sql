-- One row per subscription item (the priced part of a subscription).
with source as (

    {{ source_columns('stripe', 'subscriptions', {
        'id': 'string', 'customer': 'string', 'status': 'string', 'created': 'bigint',
        'start_date': 'bigint', 'canceled_at': 'bigint', 'ended_at': 'bigint', 'currency': 'string',
        'metadata': 'json', 'items': 'json'
    }) }}

),

items as (

    select
        source.*,
        unnest(cast(json_extract(source.items, '$.data') as json[])) as item
    from source

),

final as (

    select
        item ->> 'id' as subscription_item_id,
        id as subscription_id,
        customer as stripe_customer_id,
        lower(status) as status,
        item -> 'price' ->> 'id' as price_id,
        item -> 'price' ->> 'product' as product_id,
        cast(item -> 'price' ->> 'unit_amount' as bigint) as unit_amount_minor,
        cast(coalesce(item ->> 'quantity', '1') as bigint) as quantity,
        upper(coalesce(item -> 'price' ->> 'currency', currency)) as currency,
        item -> 'price' -> 'recurring' ->> 'interval' as billing_interval,
        coalesce(metadata ->> 'plan', item -> 'price' ->> 'nickname') as plan,
        to_timestamp(start_date) at time zone 'UTC' as started_at,
        to_timestamp(canceled_at) at time zone 'UTC' as canceled_at,
        to_timestamp(ended_at) at time zone 'UTC' as ended_at,
        to_timestamp(created) at time zone 'UTC' as created_at
    from items

)

select * from final

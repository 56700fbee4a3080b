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
        {{ json_array_elements('source.items', 'data') }} as item
    from source

),

final as (

    select
        {{ json_text('item', 'id') }} as subscription_item_id,
        id as subscription_id,
        customer as stripe_customer_id,
        lower(status) as status,
        {{ json_text('item', 'price.id') }} as price_id,
        {{ json_text('item', 'price.product') }} as product_id,
        cast({{ json_text('item', 'price.unit_amount') }} as bigint) as unit_amount_minor,
        cast(coalesce({{ json_text('item', 'quantity') }}, '1') as bigint) as quantity,
        upper(coalesce({{ json_text('item', 'price.currency') }}, currency)) as currency,
        {{ json_text('item', 'price.recurring.interval') }} as billing_interval,
        coalesce({{ json_text('metadata', 'plan') }}, {{ json_text('item', 'price.nickname') }}) as plan,
        {{ epoch_to_utc('start_date') }} as started_at,
        {{ epoch_to_utc('canceled_at') }} as canceled_at,
        {{ epoch_to_utc('ended_at') }} as ended_at,
        {{ epoch_to_utc('created') }} as created_at
    from items

)

select * from final

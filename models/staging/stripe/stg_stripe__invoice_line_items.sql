-- Invoice lines: amount before discounts and tax, the discounts and tax on the line, and the
-- service period the amount pays for.
with source as (

    {{ source_columns('stripe', 'invoice_line_items', {
        'id': 'varchar', 'invoice': 'varchar', 'amount': 'bigint', 'currency': 'varchar',
        'description': 'varchar', 'quantity': 'bigint', 'period': 'json', 'discount_amounts': 'json',
        'taxes': 'json', 'subscription': 'varchar', 'pricing': 'json', 'parent': 'json'
    }) }}

),

final as (

    select
        id as invoice_line_item_id,
        invoice as invoice_id,
        amount as amount_minor,
        coalesce((
            select sum(cast(d ->> 'amount' as bigint))
            from (select unnest(cast(discount_amounts as json[])) as d)
        ), 0) as discount_minor,
        coalesce((
            select sum(cast(t ->> 'amount' as bigint))
            from (select unnest(cast(taxes as json[])) as t)
        ), 0) as tax_minor,
        upper(currency) as currency,
        description,
        quantity,
        subscription as subscription_id,
        coalesce(pricing -> 'price_details' ->> 'price', parent -> 'subscription_item_details' ->> 'subscription_item') as price_id,
        to_timestamp(cast(period ->> 'start' as bigint)) at time zone 'UTC' as period_start_at,
        to_timestamp(cast(period ->> 'end' as bigint)) at time zone 'UTC' as period_end_at
    from source

)

select * from final

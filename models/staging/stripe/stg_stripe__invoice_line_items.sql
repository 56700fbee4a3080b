-- Invoice lines: amount before discounts, the discounts, the tax on the line (all of it, and the part
-- included in `amount` by tax-inclusive prices) and the service period the amount pays for.
-- Tax arrives as `taxes` (API 2025+, with `tax_behavior`) or `tax_amounts` (older, with `inclusive`).
with source as (

    {{ source_columns('stripe', 'invoice_line_items', {
        'id': 'string', 'invoice': 'string', 'amount': 'bigint', 'currency': 'string',
        'description': 'string', 'quantity': 'bigint', 'period': 'json', 'discount_amounts': 'json',
        'taxes': 'json', 'tax_amounts': 'json', 'subscription': 'string', 'pricing': 'json', 'parent': 'json'
    }) }}

),

taxes as (

    select
        id,
        coalesce(sum(cast({{ json_text('t', 'amount') }} as bigint)), 0) as tax_minor,
        coalesce(sum(cast({{ json_text('t', 'amount') }} as bigint)) filter (
            where {{ json_text('t', 'tax_behavior') }} = 'inclusive' or {{ json_text('t', 'inclusive') }} = 'true'
        ), 0) as inclusive_tax_minor
    from (
        select id, {{ json_array_elements('coalesce(taxes, tax_amounts)') }} as t
        from source
    ) as tax_rows
    group by id

),

discounts as (

    select id, sum(cast({{ json_text('d', 'amount') }} as bigint)) as discount_minor
    from (
        select id, {{ json_array_elements('discount_amounts') }} as d
        from source
    ) as discount_rows
    group by id

),

final as (

    select
        source.id as invoice_line_item_id,
        source.invoice as invoice_id,
        source.amount as amount_minor,
        coalesce(discounts.discount_minor, 0) as discount_minor,
        coalesce(taxes.tax_minor, 0) as tax_minor,
        coalesce(taxes.inclusive_tax_minor, 0) as inclusive_tax_minor,
        upper(source.currency) as currency,
        source.description,
        source.quantity,
        source.subscription as subscription_id,
        coalesce({{ json_text('source.pricing', 'price_details.price') }},
                 {{ json_text('source.parent', 'subscription_item_details.subscription_item') }}) as price_id,
        {{ epoch_to_utc("cast(" ~ json_text('source.period', 'start') ~ " as bigint)") }} as period_start_at,
        {{ epoch_to_utc("cast(" ~ json_text('source.period', 'end') ~ " as bigint)") }} as period_end_at
    from source
    left join taxes on source.id = taxes.id
    left join discounts on source.id = discounts.id

)

select * from final

-- Credit note lines: the invoice line each credits (null for a custom line) and the amount credited,
-- in minor units of the credit note's currency.
with source as (

    {{ source_columns('stripe', 'credit_note_line_items', {
        'id': 'string', 'credit_note': 'string', 'invoice_line_item': 'string', 'type': 'string',
        'amount': 'bigint', 'discount_amount': 'bigint'
    }) }}

),

final as (

    select
        id as credit_note_line_item_id,
        credit_note as credit_note_id,
        invoice_line_item as invoice_line_item_id,
        type as line_type,
        amount as amount_minor,
        coalesce(discount_amount, 0) as discount_minor
    from source

)

select * from final

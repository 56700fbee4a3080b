-- Credit notes: amounts in minor units of `currency`; when each took effect and, if voided, when.
with source as (

    {{ source_columns('stripe', 'credit_notes', {
        'id': 'string', 'invoice': 'string', 'customer': 'string', 'status': 'string', 'currency': 'string',
        'created': 'bigint', 'effective_at': 'bigint', 'voided_at': 'bigint', 'total': 'bigint',
        'total_excluding_tax': 'bigint', 'subtotal_excluding_tax': 'bigint', 'type': 'string', 'reason': 'string'
    }) }}

),

final as (

    select
        id as credit_note_id,
        invoice as invoice_id,
        customer as stripe_customer_id,
        lower(status) as status,
        upper(currency) as currency,
        total as total_minor,
        coalesce(total_excluding_tax, subtotal_excluding_tax, total) as total_excluding_tax_minor,
        type as credit_note_type,
        reason,
        {{ epoch_to_utc('coalesce(effective_at, created)') }} as effective_at,
        {{ epoch_to_utc('created') }} as created_at,
        {{ epoch_to_utc('voided_at') }} as voided_at
    from source

)

select * from final

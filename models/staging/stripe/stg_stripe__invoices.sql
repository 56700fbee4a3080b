-- Invoices: amounts in integer minor units of `currency`, and when the invoice was finalised, paid,
-- voided or marked uncollectible (status_transitions).
with source as (

    {{ source_columns('stripe', 'invoices', {
        'id': 'string', 'customer': 'string', 'status': 'string', 'currency': 'string',
        'created': 'bigint', 'effective_at': 'bigint', 'period_start': 'bigint', 'period_end': 'bigint',
        'subtotal': 'bigint', 'tax': 'bigint', 'total': 'bigint', 'total_excluding_tax': 'bigint',
        'amount_paid': 'bigint', 'amount_due': 'bigint', 'status_transitions': 'json', 'billing_reason': 'string'
    }) }}

),

final as (

    select
        id as invoice_id,
        customer as stripe_customer_id,
        lower(status) as status,
        upper(currency) as currency,
        subtotal as subtotal_minor,
        coalesce(tax, 0) as tax_minor,
        total as total_minor,
        coalesce(total_excluding_tax, total - coalesce(tax, 0)) as total_excluding_tax_minor,
        amount_paid as amount_paid_minor,
        amount_due as amount_due_minor,
        billing_reason,
        {{ epoch_to_utc('created') }} as created_at,
        {{ epoch_to_utc("coalesce(cast(" ~ json_text('status_transitions', 'finalized_at') ~ " as bigint), "
                        "effective_at, created)") }} as finalized_at,
        {{ epoch_to_utc("cast(" ~ json_text('status_transitions', 'paid_at') ~ " as bigint)") }} as paid_at,
        {{ epoch_to_utc("cast(" ~ json_text('status_transitions', 'voided_at') ~ " as bigint)") }} as voided_at,
        {{ epoch_to_utc("cast(" ~ json_text('status_transitions', 'marked_uncollectible_at') ~ " as bigint)") }}
            as marked_uncollectible_at
    from source

)

select * from final

with source as (

    {{ source_columns('stripe', 'refunds', {
        'id': 'string', 'customer': 'string', 'charge': 'string', 'payment_intent': 'string',
        'amount': 'bigint', 'currency': 'string', 'status': 'string', 'reason': 'string',
        'created': 'bigint', 'metadata': 'json'
    }) }}

),

final as (

    select
        id as refund_id,
        customer as stripe_customer_id,
        charge as charge_id,
        payment_intent as payment_intent_id,
        {{ json_text('metadata', 'invoice') }} as invoice_id,
        amount as amount_minor,
        upper(currency) as currency,
        lower(status) as status,
        reason,
        {{ epoch_to_utc('created') }} as created_at
    from source

)

select * from final

-- Which payment intents and charges paid each invoice, to find the invoice a refund gives money back
-- on: `payments` (API 2025+) or the older `payment_intent` / `charge` fields of the invoice.
with source as (

    {{ source_columns('stripe', 'invoices', {
        'id': 'string', 'payment_intent': 'string', 'charge': 'string', 'payments': 'json'
    }) }}

),

listed as (

    select
        id as invoice_id,
        {{ json_text('payment', 'payment.payment_intent') }} as payment_intent_id,
        {{ json_text('payment', 'payment.charge') }} as charge_id
    from (
        select id, {{ json_array_elements('payments', 'data') }} as payment
        from source
    ) as unnested

),

legacy as (

    select id as invoice_id, payment_intent as payment_intent_id, charge as charge_id
    from source
    where payment_intent is not null or charge is not null

),

final as (

    select distinct invoice_id, payment_intent_id, charge_id
    from (
        select * from listed
        union all
        select * from legacy
    ) as both_forms
    where payment_intent_id is not null or charge_id is not null

)

select * from final

-- Refunds made through a credit note: `refunds` (API 2025+: refund id and amount) or the older single
-- `refund` field. Such a refund is part of its credit note and must not reduce revenue a second time.
with source as (

    {{ source_columns('stripe', 'credit_notes', {'id': 'string', 'refund': 'string', 'refunds': 'json'}) }}

),

listed as (

    select id as credit_note_id, {{ json_text('r', 'refund') }} as refund_id
    from (select id, {{ json_array_elements('refunds') }} as r from source) as unnested

),

final as (

    select distinct credit_note_id, refund_id
    from (
        select * from listed
        union all
        select id, refund from source where refund is not null
    ) as both_forms
    where refund_id is not null

)

select * from final

-- Stripe customers, mapped to the application's customer key through metadata (key: var).
with source as (

    {{ source_columns('stripe', 'customers', {
        'id': 'string', 'created': 'bigint', 'currency': 'string', 'email': 'string', 'name': 'string',
        'metadata': 'json', 'address': 'json', 'deleted': 'boolean'
    }) }}

),

final as (

    select
        id as stripe_customer_id,
        coalesce(
            nullif({{ json_text('metadata', [var("stripe_customer_id_metadata_key")]) }}, ''),
            id
        ) as customer_id,
        {{ json_text('metadata', [var("stripe_customer_id_metadata_key")]) }} is not null as is_mapped_by_metadata,
        name as customer_name,
        upper(currency) as currency,
        {{ json_text('metadata', 'segment') }} as segment,
        {{ json_text('metadata', 'region') }} as region,
        {{ json_text('metadata', 'company_size') }} as company_size,
        {{ json_text('address', 'country') }} as country,
        {{ epoch_to_utc('created') }} as created_at,
        coalesce(deleted, false) as is_deleted
    from source

)

select * from final

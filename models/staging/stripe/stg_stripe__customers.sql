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
            nullif(metadata ->> '{{ var("stripe_customer_id_metadata_key") }}', ''),
            id
        ) as customer_id,
        (metadata ->> '{{ var("stripe_customer_id_metadata_key") }}') is not null as is_mapped_by_metadata,
        name as customer_name,
        upper(currency) as currency,
        metadata ->> 'segment' as segment,
        metadata ->> 'region' as region,
        metadata ->> 'company_size' as company_size,
        address ->> 'country' as country,
        to_timestamp(created) at time zone 'UTC' as created_at,
        coalesce(deleted, false) as is_deleted
    from source

)

select * from final

-- Typed usage events with the token splits every cost layer prices separately.
with source as (

    {{ source_columns('usage', 'usage_events', {
        'event_id': 'string', 'occurred_at': 'timestamptz', 'customer_id': 'string', 'feature': 'string',
        'provider': 'string', 'model': 'string', 'operation': 'string',
        'input_tokens': 'bigint', 'output_tokens': 'bigint', 'cache_read_input_tokens': 'bigint',
        'cache_creation_input_tokens': 'bigint', 'cache_creation_1h_input_tokens': 'bigint',
        'reasoning_output_tokens': 'bigint', 'quantity': 'decimal(38, 9)', 'unit': 'string',
        'service_tier': 'string', 'status': 'string', 'is_retry': 'boolean', 'app_cache_hit': 'boolean',
        'workflow_id': 'string', 'request_id': 'string', 'latency_ms': 'double',
        'reported_cost': 'decimal(38, 12)', 'reported_cost_currency': 'string', 'prompt_version': 'string',
        'environment': 'string', 'attributes': 'json', 'extra_fields': 'json',
        'source_file': 'string', 'source_row': 'bigint', 'file_fingerprint': 'string'
    }) }}

),

final as (

    select
        event_id,
        {{ to_utc('occurred_at') }} as occurred_at,
        cast({{ to_utc('occurred_at') }} as date) as usage_date,
        customer_id,
        feature,
        lower(provider) as provider,
        model,
        lower(operation) as operation,
        input_tokens,
        output_tokens,
        cache_read_input_tokens,
        cache_creation_input_tokens,
        cache_creation_1h_input_tokens,
        reasoning_output_tokens,
        input_tokens - cache_read_input_tokens - cache_creation_input_tokens as uncached_input_tokens,
        cache_creation_input_tokens - cache_creation_1h_input_tokens as cache_write_5m_input_tokens,
        cache_creation_1h_input_tokens as cache_write_1h_input_tokens,
        output_tokens - reasoning_output_tokens as non_reasoning_output_tokens,
        reasoning_output_tokens as reasoning_tokens,
        input_tokens + output_tokens as total_tokens,
        quantity,
        unit,
        lower(service_tier) as service_tier,
        lower(status) as status,
        is_retry,
        app_cache_hit,
        workflow_id,
        request_id,
        latency_ms,
        reported_cost,
        upper(reported_cost_currency) as reported_cost_currency,
        prompt_version,
        lower(environment) as environment,
        lower(environment) = 'production' as is_production,
        attributes,
        {{ json_text('attributes', 'plan') }} as attribute_plan,
        extra_fields,
        source_file,
        source_row,
        file_fingerprint
    from source

)

select * from final

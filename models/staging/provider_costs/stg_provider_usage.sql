-- Provider-measured usage in the usage log's conventions (input includes cache reads and writes).
with openai as (

    {{ source_columns('provider_costs', 'openai_usage', {
        '_row_key': 'string', 'start_time': 'bigint', 'result_type': 'string', 'model': 'string',
        'input_tokens': 'bigint', 'input_cached_tokens': 'bigint', 'input_cache_write_tokens': 'bigint',
        'output_tokens': 'bigint', 'num_model_requests': 'bigint', 'batch': 'boolean', 'project_id': 'string'
    }) }}

),

anthropic as (

    {{ source_columns('provider_costs', 'anthropic_usage_report', {
        '_row_key': 'string', 'starting_at': 'timestamptz', 'model': 'string', 'service_tier': 'string',
        'uncached_input_tokens': 'bigint', 'cache_read_input_tokens': 'bigint',
        'cache_creation_5m_input_tokens': 'bigint', 'cache_creation_1h_input_tokens': 'bigint',
        'output_tokens': 'bigint'
    }) }}

),

final as (

    select
        _row_key as usage_row_id,
        'openai' as provider,
        cast({{ epoch_to_utc('start_time') }} as date) as usage_date,
        result_type,
        model,
        case when batch then 'batch' else 'standard' end as service_tier,
        coalesce(input_tokens, 0) as input_tokens,
        coalesce(input_cached_tokens, 0) as cache_read_input_tokens,
        coalesce(input_cache_write_tokens, 0) as cache_creation_input_tokens,
        coalesce(output_tokens, 0) as output_tokens,
        num_model_requests as requests
    from openai
    where result_type in ('completions', 'embeddings')

    union all

    select
        _row_key as usage_row_id,
        'anthropic' as provider,
        cast({{ to_utc('starting_at') }} as date) as usage_date,
        'messages' as result_type,
        model,
        coalesce(service_tier, 'standard') as service_tier,
        coalesce(uncached_input_tokens, 0) + coalesce(cache_read_input_tokens, 0)
            + coalesce(cache_creation_5m_input_tokens, 0) + coalesce(cache_creation_1h_input_tokens, 0)
            as input_tokens,
        coalesce(cache_read_input_tokens, 0) as cache_read_input_tokens,
        coalesce(cache_creation_5m_input_tokens, 0) + coalesce(cache_creation_1h_input_tokens, 0)
            as cache_creation_input_tokens,
        coalesce(output_tokens, 0) as output_tokens,
        cast(null as bigint) as requests  -- the usage report does not count requests
    from anthropic

)

select * from final

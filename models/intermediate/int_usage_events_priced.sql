-- Every usage event priced at the list price in force on its day, split by token type.
-- A model with no price is flagged (is_priced = false) and its cost left null, never zero.
-- Calls answered from the application's own cache reached no provider and cost nothing.
with events as (

    select * from {{ ref('stg_usage__events') }}

),

matched as (

    select * from {{ ref('int_usage_models_matched') }}

),

prices as (

    select * from {{ ref('stg_model_prices__prices') }} where variant = 'default'

),

joined as (

    select
        events.*,
        matched.catalog_provider_id,
        matched.catalog_model_id,
        prices.input_usd_per_mtok,
        prices.output_usd_per_mtok,
        prices.cache_read_usd_per_mtok,
        prices.cache_write_5m_usd_per_mtok,
        prices.cache_write_1h_usd_per_mtok,
        prices.valid_from as price_valid_from
    from events
    left join matched
        on events.provider = matched.provider
        and events.model = matched.model
    left join prices
        on matched.catalog_provider_id = prices.provider_id
        and matched.catalog_model_id = prices.model_id
        and events.usage_date >= prices.valid_from
        and events.usage_date < prices.valid_to

),

costed as (

    select
        *,
        app_cache_hit or input_usd_per_mtok is not null as is_priced,
        case when app_cache_hit then 0 else {{ token_cost('uncached_input_tokens', 'input_usd_per_mtok') }} end
            as uncached_input_cost_usd,
        case when app_cache_hit then 0 else {{ token_cost('cache_read_input_tokens', 'cache_read_usd_per_mtok') }} end
            as cache_read_cost_usd,
        case when app_cache_hit then 0 else {{ token_cost('cache_write_5m_input_tokens', 'cache_write_5m_usd_per_mtok') }} end
            as cache_write_5m_cost_usd,
        case when app_cache_hit then 0 else {{ token_cost('cache_write_1h_input_tokens', 'cache_write_1h_usd_per_mtok') }} end
            as cache_write_1h_cost_usd,
        case when app_cache_hit then 0 else {{ token_cost('non_reasoning_output_tokens', 'output_usd_per_mtok') }} end
            as output_cost_usd,
        case when app_cache_hit then 0 else {{ token_cost('reasoning_tokens', 'output_usd_per_mtok') }} end
            as reasoning_cost_usd
    from joined

),

final as (

    select
        event_id,
        occurred_at,
        usage_date,
        customer_id,
        feature,
        provider,
        model,
        operation,
        catalog_provider_id,
        catalog_model_id,
        price_valid_from,
        is_priced,
        is_production,
        environment,
        status,
        is_retry,
        app_cache_hit,
        service_tier,
        prompt_version,
        workflow_id,
        input_tokens,
        output_tokens,
        uncached_input_tokens,
        cache_read_input_tokens,
        cache_write_5m_input_tokens,
        cache_write_1h_input_tokens,
        non_reasoning_output_tokens,
        reasoning_tokens,
        total_tokens,
        uncached_input_cost_usd,
        cache_read_cost_usd,
        cache_write_5m_cost_usd,
        cache_write_1h_cost_usd,
        output_cost_usd,
        reasoning_cost_usd,
        uncached_input_cost_usd + cache_read_cost_usd + cache_write_5m_cost_usd + cache_write_1h_cost_usd
            + output_cost_usd + reasoning_cost_usd as estimated_cost_usd
    from costed

)

select * from final

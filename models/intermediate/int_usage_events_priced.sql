-- Every usage event priced at the price in force when it happened, split by token type
-- (prices resolved in int_model_prices_resolved: overrides, service-tier pricing, context-size tiers).
-- A model with no price is flagged (is_priced = false) and its cost left null, never zero.
-- Calls answered from the application's own cache cost nothing.
--
-- Incremental (macros/incremental.sql): a run prices
--   - the events of usage files this table has not priced yet, one by one (a new day, late events of
--     any age, re-delivered events: detected by the loader's file fingerprint, not by event time, and
--     found among the priced rows by event_id_hash);
--   - every event of the days priced already whose price in force changed (catalog, overrides, tier
--     multipliers, context tiers: the resolved prices of the last run are kept in <this>__prices_applied
--     by the post-hook and compared), and of the last `usage_lookback_days` days priced (a safety net,
--     off by default);
-- and replaces the rows they re-price. The days that changed go on to the models after this one.
-- A change to this model's own SQL needs `ai-margin build --full-refresh`.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ usage_days_to_reprice(ref('stg_usage__events'), ref('int_model_prices_resolved')) }}",
    post_hook="{{ save_prices_applied(ref('int_model_prices_resolved')) }}"
) }}

with prices as (

    select
        *,
        {{ price_parts('input_usd_per_mtok', 'input_price') }},
        {{ price_parts('cache_read_usd_per_mtok', 'cache_read_price') }},
        {{ price_parts('cache_write_5m_usd_per_mtok', 'cache_write_5m_price') }},
        {{ price_parts('cache_write_1h_usd_per_mtok', 'cache_write_1h_price') }},
        {{ price_parts('output_usd_per_mtok', 'output_price') }}
    from {{ ref('int_model_prices_resolved') }}

),

events as (

    -- new usage files, and whole days to re-price (macros/incremental.sql)
    {{ in_usage_to_price(ref('stg_usage__events')) }}

),

thresholds as (

    select * from {{ ref('int_model_context_thresholds') }}

),

bucketed as (

    select
        events.*,
        case when thresholds.context_tier_starts is null then 0
             else coalesce(list_max(list_filter(thresholds.context_tier_starts, lambda t: events.input_tokens > t)), 0)
        end as context_tier_start
    from events
    left join thresholds using (provider, model)

),

joined as (

    select
        bucketed.*,
        prices.catalog_provider_id,
        prices.catalog_model_id,
        prices.price_source,
        prices.price_valid_from,
        prices.input_usd_per_mtok,
        prices.output_usd_per_mtok,
        prices.cache_read_usd_per_mtok,
        prices.cache_write_5m_usd_per_mtok,
        prices.cache_write_1h_usd_per_mtok,
        prices.usd_per_request,
        prices.has_request_price_override,
        -- the token prices split for exact integer pricing (token_cost): <name>_price_hi, _lo, _sign
        columns('_price_(hi|lo|sign)$'),
        case when prices.priced_unit is not null and prices.priced_unit = bucketed.unit
            then bucketed.quantity * prices.usd_per_unit end as unit_cost_usd
    from bucketed
    left join prices using (provider, model, service_tier, usage_date, context_tier_start)

),

costed as (

    select
        *,
        app_cache_hit or input_usd_per_mtok is not null or unit_cost_usd is not null
            or has_request_price_override as is_priced,
        case when app_cache_hit then 0 else {{ token_cost('uncached_input_tokens', 'input_price') }} end
            as uncached_input_cost_usd,
        case when app_cache_hit then 0 else {{ token_cost('cache_read_input_tokens', 'cache_read_price') }} end
            as cache_read_cost_usd,
        case when app_cache_hit then 0 else {{ token_cost('cache_write_5m_input_tokens', 'cache_write_5m_price') }} end
            as cache_write_5m_cost_usd,
        case when app_cache_hit then 0 else {{ token_cost('cache_write_1h_input_tokens', 'cache_write_1h_price') }} end
            as cache_write_1h_cost_usd,
        case when app_cache_hit then 0 else {{ token_cost('non_reasoning_output_tokens', 'output_price') }} end
            as output_cost_usd,
        case when app_cache_hit then 0 else {{ token_cost('reasoning_tokens', 'output_price') }} end
            as reasoning_cost_usd,
        case when app_cache_hit then 0 else cast(coalesce(usd_per_request, 0) + coalesce(unit_cost_usd, 0) as {{ money_type() }}) end
            as request_and_unit_cost_usd,
        -- what the cached input would have cost without the provider's prompt cache: every input token
        -- at the uncached input price (no reads at the discount, no write premium)
        case when app_cache_hit then 0 else
            {{ token_cost('cache_read_input_tokens + cache_write_5m_input_tokens + cache_write_1h_input_tokens', 'input_price') }}
        end as cached_input_cost_without_cache_usd
    from joined

),

final as (

    select
        event_id,
        -- a narrow key for incremental runs to find re-delivered events without reading every event id
        {{ event_id_hash('event_id') }} as event_id_hash,
        occurred_at,
        usage_date,
        customer_id,
        feature,
        provider,
        model,
        operation,
        catalog_provider_id,
        catalog_model_id,
        price_source,
        price_valid_from,
        context_tier_start,
        is_priced,
        is_production,
        environment,
        status,
        is_retry,
        app_cache_hit,
        service_tier,
        prompt_version,
        workflow_id,
        file_fingerprint,
        input_tokens,
        output_tokens,
        uncached_input_tokens,
        cache_read_input_tokens,
        cache_write_5m_input_tokens,
        cache_write_1h_input_tokens,
        non_reasoning_output_tokens,
        reasoning_tokens,
        total_tokens,
        quantity,
        unit,
        uncached_input_cost_usd,
        cache_read_cost_usd,
        cache_write_5m_cost_usd,
        cache_write_1h_cost_usd,
        output_cost_usd,
        reasoning_cost_usd,
        request_and_unit_cost_usd,
        case when is_priced then
            coalesce(uncached_input_cost_usd, 0) + coalesce(cache_read_cost_usd, 0)
            + coalesce(cache_write_5m_cost_usd, 0) + coalesce(cache_write_1h_cost_usd, 0)
            + coalesce(output_cost_usd, 0) + coalesce(reasoning_cost_usd, 0) + request_and_unit_cost_usd
        end as estimated_cost_usd,
        case when is_priced then
            coalesce(uncached_input_cost_usd, 0) + coalesce(cached_input_cost_without_cache_usd, 0)
            + coalesce(output_cost_usd, 0) + coalesce(reasoning_cost_usd, 0) + request_and_unit_cost_usd
        end as estimated_cost_without_prompt_cache_usd
    from costed

)

select * from final

-- Every usage event priced at the price in force when it happened, split by token type
-- (prices resolved in int_model_prices_resolved: overrides, service-tier pricing, context-size tiers).
-- A model with no price is flagged (is_priced = false) and its cost left null, never zero.
-- Calls answered from the application's own cache cost nothing.
--
-- Incremental (delete+insert by usage_date): a run re-prices whole days, every event of each day that
--   - received events from a usage file this table has not priced yet (a new day, or late events of
--     any age: detected by the loader's file fingerprint, not by event time),
--   - lost an event that a re-delivery moved to another day,
--   - had its price in force changed (catalog, overrides, tier multipliers, context tiers: the resolved
--     prices of the last run are kept in <this>__prices_applied by the post-hook and compared),
--   - lies within `usage_lookback_days` of the latest day already priced (a safety net).
-- A change to this model's own SQL needs `ai-margin build --full-refresh`.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='usage_date',
    on_schema_change='fail',
    post_hook="{{ save_prices_applied(ref('int_model_prices_resolved')) }}"
) }}

with all_events as (

    select * from {{ ref('stg_usage__events') }}

),

prices as (

    select * from {{ ref('int_model_prices_resolved') }}

),

{% if is_incremental() %}
{%- set prices_applied = adapter.get_relation(database=this.database, schema=this.schema,
                                              identifier=prices_applied_relation().identifier) %}

priced_files as (

    select distinct coalesce(file_fingerprint, '') as file_fingerprint from {{ this }}

),

arrived as (

    -- events (new or re-delivered) from usage files this table has not priced yet
    select event_id, usage_date
    from all_events
    anti join priced_files on coalesce(all_events.file_fingerprint, '') = priced_files.file_fingerprint

),

affected_days as (

    select usage_date from arrived
    union
    -- the day a re-delivered event was on before, if it moved
    select usage_date from {{ this }} where event_id in (select event_id from arrived)
    union
    select usage_date from all_events
    where usage_date > (select max(usage_date) from {{ this }}) - {{ var('usage_lookback_days') | int }}
    union
    {% if prices_applied is not none %}
    -- days whose resolved price changed, appeared or went away since the last run
    select coalesce(current_price.usage_date, applied.usage_date)
    from prices as current_price
    full outer join {{ prices_applied }} as applied
        using (provider, model, service_tier, usage_date, context_tier_start)
    where current_price is distinct from applied
    {% else %}
    -- no record of the prices applied: re-price everything
    select usage_date from {{ this }}
    union
    select usage_date from all_events
    {% endif %}

),

events as (

    select * from all_events where usage_date in (select usage_date from affected_days)

),
{% else %}

events as (

    select * from all_events

),
{% endif %}

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
            as reasoning_cost_usd,
        case when app_cache_hit then 0 else cast(coalesce(usd_per_request, 0) + coalesce(unit_cost_usd, 0) as {{ money_type() }}) end
            as request_and_unit_cost_usd,
        -- what the cached input would have cost without the provider's prompt cache: every input token
        -- at the uncached input price (no reads at the discount, no write premium)
        case when app_cache_hit then 0 else
            {{ token_cost('cache_read_input_tokens + cache_write_5m_input_tokens + cache_write_1h_input_tokens', 'input_usd_per_mtok') }}
        end as cached_input_cost_without_cache_usd
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

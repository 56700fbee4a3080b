-- Every usage event priced at the price in force when it happened, split by token type
-- (prices resolved in int_model_prices_resolved: overrides, service-tier pricing, context-size tiers).
-- A model with no price is flagged (is_priced = false) and its cost left null, never zero.
-- Calls answered from the application's own cache cost nothing.
-- Where the source reported what the call was charged (a gateway such as LiteLLM, Langfuse, a provider;
-- `reported_cost` in USD), that cost wins over the catalog's: estimated_cost_usd is then
-- reported_cost_usd, and the *_cost_usd parts keep the catalog's split for comparison.
-- Lean on purpose: keys, tokens and costs (decimal(18, 10): exact, 8 bytes); the rest of an event
-- (timestamps, status, source file and row) stays in stg_usage__events, joined by event_id.
--
-- Incremental, dbt's delete+insert on event_id (docs/architecture.md). A run prices
--   - the events of usage files not priced yet: new days, late events of any age, re-deliveries
--     (a re-delivered event replaces its row, even if it moved to another day);
--   - every event of a day whose price in force changed since it was priced (catalog, overrides,
--     tier multipliers, context tiers): each row keeps price_fingerprint, a hash of the prices it was
--     priced with, compared with the current ones;
--   - every event of the last `usage_lookback_days` days priced (a safety net, off by default).
-- A change to this model's SQL needs `ai-margin build --full-refresh` (dbt's --full-refresh).
-- On Spark a plain table, rebuilt whole: its parquet tables have no delete or merge (incremental on
-- Delta is a later step), so the is_incremental() parts below never render there.
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='fail'
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

-- one hash per (provider, model, service tier, day) of every price row that prices its events: when it
-- changes, the day's events are priced again
price_fingerprints as (

    select
        provider, model, service_tier, usage_date,
        {{ md5_upper_64(ordered_text_agg(row_text('resolved'), "'|'",
                                         'context_tier_start')) }} as price_fingerprint
    from {{ ref('int_model_prices_resolved') }} as resolved  -- the alias is the whole row, hashed above -- noqa: AL05
    group by all

),

{%- if is_incremental() %}

days_to_reprice as (

    select priced.usage_date
    from (select distinct usage_date, provider, model, service_tier, price_fingerprint from {{ this }}) as priced
    left join price_fingerprints as now
        on now.usage_date = priced.usage_date
        and now.provider = priced.provider
        and now.model = priced.model
        and now.service_tier is not distinct from priced.service_tier
    where now.price_fingerprint is distinct from priced.price_fingerprint
    union
    select usage_date from {{ this }}
    where usage_date > (select max(usage_date) from {{ this }}) - {{ var('usage_lookback_days') | int }}

),
{%- endif %}

events as (

    select * from {{ ref('stg_usage__events') }}
    {%- if is_incremental() %}
    -- usage files not priced yet (the loader's fingerprint of each file version), and days to re-price
    where coalesce(file_fingerprint, '') not in (select distinct coalesce(file_fingerprint, '') from {{ this }})
        or usage_date in (select usage_date from days_to_reprice)
    {%- endif %}

),

thresholds as (

    select * from {{ ref('int_model_context_thresholds') }}

),

bucketed as (

    select
        events.*,
        case when thresholds.context_tier_starts is null then 0
             else coalesce({{ array_largest(array_where('thresholds.context_tier_starts', 't',
                                                        'events.input_tokens > t')) }}, 0)
        end as context_tier_start
    from events
    left join thresholds using (provider, model)

),

joined as (

    select
        bucketed.*,
        prices.input_usd_per_mtok,
        prices.usd_per_request,
        price_fingerprints.price_fingerprint,
        prices.has_request_price_override,
        -- the token prices split for exact integer pricing (token_cost): <name>_price_hi, _lo, _sign
        {%- for price in ['input', 'cache_read', 'cache_write_5m', 'cache_write_1h', 'output'] %}
        prices.{{ price }}_price_hi, prices.{{ price }}_price_lo, prices.{{ price }}_price_sign,
        {%- endfor %}
        case when prices.priced_unit is not null and prices.priced_unit = bucketed.unit
            then bucketed.quantity * prices.usd_per_unit end as unit_cost_usd
    from bucketed
    left join prices using (provider, model, service_tier, usage_date, context_tier_start)
    left join price_fingerprints using (provider, model, service_tier, usage_date)

),

costed as (

    select
        *,
        app_cache_hit or input_usd_per_mtok is not null or unit_cost_usd is not null
            or has_request_price_override as is_catalog_priced,
        case when reported_cost_currency = 'USD' then reported_cost end as reported_cost_usd,
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
        case when app_cache_hit then 0
            else cast(coalesce(usd_per_request, 0) + coalesce(unit_cost_usd, 0) as {{ money_type() }})
        end as request_and_unit_cost_usd
    from joined

),

final as (

    select
        event_id,
        usage_date,
        customer_id,
        feature,
        provider,
        model,
        service_tier,
        operation,
        is_production,
        app_cache_hit,
        is_catalog_priced or reported_cost_usd is not null as is_priced,
        prompt_version,
        workflow_id,
        input_tokens,
        output_tokens,
        -- the token splits prices apply to (int_usage_token_mix_daily re-prices them for simulations)
        cache_read_input_tokens,
        cache_write_5m_input_tokens,
        cache_write_1h_input_tokens,
        reasoning_tokens,
        {%- for part in ['uncached_input', 'cache_read', 'cache_write_5m', 'cache_write_1h', 'output', 'reasoning',
                         'request_and_unit'] %}
        cast({{ part }}_cost_usd as {{ event_money_type() }}) as {{ part }}_cost_usd,
        {%- endfor %}
        cast(reported_cost_usd as {{ event_money_type() }}) as reported_cost_usd,
        cast(coalesce(reported_cost_usd, case when is_catalog_priced then
            coalesce(uncached_input_cost_usd, 0) + coalesce(cache_read_cost_usd, 0)
            + coalesce(cache_write_5m_cost_usd, 0) + coalesce(cache_write_1h_cost_usd, 0)
            + coalesce(output_cost_usd, 0) + coalesce(reasoning_cost_usd, 0) + request_and_unit_cost_usd
        end) as {{ event_money_type() }}) as estimated_cost_usd,
        price_fingerprint,
        file_fingerprint,
        -- when this row was priced: the start of the dbt run (one value per build, stored almost free)
        cast('{{ run_started_at.isoformat() }}' as {{ column_type('timestamptz') }}) as priced_at
    from costed

)

select * from final

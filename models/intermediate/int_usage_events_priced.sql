-- Every usage event priced at the price in force when it happened, split by token type.
-- Which price: an override from the model_price_overrides seed (negotiated rate, committed-use
-- discount, self-hosted per request or GPU-second) wins; else the catalog's price variant for the
-- call's service tier (batch, flex, priority); else the catalog's list price times the tier's
-- multiplier from the service_tier_multipliers seed. Context-size tiers apply to the whole call when
-- its input tokens pass the tier's start. A model with no price is flagged (is_priced = false) and its
-- cost left null, never zero. Calls answered from the application's own cache cost nothing.
with events as (

    select * from {{ ref('stg_usage__events') }}

),

matched as (

    select * from {{ ref('int_usage_models_matched') }}

),

catalog as (

    select * from {{ ref('stg_model_prices__prices') }}

),

tier_multipliers as (

    select * from {{ ref('service_tier_multipliers') }}

),

-- overrides resolved per logged model name first (a handful of rows), so events join on equality
overrides as (

    select matched.provider as event_provider, matched.model as event_model, price_overrides.*
    from {{ ref('model_price_overrides') }} as price_overrides
    inner join matched
        on matched.provider = lower(price_overrides.provider)
        and (lower(matched.model) = lower(price_overrides.model)
             or matched.catalog_model_id = lower(price_overrides.model))

),

joined as (

    select
        events.*,
        matched.catalog_provider_id,
        matched.catalog_model_id,
        coalesce(tier_variant.valid_from, list_price.valid_from) as price_valid_from,
        case
            when overrides.provider is not null then 'override'
            when tier_variant.model_id is not null then 'catalog_' || tier_variant.variant
            when tier_multipliers.multiplier is not null then 'catalog_x_tier_multiplier'
            when list_price.model_id is not null then 'catalog'
        end as price_source,
        -- the catalog row in force: the tier's own variant if the catalog has one, else the list price
        {% for field in ['input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok', 'cache_write_1h_mtok'] %}
        case when tier_variant.model_id is not null then tier_variant.{{ field }}_tiers
             else list_price.{{ field }}_tiers end as {{ field }}_tiers,
        {% endfor %}
        {% for price in ['input_usd_per_mtok', 'output_usd_per_mtok', 'cache_read_usd_per_mtok',
                         'cache_write_5m_usd_per_mtok', 'cache_write_1h_usd_per_mtok'] %}
        case when tier_variant.model_id is not null then tier_variant.{{ price }}
             else list_price.{{ price }} * coalesce(tier_multipliers.multiplier, 1) end as catalog_{{ price }},
        overrides.{{ price }} as override_{{ price }},
        {% endfor %}
        case when tier_variant.model_id is null then coalesce(tier_multipliers.multiplier, 1) else 1 end
            as tier_multiplier,
        coalesce(overrides.discount_pct, 0) as override_discount_pct,
        overrides.usd_per_request as override_usd_per_request,
        overrides.usd_per_unit as override_usd_per_unit,
        overrides.unit as override_unit,
        coalesce(tier_variant.usd_per_thousand_requests, list_price.usd_per_thousand_requests)
            as catalog_usd_per_thousand_requests
    from events
    left join matched
        on events.provider = matched.provider
        and events.model = matched.model
    left join catalog as list_price
        on matched.catalog_provider_id = list_price.provider_id
        and matched.catalog_model_id = list_price.model_id
        and list_price.variant = 'default'
        and events.usage_date >= list_price.valid_from
        and events.usage_date < list_price.valid_to
    left join catalog as tier_variant
        on matched.catalog_provider_id = tier_variant.provider_id
        and matched.catalog_model_id = tier_variant.model_id
        and tier_variant.variant = case events.service_tier
            when 'batch' then 'processing=batch'
            when 'flex' then 'service_tier=flex'
            when 'priority' then 'service_tier=priority'
        end
        and events.usage_date >= tier_variant.valid_from
        and events.usage_date < tier_variant.valid_to
    left join tier_multipliers
        on events.provider = tier_multipliers.provider
        and events.service_tier = tier_multipliers.service_tier
    left join overrides
        on events.provider = overrides.event_provider
        and events.model = overrides.event_model
        and (overrides.service_tier is null or overrides.service_tier = events.service_tier)
        and events.usage_date >= overrides.valid_from
        and events.usage_date < overrides.valid_to

),

resolved as (

    select
        *,
        {% for price, field in [('input_usd_per_mtok', 'input_mtok'), ('output_usd_per_mtok', 'output_mtok'),
                                ('cache_read_usd_per_mtok', 'cache_read_mtok'),
                                ('cache_write_5m_usd_per_mtok', 'cache_write_mtok'),
                                ('cache_write_1h_usd_per_mtok', 'cache_write_1h_mtok')] %}
        coalesce(
            override_{{ price }},
            {{ context_tier_price('catalog_' ~ price, field ~ '_tiers', 'tier_multiplier') }}
                * (1 - override_discount_pct * 0.01)
        ) as {{ price }},
        {% endfor %}
        case when override_unit is not null and override_unit = unit then quantity * override_usd_per_unit end
            as unit_cost_usd,
        coalesce(override_usd_per_request, catalog_usd_per_thousand_requests * 0.001) as usd_per_request
    from joined

),

costed as (

    select
        *,
        app_cache_hit or input_usd_per_mtok is not null or unit_cost_usd is not null
            or override_usd_per_request is not null as is_priced,
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
    from resolved

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

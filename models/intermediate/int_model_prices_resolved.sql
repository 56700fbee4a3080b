-- The price in force for every (provider, model, service tier, day, context-size bucket) that occurs
-- in usage: a small table, so pricing millions of events is one equality join.
-- Which price: an override from the model_price_overrides seed (negotiated rate, committed-use
-- discount, self-hosted per request or per unit) wins; else the catalog's price variant for the
-- service tier (batch, flex, priority); else the catalog's list price times the tier's multiplier from
-- the service_tier_multipliers seed. `context_tier_start` is the highest context-size tier start the
-- call's input tokens pass (0 = base price); genai-prices applies that tier to every token of the call.
with usage_keys as (

    select distinct provider, model, service_tier, usage_date from {{ ref('stg_usage__events') }}

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

-- overrides resolved per logged model name (by its own name or its catalog model id)
overrides as (

    select matched.provider as event_provider, matched.model as event_model, price_overrides.*
    from {{ ref('model_price_overrides') }} as price_overrides
    inner join matched
        on matched.provider = lower(price_overrides.provider)
        and (lower(matched.model) = lower(price_overrides.model)
             or matched.catalog_model_id = lower(price_overrides.model))

),

thresholds as (

    select * from {{ ref('int_model_context_thresholds') }}

),

keys as (

    select
        usage_keys.*,
        matched.catalog_provider_id,
        matched.catalog_model_id,
        {{ array_rows(array_join(array_of(['0']), 'coalesce(thresholds.context_tier_starts, ' ~ array_of([]) ~ ')')) }}
            as context_tier_start
    from usage_keys
    left join matched using (provider, model)
    left join thresholds using (provider, model)

),

joined as (

    select
        keys.*,
        coalesce(tier_variant.valid_from, list_price.valid_from) as price_valid_from,
        case
            when overrides.event_provider is not null then 'override'
            when tier_variant.model_id is not null then 'catalog_' || tier_variant.variant
            when tier_multipliers.multiplier is not null and list_price.model_id is not null
                then 'catalog_x_tier_multiplier'
            when list_price.model_id is not null then 'catalog'
        end as price_source,
        case when tier_variant.model_id is null then coalesce(tier_multipliers.multiplier, 1) else 1 end
            as tier_multiplier,
        {% for price, field in [('input_usd_per_mtok', 'input_mtok'), ('output_usd_per_mtok', 'output_mtok'),
                                ('cache_read_usd_per_mtok', 'cache_read_mtok'),
                                ('cache_write_5m_usd_per_mtok', 'cache_write_mtok'),
                                ('cache_write_1h_usd_per_mtok', 'cache_write_1h_mtok')] %}
        case when tier_variant.model_id is not null then tier_variant.{{ price }} else list_price.{{ price }} end
            as catalog_base_{{ price }},
        case when tier_variant.model_id is not null then tier_variant.{{ field }}_tiers
             else list_price.{{ field }}_tiers end as {{ field }}_tiers,
        overrides.{{ price }} as override_{{ price }},
        {% endfor %}
        coalesce(overrides.discount_pct, 0) as override_discount_pct,
        overrides.usd_per_request as override_usd_per_request,
        overrides.usd_per_unit as override_usd_per_unit,
        overrides.unit as override_unit,
        coalesce(tier_variant.usd_per_thousand_requests, list_price.usd_per_thousand_requests)
            as catalog_usd_per_thousand_requests
    from keys
    left join catalog as list_price
        on keys.catalog_provider_id = list_price.provider_id
        and keys.catalog_model_id = list_price.model_id
        and list_price.variant = 'default'
        and keys.usage_date >= list_price.valid_from
        and keys.usage_date < list_price.valid_to
    left join catalog as tier_variant
        on keys.catalog_provider_id = tier_variant.provider_id
        and keys.catalog_model_id = tier_variant.model_id
        and tier_variant.variant = case keys.service_tier
            when 'batch' then 'processing=batch'
            when 'flex' then 'service_tier=flex'
            when 'priority' then 'service_tier=priority'
        end
        and keys.usage_date >= tier_variant.valid_from
        and keys.usage_date < tier_variant.valid_to
    left join tier_multipliers
        on keys.provider = tier_multipliers.provider
        and keys.service_tier = tier_multipliers.service_tier
    left join overrides
        on keys.provider = overrides.event_provider
        and keys.model = overrides.event_model
        and (overrides.service_tier is null or overrides.service_tier = keys.service_tier)
        and keys.usage_date >= overrides.valid_from
        and keys.usage_date < overrides.valid_to

),

final as (

    select
        provider,
        model,
        service_tier,
        usage_date,
        context_tier_start,
        catalog_provider_id,
        catalog_model_id,
        price_source,
        price_valid_from,
        {% for price, field in [('input_usd_per_mtok', 'input_mtok'), ('output_usd_per_mtok', 'output_mtok'),
                                ('cache_read_usd_per_mtok', 'cache_read_mtok'),
                                ('cache_write_5m_usd_per_mtok', 'cache_write_mtok'),
                                ('cache_write_1h_usd_per_mtok', 'cache_write_1h_mtok')] %}
        cast(coalesce(
            override_{{ price }},
            coalesce(
                {{ array_item(array_where(field ~ '_tiers', 't', "t['start'] <= context_tier_start"), 1) }}.price,
                catalog_base_{{ price }}
            ) * tier_multiplier * (1 - override_discount_pct * 0.01)
        ) as decimal(38, 12)) as {{ price }},
        {% endfor %}
        cast(coalesce(override_usd_per_request, catalog_usd_per_thousand_requests * 0.001) as decimal(38, 12))
            as usd_per_request,
        override_usd_per_request is not null as has_request_price_override,
        cast(override_usd_per_unit as decimal(38, 12)) as usd_per_unit,
        override_unit as priced_unit
    from joined

)

select * from final

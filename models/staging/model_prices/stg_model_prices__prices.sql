-- Effective-dated list prices, USD per million tokens, with context-size tiers: genai-prices applies
-- a tier's price to every token of a request whose input tokens exceed the tier's start.
with source as (

    {{ source_columns('model_prices', 'model_prices', {
        'provider_id': 'string', 'model_id': 'string', 'model_name': 'string', 'variant': 'string',
        'valid_from': 'date', 'valid_to': 'date', 'constraint_note': 'string',
        'input_mtok': 'decimal(38, 12)', 'output_mtok': 'decimal(38, 12)', 'cache_read_mtok': 'decimal(38, 12)',
        'cache_write_mtok': 'decimal(38, 12)', 'cache_write_1h_mtok': 'decimal(38, 12)',
        'requests_kcount': 'decimal(38, 12)', 'tiers': 'string', 'other_prices': 'string'
    }) }}

),

final as (

    select
        provider_id,
        model_id,
        model_name,
        variant,
        coalesce(valid_from, date '1900-01-01') as valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to,
        input_mtok as input_usd_per_mtok,
        output_mtok as output_usd_per_mtok,
        coalesce(cache_read_mtok, input_mtok) as cache_read_usd_per_mtok,
        coalesce(cache_write_mtok, input_mtok) as cache_write_5m_usd_per_mtok,
        coalesce(cache_write_1h_mtok, cache_write_mtok, input_mtok) as cache_write_1h_usd_per_mtok,
        requests_kcount as usd_per_thousand_requests,
        {% for field in ['input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok', 'cache_write_1h_mtok'] %}
        -- tiers of {{ field }}, highest start first: [{start, price}]
        {{ price_tiers('tiers', field) }} as {{ field }}_tiers,
        {% endfor %}
        tiers is not null as has_context_tiers,
        other_prices
    from source
    where constraint_note is null

)

select * from final

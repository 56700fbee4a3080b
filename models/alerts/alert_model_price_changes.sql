-- A price change (catalog or override) for a model in use, day over day.
with prices as (

    select
        usage_date, provider, model, service_tier, input_usd_per_mtok, output_usd_per_mtok,
        lag(input_usd_per_mtok) over by_day as prev_input_usd_per_mtok,
        lag(output_usd_per_mtok) over by_day as prev_output_usd_per_mtok
    from {{ ref('int_model_prices_resolved') }}
    where context_tier_start = 0
    window by_day as (partition by provider, model, service_tier order by usage_date)

),

price_changes as (

    select
        usage_date as alert_date, 'model_price_change' as alert_type, 'warning' as severity, 'model' as entity_type,
        provider || '/' || model || coalesce(' (' || service_tier || ')', '') as entity_id,
        'output USD per million tokens (input ' || coalesce(prev_input_usd_per_mtok::string, '?') || ' -> '
            || coalesce(input_usd_per_mtok::string, '?') || ')' as metric,
        output_usd_per_mtok as metric_value,
        null as threshold,
        prev_output_usd_per_mtok as baseline_value,
        (input_usd_per_mtok is distinct from prev_input_usd_per_mtok)
            or (output_usd_per_mtok is distinct from prev_output_usd_per_mtok) as is_on
    from prices
    where prev_input_usd_per_mtok is not null or prev_output_usd_per_mtok is not null

)

{{ alert_rows('price_changes') }}

-- Production calls per day, customer, feature, provider, model and service tier with their tokens split
-- the way prices split them, bucketed by input size: the grain at which a call mix can be re-priced at
-- another model's prices exactly (models/simulations/). `input_size_bucket` is the largest context-size
-- tier start anywhere in the catalog that the call's input tokens pass (0 when none), so any model's
-- context tier applies to exactly the calls it would. Incremental by day (macros/usage_days.sql).
-- On Spark a plain table, rebuilt whole: no delete or merge on its parquet tables (incremental on Delta
-- is a later step), so the pre-hook and usage_days_not_built() render nothing there.
{{ config(materialized='table' if target.type == 'spark' else 'incremental',
          incremental_strategy='delete+insert', unique_key='usage_date',
          on_schema_change='fail', pre_hook="{{ delete_usage_days_to_rebuild('is_production and not app_cache_hit') }}") }}

with tier_starts as (

    -- every tier list's starts, as pricing reads them (int_model_context_thresholds)
    {%- set all_tiers = namespace(expr=none) -%}
    {%- for field in ['input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok', 'cache_write_1h_mtok'] -%}
        {%- set tiers = 'coalesce(' ~ field ~ '_tiers, ' ~ array_of([]) ~ ')' -%}
        {%- set all_tiers.expr = tiers if loop.first else array_join(all_tiers.expr, tiers) -%}
    {%- endfor %}
    select {{ array_sorted_set('flatten(array_agg(' ~ array_map(all_tiers.expr, 't', 't.start') ~ '))') }} as starts
    from {{ ref('stg_model_prices__prices') }}

),

events as (

    select
        events.*,
        coalesce({{ array_largest(array_where('tier_starts.starts', 's', 'events.input_tokens > s')) }}, 0)
            as input_size_bucket
    from {{ ref('int_usage_events_priced') }} as events
    cross join tier_starts
    -- calls answered from the application's own cache cost nothing on any model
    where events.is_production and not events.app_cache_hit and {{ usage_days_not_built() }}

)

select
    usage_date,
    customer_id,
    feature,
    provider,
    model,
    service_tier,
    {{ cost_layer() }} as cost_layer,
    input_size_bucket,
    count(*) as requests,
    sum(input_tokens - cache_read_input_tokens - cache_write_5m_input_tokens - cache_write_1h_input_tokens)
        as uncached_input_tokens,
    sum(cache_read_input_tokens) as cache_read_input_tokens,
    sum(cache_write_5m_input_tokens) as cache_write_5m_input_tokens,
    sum(cache_write_1h_input_tokens) as cache_write_1h_input_tokens,
    sum(output_tokens - reasoning_tokens) as non_reasoning_output_tokens,
    sum(reasoning_tokens) as reasoning_tokens,
    count(*) filter (where not is_priced) as unpriced_requests,
    sum(coalesce(estimated_cost_usd, 0)) as estimated_cost_usd,
    max(priced_at) as priced_through
from events
group by all

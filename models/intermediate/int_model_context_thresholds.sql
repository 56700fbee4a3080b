-- Context-size tier starts (in input tokens) of every (provider, model) in usage whose catalog price
-- has tiers: a call whose input tokens pass a start is priced at that tier.
-- A view: a few rows over two small tables, read by the price resolution and the pricing.
{{ config(materialized='view') }}
{%- set tier_start_lists = [] -%}
{%- for field in ['input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok', 'cache_write_1h_mtok'] -%}
    {%- do tier_start_lists.append('coalesce(' ~ array_map('catalog.' ~ field ~ '_tiers', 't', 't.start') ~ ', '
                                   ~ array_of([]) ~ ')') -%}
{%- endfor %}
with matched as (

    select * from {{ ref('int_usage_models_matched') }} where has_catalog_match

),

catalog as (

    select * from {{ ref('stg_model_prices__prices') }} where has_context_tiers

),

starts as (

    select
        matched.provider,
        matched.model,
        {{ array_rows('flatten(' ~ array_of(tier_start_lists) ~ ')') }} as tier_start
    from matched
    inner join catalog
        on matched.catalog_provider_id = catalog.provider_id
        and matched.catalog_model_id = catalog.model_id

)

select provider, model, {{ array_sorted_set('array_agg(tier_start)') }} as context_tier_starts
from starts
group by provider, model

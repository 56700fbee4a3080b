-- The models a feature could move to: every model with a benchmark score (seed model_benchmarks) and
-- every model the application calls, at the catalog's list price in force on the simulation's last day
-- (`default` variant, context-size tiers kept; negotiated overrides and service tiers are not applied).
-- The score is MMLU (OpenAI simple-evals): its tier groups candidates as frontier, mid or budget; a
-- model without a score stays a candidate, shown as `unscored`, never given one.
with period as (

    {{ simulation_period() }}

),

scores as (

    select
        provider,
        catalog_provider_id,
        model,
        max(score) filter (where benchmark = 'mmlu') as mmlu_score,
        max(score) filter (where benchmark = 'gpqa') as gpqa_score,
        max(score) filter (where benchmark = 'mmlu_pro') as mmlu_pro_score
    from {{ ref('model_benchmarks') }}
    group by all

),

used as (

    select distinct provider, catalog_provider_id, catalog_model_id as model
    from {{ ref('int_usage_models_matched') }}
    where has_catalog_match
        and (provider, model) in (select provider, model from {{ ref('int_usage_token_mix_daily') }}
                                  where cost_layer = 'inference')

),

candidates as (

    select provider, catalog_provider_id, model from scores
    union
    select provider, catalog_provider_id, model from used

),

list_prices as (

    select catalog.*
    from {{ ref('stg_model_prices__prices') }} as catalog, period
    where catalog.variant = 'default'
        and period.to_date >= catalog.valid_from
        and period.to_date < catalog.valid_to
        and catalog.input_usd_per_mtok is not null
        and catalog.output_usd_per_mtok is not null

)

select
    candidates.provider,
    candidates.model,
    candidates.catalog_provider_id,
    scores.mmlu_score as score,
    scores.gpqa_score,
    scores.mmlu_pro_score,
    case
        when scores.mmlu_score is null then 'unscored'
        when scores.mmlu_score >= {{ var('swap_frontier_min_score') }} then 'frontier'
        when scores.mmlu_score >= {{ var('swap_mid_min_score') }} then 'mid'
        else 'budget'
    end as tier,
    list_prices.valid_from as price_valid_from,
    list_prices.input_usd_per_mtok,
    list_prices.output_usd_per_mtok,
    list_prices.cache_read_usd_per_mtok,
    list_prices.cache_write_5m_usd_per_mtok,
    list_prices.cache_write_1h_usd_per_mtok,
    list_prices.usd_per_thousand_requests,
    list_prices.input_mtok_tiers,
    list_prices.output_mtok_tiers,
    list_prices.cache_read_mtok_tiers,
    list_prices.cache_write_mtok_tiers,
    list_prices.cache_write_1h_mtok_tiers
from candidates
inner join list_prices
    on list_prices.provider_id = candidates.catalog_provider_id
    and list_prices.model_id = candidates.model
-- by the catalog's model, whichever provider name the application calls it under
left join scores
    on scores.catalog_provider_id = candidates.catalog_provider_id
    and scores.model = candidates.model

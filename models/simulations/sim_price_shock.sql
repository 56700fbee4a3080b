-- Price-shock drill, per feature: a provider's (or one model's) prices multiplied by a factor from a
-- date (macros/simulation.sql, shock_scenario). For the shock's window: each feature's margin before
-- and after, its zone against its floor, the dollars a month the shock costs, and for a feature below
-- its floor after the shock the candidate models (sim_swap_candidates, priced with the same shock where
-- it hits them) that would bring it back to its floor, cheapest first (up to five).
with scenario as (

    {{ shock_scenario() }}

),

mix as (

    select
        mix.*,
        matched.catalog_model_id,
        {{ is_shocked('mix.provider', ['mix.model', 'matched.catalog_model_id']) }} as is_shocked
    from {{ ref('int_usage_token_mix_daily') }} as mix
    cross join scenario
    left join {{ ref('int_usage_models_matched') }} as matched using (provider, model)
    where mix.usage_date between scenario.from_date and scenario.to_date

),

costs as (

    select
        feature,
        coalesce(sum(estimated_cost_usd) filter (where cost_layer = 'inference'), 0) as inference_cost_usd,
        coalesce(sum(estimated_cost_usd) filter (where is_shocked), 0) as shocked_cost_usd,
        coalesce(sum(estimated_cost_usd) filter (where is_shocked and cost_layer = 'inference'), 0)
            as shocked_inference_cost_usd
    from mix
    group by feature

),

margins as (

    {{ waterfall_totals(['feature'], 'scenario') }}

),

floors as (

    {{ feature_floors() }}

),

judged as (

    select
        costs.feature,
        floors.margin_floor_pct,
        coalesce(margins.revenue_usd, 0) as revenue_usd,
        coalesce(margins.margin_usd, 0) as margin_before_usd,
        costs.shocked_cost_usd * (scenario.factor - 1) as shock_cost_usd,
        coalesce(margins.margin_usd, 0) - costs.shocked_cost_usd * (scenario.factor - 1) as margin_after_usd,
        -- the margin a swap starts from: the feature's inference calls (shock included) taken out
        coalesce(margins.margin_usd, 0) - costs.shocked_cost_usd * (scenario.factor - 1)
            + costs.inference_cost_usd + costs.shocked_inference_cost_usd * (scenario.factor - 1)
            as margin_without_inference_usd,
        scenario.days
    from costs
    cross join scenario
    left join margins using (feature)
    left join floors using (feature)

),

-- each candidate for the whole of the feature's inference calls, under the same shock
shocked_candidates as (

    select
        candidate.*,
        case when {{ is_shocked('candidate.provider', ['candidate.model']) }} then scenario.factor else 1 end
            as shock_multiplier
    from {{ ref('sim_swap_candidates') }} as candidate
    cross join scenario

),

-- the features' inference tokens by input size (a price is linear in them): few rows to re-price
feature_mix as (

    select
        feature,
        input_size_bucket,
        sum(requests) as requests,
        sum(uncached_input_tokens) as uncached_input_tokens,
        sum(cache_read_input_tokens) as cache_read_input_tokens,
        sum(cache_write_5m_input_tokens) as cache_write_5m_input_tokens,
        sum(cache_write_1h_input_tokens) as cache_write_1h_input_tokens,
        sum(non_reasoning_output_tokens) as non_reasoning_output_tokens,
        sum(reasoning_tokens) as reasoning_tokens
    from mix
    where cost_layer = 'inference'
    group by feature, input_size_bucket

),

swaps as (

    select
        mix.feature,
        candidate.provider as candidate_provider,
        candidate.model as candidate_model,
        sum({{ repriced_cost('candidate') }}) * candidate.shock_multiplier as projected_cost_usd
    from feature_mix as mix
    cross join shocked_candidates as candidate
    group by mix.feature, candidate.provider, candidate.model, candidate.shock_multiplier

),

restoring as (

    select
        judged.feature,
        {{ ordered_array_agg('swaps.candidate_model', ['swaps.projected_cost_usd', 'swaps.candidate_model']) }}
            as swaps_back_to_floor
    from judged
    inner join swaps using (feature)
    where judged.revenue_usd > 0
        and judged.margin_after_usd * 100 < judged.margin_floor_pct * judged.revenue_usd
        and (judged.margin_without_inference_usd - swaps.projected_cost_usd) * 100
            >= judged.margin_floor_pct * judged.revenue_usd
    group by judged.feature

)

select
    judged.feature,
    scenario.shock_provider,
    scenario.shock_model,
    scenario.factor as shock_factor,
    scenario.from_date as shock_from,
    scenario.to_date as shock_to,
    judged.margin_floor_pct,
    cast(judged.revenue_usd as {{ money_type() }}) as revenue_usd,
    cast(judged.margin_before_usd as {{ money_type() }}) as margin_before_usd,
    cast(judged.margin_after_usd as {{ money_type() }}) as margin_after_usd,
    {{ margin_pct('judged.margin_before_usd', 'judged.revenue_usd') }} as margin_before_pct,
    {{ margin_pct('judged.margin_after_usd', 'judged.revenue_usd') }} as margin_after_pct,
    {{ margin_zone(margin_pct('judged.margin_before_usd', 'judged.revenue_usd'), 'judged.margin_floor_pct',
                   'judged.revenue_usd - judged.margin_before_usd') }} as zone_before,
    {{ margin_zone(margin_pct('judged.margin_after_usd', 'judged.revenue_usd'), 'judged.margin_floor_pct',
                   'judged.revenue_usd - judged.margin_after_usd') }} as zone_after,
    cast(judged.shock_cost_usd as {{ money_type() }}) as shock_cost_usd,
    {{ per_days('judged.shock_cost_usd', 'judged.days', 30) }} as shock_cost_per_month_usd,
    coalesce({{ array_slice('restoring.swaps_back_to_floor', 1, 5) }}, {{ array_of([]) }}) as swaps_back_to_floor
from judged
cross join scenario
left join restoring using (feature)

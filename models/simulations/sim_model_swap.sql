-- Feature x candidate model: what the feature's inference calls of the simulation period would have
-- cost at the candidate's list prices, the margin it would then have had, and the candidates ranked by
-- benchmark score and by score per dollar. `is_comparable`: the candidate is in the same score tier
-- (frontier / mid / budget) as the model that carries most of the feature's cost today.
with period as (

    {{ simulation_period() }}

),

by_feature as (

    select
        feature,
        candidate_provider,
        candidate_model,
        sum(requests) as requests,
        sum(current_cost_usd) as current_cost_usd,
        sum(projected_cost_usd) as projected_cost_usd
    from {{ ref('sim_model_swap_customers') }}
    group by all

),

-- the feature's whole revenue and margin, customers without inference calls included
feature_margins as (

    {{ waterfall_totals(['feature'], 'period') }}

),

-- the catalog model carrying most of each feature's estimated cost in the period
current_model as (

    select
        feature,
        -- one (provider, model) pair; a tie goes to the alphabetically last model
        max_by(
            {{ struct_of({'provider': 'provider', 'model': 'catalog_model_id'}) }},
            {{ struct_of({'cost': 'cost', 'model': 'catalog_model_id'}) }}
        ) as main_model
    from (
        select mix.feature, mix.provider, matched.catalog_model_id, sum(mix.estimated_cost_usd) as cost
        from {{ ref('int_usage_token_mix_daily') }} as mix
        cross join period
        inner join {{ ref('int_usage_models_matched') }} as matched using (provider, model)
        where mix.cost_layer = 'inference' and mix.usage_date between period.from_date and period.to_date
        group by all
    ) as by_model
    group by feature

),

joined as (

    select
        by_feature.*,
        coalesce(feature_margins.revenue_usd, 0) as revenue_usd,
        coalesce(feature_margins.margin_usd, 0) as current_margin_usd,
        coalesce(feature_margins.margin_usd, 0) + by_feature.current_cost_usd - by_feature.projected_cost_usd
            as projected_margin_usd,
        current_model.main_model['provider'] as current_provider,
        current_model.main_model['model'] as current_model,
        candidate.score,
        candidate.gpqa_score,
        candidate.mmlu_pro_score,
        candidate.tier,
        current_candidate.score as current_score,
        coalesce(current_candidate.tier, 'unscored') as current_tier,
        by_feature.candidate_provider = current_model.main_model['provider']
            and by_feature.candidate_model = current_model.main_model['model'] as is_current_model,
        candidate.tier = current_candidate.tier and candidate.tier <> 'unscored' as is_comparable,
        period.from_date as period_from,
        period.to_date as period_to,
        period.days as period_days
    from by_feature
    cross join period
    inner join {{ ref('sim_swap_candidates') }} as candidate
        on candidate.provider = by_feature.candidate_provider and candidate.model = by_feature.candidate_model
    left join current_model using (feature)
    left join feature_margins using (feature)
    left join {{ ref('sim_swap_candidates') }} as current_candidate
        on current_candidate.provider = current_model.main_model['provider']
        and current_candidate.model = current_model.main_model['model']

)

select
    feature,
    period_from,
    period_to,
    candidate_provider,
    candidate_model,
    tier,
    score,
    gpqa_score,
    mmlu_pro_score,
    current_provider,
    current_model,
    current_tier,
    current_score,
    is_current_model,
    coalesce(is_comparable, false) as is_comparable,
    requests,
    cast(revenue_usd as {{ money_type() }}) as revenue_usd,
    cast(current_cost_usd as {{ money_type() }}) as current_cost_usd,
    cast(projected_cost_usd as {{ money_type() }}) as projected_cost_usd,
    cast(current_cost_usd - projected_cost_usd as {{ money_type() }}) as savings_usd,
    {{ per_days('(current_cost_usd - projected_cost_usd)', 'period_days', 91) }} as savings_per_quarter_usd,
    cast(current_margin_usd as {{ money_type() }}) as current_margin_usd,
    cast(projected_margin_usd as {{ money_type() }}) as projected_margin_usd,
    {{ margin_pct('current_margin_usd', 'revenue_usd') }} as current_margin_pct,
    {{ margin_pct('projected_margin_usd', 'revenue_usd') }} as projected_margin_pct,
    -- benchmark points per dollar of the period's projected cost: display only
    case when projected_cost_usd > 0 then round(score / cast(projected_cost_usd as double), 4) end
        as score_per_dollar,
    rank() over (partition by feature order by score desc nulls last) as rank_by_score,
    rank() over (partition by feature order by score / nullif(cast(projected_cost_usd as double), 0) desc nulls last)
        as rank_by_score_per_dollar,
    rank() over (partition by feature, tier order by projected_cost_usd) as rank_by_cost_in_tier
from joined

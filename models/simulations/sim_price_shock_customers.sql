-- Price-shock drill, per customer (the scenario of sim_price_shock): each customer's margin before and
-- after over the shock's window, its profitability (fct_customer_margin's bands) before and after, and
-- the dollars a month the shock costs.
with scenario as (

    {{ shock_scenario() }}

),

costs as (

    select mix.customer_id, sum(mix.estimated_cost_usd) as shocked_cost_usd
    from {{ ref('int_usage_token_mix_daily') }} as mix
    cross join scenario
    left join {{ ref('int_usage_models_matched') }} as matched using (provider, model)
    where mix.usage_date between scenario.from_date and scenario.to_date
        and {{ is_shocked('mix.provider', ['mix.model', 'matched.catalog_model_id']) }}
    group by mix.customer_id

),

margins as (

    {{ waterfall_totals(['customer_id'], 'scenario',
                        "waterfall.customer_id <> '" ~ var('unattributed_customer_id') ~ "'") }}

),

judged as (

    select
        margins.customer_id,
        margins.revenue_usd,
        margins.margin_usd as margin_before_usd,
        coalesce(costs.shocked_cost_usd, 0) * (scenario.factor - 1) as shock_cost_usd,
        margins.margin_usd - coalesce(costs.shocked_cost_usd, 0) * (scenario.factor - 1) as margin_after_usd,
        scenario.days
    from margins
    cross join scenario
    left join costs using (customer_id)

)

select
    customer_id,
    cast(revenue_usd as {{ money_type() }}) as revenue_usd,
    cast(margin_before_usd as {{ money_type() }}) as margin_before_usd,
    cast(margin_after_usd as {{ money_type() }}) as margin_after_usd,
    {{ margin_pct('margin_before_usd', 'revenue_usd') }} as margin_before_pct,
    {{ margin_pct('margin_after_usd', 'revenue_usd') }} as margin_after_pct,
    {{ profitability('margin_before_usd', 'revenue_usd') }} as profitability_before,
    {{ profitability('margin_after_usd', 'revenue_usd') }} as profitability_after,
    cast(shock_cost_usd as {{ money_type() }}) as shock_cost_usd,
    {{ per_days('shock_cost_usd', 'days', 30) }} as shock_cost_per_month_usd
from judged

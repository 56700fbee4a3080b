-- Change forecast: a feature's input, output or reasoning tokens, its requests, or its model mix changed
-- by given amounts from a date (vars change_feature, change_from, change_input_tokens_pct,
-- change_output_tokens_pct, change_reasoning_tokens_pct, change_requests_pct, change_to_model (and
-- change_to_provider) with change_model_share_pct). Day x feature x customer over the simulation
-- period: the actual margin and the margin the change implies, its calls re-priced at their model's list
-- prices with and without the change (input changes scale every input token type, cached ones too; more
-- requests scale every token). Revenue is left as it was.
with period as (

    {{ simulation_period() }}

),

scenario as (

    select
        nullif('{{ var("change_feature", "") }}', '') as feature,
        greatest(
            coalesce(
                cast(nullif('{{ var("change_from", "") }}', '') as date),
                period.from_date
            ),
            period.from_date
        ) as from_date,
        -- exact decimals: "/" on decimals would go through a double
        (100 + cast('{{ var("change_input_tokens_pct", 0) }}' as decimal(18, 6))) * 0.01 as input_scale,
        (100 + cast('{{ var("change_output_tokens_pct", 0) }}' as decimal(18, 6))) * 0.01 as output_scale,
        (100 + cast('{{ var("change_reasoning_tokens_pct", 0) }}' as decimal(18, 6))) * 0.01 as reasoning_scale,
        (100 + cast('{{ var("change_requests_pct", 0) }}' as decimal(18, 6))) * 0.01 as request_scale,
        nullif('{{ var("change_to_model", "") }}', '') as to_model,
        nullif('{{ var("change_to_provider", "") }}', '') as to_provider,
        cast('{{ var("change_model_share_pct", 0) }}' as decimal(18, 6)) * 0.01 as model_share
    from period

),

-- the model calls move to: one candidate (a model several providers sell needs change_to_provider)
target as (

    select candidate.*
    from {{ ref('sim_swap_candidates') }} as candidate
    inner join scenario
        on candidate.model = scenario.to_model
        and (scenario.to_provider is null or candidate.provider = scenario.to_provider)
    qualify row_number() over (order by candidate.provider) = 1

),

checked_scenario as (

    select
        scenario.*,
        case when scenario.to_model is not null and (select count(*) from target) = 0
            then {{ raise_sql_error(
                "'change_to_model ' || scenario.to_model || ' is no candidate model (sim_swap_candidates)'") }}
        end as unknown_target
    from scenario

),

mix as (

    select mix.*, matched.catalog_model_id
    from {{ ref('int_usage_token_mix_daily') }} as mix
    cross join scenario
    cross join period
    left join {{ ref('int_usage_models_matched') }} as matched using (provider, model)
    where mix.usage_date between scenario.from_date and period.to_date
        and (scenario.feature is null or mix.feature = scenario.feature)
        -- no change, nothing to re-price (the default scenario)
        and (scenario.input_scale <> 1 or scenario.output_scale <> 1 or scenario.reasoning_scale <> 1
             or scenario.request_scale <> 1 or scenario.model_share <> 0)

),

-- what each changed call costs more (or less): the change re-priced at the call's own model, and the
-- share moved to another model at that model's prices
deltas as (

    select
        mix.usage_date,
        mix.feature,
        mix.customer_id,
        sum(mix.requests) filter (where own.model is null) as unrepriced_requests,
        sum(
            {{ repriced_cost('own', 'scenario.input_scale', 'scenario.output_scale', 'scenario.reasoning_scale',
                             'scenario.request_scale') }}
            - {{ repriced_cost('own') }}
            + coalesce(scenario.model_share * (
                {{ repriced_cost('target', 'scenario.input_scale', 'scenario.output_scale',
                                 'scenario.reasoning_scale', 'scenario.request_scale') }}
                - {{ repriced_cost('own', 'scenario.input_scale', 'scenario.output_scale',
                                   'scenario.reasoning_scale', 'scenario.request_scale') }}), 0)
        ) as change_cost_usd
    from mix
    cross join checked_scenario as scenario
    -- calls of a model without a list price cannot be re-priced: counted in unrepriced_requests
    left join {{ ref('sim_swap_candidates') }} as own
        on own.provider = mix.provider and own.model = mix.catalog_model_id
    left join target on true
    where scenario.unknown_target is null  -- evaluated per row: a misspelt model fails the build, by name
    group by all

),

actuals as (

    select waterfall.margin_date, waterfall.feature, waterfall.customer_id,
           waterfall.revenue_usd, waterfall.total_cost_usd, waterfall.gross_margin_usd
    from {{ ref('fct_margin_waterfall') }} as waterfall, period
    where waterfall.margin_date between period.from_date and period.to_date

)

select
    actuals.margin_date,
    actuals.feature,
    actuals.customer_id,
    actuals.margin_date >= scenario.from_date and (scenario.feature is null or actuals.feature = scenario.feature)
        as is_changed,
    actuals.revenue_usd,
    actuals.total_cost_usd,
    actuals.gross_margin_usd,
    cast(coalesce(deltas.change_cost_usd, 0) as {{ money_type() }}) as change_cost_usd,
    coalesce(deltas.unrepriced_requests, 0) as unrepriced_requests,
    cast(actuals.gross_margin_usd - coalesce(deltas.change_cost_usd, 0) as {{ money_type() }}) as forecast_margin_usd,
    {{ margin_pct('actuals.gross_margin_usd', 'actuals.revenue_usd') }} as margin_pct,
    {{ margin_pct('actuals.gross_margin_usd - coalesce(deltas.change_cost_usd, 0)', 'actuals.revenue_usd') }}
        as forecast_margin_pct
from actuals
cross join scenario
left join deltas
    on deltas.usage_date = actuals.margin_date
    and deltas.feature = actuals.feature
    and deltas.customer_id = actuals.customer_id

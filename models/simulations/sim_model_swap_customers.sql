-- Feature x customer x candidate model: the period's inference calls of the feature (their real mix of
-- uncached, cached, cache-write, output and reasoning tokens, by input size) re-priced at the
-- candidate's list prices, and the margin the customer's use of the feature would then have had.
-- Revenue, the other cost layers and the bill reconciliation residual stay as they were; only the
-- calls' estimated cost is replaced. `customer_rank` orders a feature's customers by the dollars the
-- swap moves (1 = most affected).
with period as (

    {{ simulation_period() }}

),

mix as (

    select
        mix.feature,
        mix.customer_id,
        mix.input_size_bucket,
        sum(mix.requests) as requests,
        sum(mix.uncached_input_tokens) as uncached_input_tokens,
        sum(mix.cache_read_input_tokens) as cache_read_input_tokens,
        sum(mix.cache_write_5m_input_tokens) as cache_write_5m_input_tokens,
        sum(mix.cache_write_1h_input_tokens) as cache_write_1h_input_tokens,
        sum(mix.non_reasoning_output_tokens) as non_reasoning_output_tokens,
        sum(mix.reasoning_tokens) as reasoning_tokens,
        sum(mix.estimated_cost_usd) as estimated_cost_usd
    from {{ ref('int_usage_token_mix_daily') }} as mix, period
    where mix.cost_layer = 'inference'
        and mix.usage_date between period.from_date and period.to_date
    group by all

),

repriced as (

    select
        mix.feature,
        mix.customer_id,
        candidate.provider as candidate_provider,
        candidate.model as candidate_model,
        sum(mix.requests) as requests,
        sum(mix.estimated_cost_usd) as current_cost_usd,
        sum({{ repriced_cost('candidate') }}) as projected_cost_usd
    from mix
    cross join {{ ref('sim_swap_candidates') }} as candidate
    group by all

),

margins as (

    {{ waterfall_totals(['feature', 'customer_id'], 'period') }}

),

final as (

    select
        repriced.feature,
        repriced.customer_id,
        repriced.candidate_provider,
        repriced.candidate_model,
        repriced.requests,
        cast(coalesce(margins.revenue_usd, 0) as {{ money_type() }}) as revenue_usd,
        cast(repriced.current_cost_usd as {{ money_type() }}) as current_cost_usd,
        repriced.projected_cost_usd,
        cast(repriced.current_cost_usd - repriced.projected_cost_usd as {{ money_type() }}) as savings_usd,
        cast(coalesce(margins.margin_usd, 0) as {{ money_type() }}) as current_margin_usd,
        cast(coalesce(margins.margin_usd, 0) + repriced.current_cost_usd - repriced.projected_cost_usd
             as {{ money_type() }}) as projected_margin_usd
    from repriced
    left join margins using (feature, customer_id)

)

select
    *,
    {{ margin_pct('current_margin_usd', 'revenue_usd') }} as current_margin_pct,
    {{ margin_pct('projected_margin_usd', 'revenue_usd') }} as projected_margin_pct,
    row_number() over (partition by feature, candidate_provider, candidate_model
                       order by abs(savings_usd) desc, customer_id) as customer_rank
from final

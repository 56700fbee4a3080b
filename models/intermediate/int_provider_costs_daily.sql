-- What providers billed, per provider and day (and model, where the bill names one: OpenAI Costs API
-- line items, the Anthropic cost report), in the reporting currency (all sources unioned).
with unioned as (

    select * from {{ ref('stg_provider_costs__openai') }}
    union all by name
    select * from {{ ref('stg_provider_costs__anthropic') }}
    union all by name
    select * from {{ ref('stg_provider_costs__focus') }}
    union all by name
    select * from {{ ref('stg_provider_costs__aws_cur') }}

),

fx as (

    select * from {{ ref('fx_rates') }}

),

final as (

    select
        cast(unioned.charge_period_start as date) as cost_date,
        unioned.provider,
        unioned.charge_category,
        unioned.model,
        unioned.billing_currency,
        count(*) as cost_rows,
        sum(cast(unioned.billed_cost * fx.rate_to_reporting as {{ money_type() }})) as billed_cost_usd,
        sum(cast(unioned.effective_cost * fx.rate_to_reporting as {{ money_type() }})) as effective_cost_usd
    from unioned
    left join fx on {{ fx_rate_on('unioned.billing_currency', 'cast(unioned.charge_period_start as date)') }}
    group by all

)

select * from final

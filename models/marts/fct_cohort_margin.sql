-- Margin by customer cohort over the reporting window: signup month, plan, segment and usage-intensity
-- decile (1 = the tenth of customers with the most requests). USD.
with customer_margin as (

    select * from {{ ref('fct_customer_margin') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

with_decile as (

    select
        customer_margin.*,
        customers.region,
        case when customer_margin.requests > 0
            then ntile(10) over (partition by customer_margin.requests > 0 order by customer_margin.requests desc)
        end as usage_decile
    from customer_margin
    inner join customers using (customer_id)

),

final as (

    select
        cast(cohort_month as date) as cohort_month,
        cast(plan as string) as plan,
        cast(segment as string) as segment,
        cast(usage_decile as integer) as usage_decile,
        cast(count(*) as bigint) as customers,
        cast(count(*) filter (where profitability = 'unprofitable') as bigint) as unprofitable_customers,
        cast(sum(requests) as bigint) as requests,
        cast(sum(revenue_usd) as {{ money_type() }}) as revenue_usd,
        cast(sum(total_cost_usd) as {{ money_type() }}) as total_cost_usd,
        cast(sum(gross_margin_usd) as {{ money_type() }}) as gross_margin_usd,
        {{ margin_pct('sum(gross_margin_usd)', 'sum(revenue_usd)') }} as gross_margin_pct
    from with_decile
    group by all

)

select * from final

-- Overhead cost pools (infrastructure, vector DB, support...) spread evenly over the days of their
-- period in whole minor units, then allocated to each day's production usage rows (customer x feature)
-- by the pool's basis: inference_cost (estimated usage cost), requests, tokens, revenue (the customer's
-- recognised revenue that day, split over its rows by requests) or customers (each active customer
-- equally, split over its rows by requests). A pool named for one feature goes to that feature's rows.
-- Pool-days with nothing to allocate to stay on `unattributed`. Amounts in USD, parts add up exactly.

with pools as (

    select * from {{ ref('stg_overhead__cost_pools') }}

),

layers as (

    select * from {{ ref('cost_pool_layers') }}

),

fx as (

    select * from {{ ref('fx_rates') }}

),

pool_days as (

    select
        pools.cost_pool_row_id,
        pools.cost_pool,
        coalesce(layers.cost_layer, 'other') as cost_layer,
        pools.feature as pool_feature,
        pools.allocation_basis,
        pools.period_start + cast(pools.day_index as integer) as cost_date,
        pools.currency,
        -- whole minor units per day; the remainder goes to the first days
        {{ sign_of('pools.amount_minor') }} * (
            {{ int_div('abs(pools.amount_minor)', 'pools.period_days') }}
            + case when pools.day_index < abs(pools.amount_minor) % pools.period_days then 1 else 0 end
        ) as amount_minor
    from (
        -- one row per pool and day of its period
        select *, {{ array_rows(index_range('period_days')) }} as day_index
        from (
            select
                *,
                cast(amount * {{ minor_units_per_unit('currency') }} as {{ big_int_type() }}) as amount_minor,
                {{ dbt.datediff('period_start', 'period_end', 'day') }}
                + 1 as period_days
            from pools
        ) as pool_periods
    ) as pools
    left join layers on pools.cost_pool = layers.cost_pool

),

pool_days_usd as (

    select
        pool_days.*,
        {{ minor_to_money('pool_days.amount_minor', 'fx.rate_to_reporting', 'pool_days.currency') }} as pool_day_usd
    from pool_days
    left join fx on {{ fx_rate_on('pool_days.currency', 'pool_days.cost_date') }}

),

customer_revenue as (

    select revenue_date, customer_id, greatest(sum(revenue_usd), 0) as revenue_usd
    from {{ ref('int_revenue_recognized_daily') }}
    group by all

),

-- each usage row's weight under every basis, worked out once per row before the rows meet the day's
-- pools (the join below repeats every row once per pool)
usage_rows as (

    select
        usage.usage_date,
        usage.customer_id,
        usage.feature,
        cast(usage.estimated_cost_usd as double) as inference_cost_weight,
        cast(usage.requests as double) as requests_weight,
        cast(usage.tokens as double) as tokens_weight,
        coalesce(cast(customer_revenue.revenue_usd as double), 0) * usage.requests / usage.customer_day_requests
            as revenue_weight,
        usage.requests / usage.customer_day_requests as customers_weight
    from (
        select
            *,
            sum(requests) over (partition by usage_date, customer_id) as customer_day_requests
        from (
            select
                usage_date,
                customer_id,
                feature,
                sum(requests) as requests,
                sum(input_tokens + output_tokens) as tokens,
                sum(estimated_cost_usd) as estimated_cost_usd
            from {{ ref('int_inference_cost_reconciled') }}
            where is_production and requests > 0
            group by all
        )
    ) as usage
    left join customer_revenue
        on customer_revenue.revenue_date = usage.usage_date
        and customer_revenue.customer_id = usage.customer_id

),

weighted as (

    select
        pool_days_usd.cost_pool_row_id,
        pool_days_usd.cost_pool,
        pool_days_usd.cost_layer,
        pool_days_usd.cost_date,
        pool_days_usd.pool_day_usd,
        usage_rows.customer_id,
        usage_rows.feature,
        case pool_days_usd.allocation_basis
            when 'inference_cost' then usage_rows.inference_cost_weight
            when 'requests' then usage_rows.requests_weight
            when 'tokens' then usage_rows.tokens_weight
            when 'revenue' then usage_rows.revenue_weight
            when 'customers' then usage_rows.customers_weight
        end as weight
    from pool_days_usd
    inner join usage_rows
        on usage_rows.usage_date = pool_days_usd.cost_date
        and (pool_days_usd.pool_feature is null or usage_rows.feature = pool_days_usd.pool_feature)

),

allocated as (

    {{ allocate_exactly(
        relation='weighted',
        amount='pool_day_usd',
        weight='weight',
        partition_by='cost_pool_row_id, cost_date',
        order_by='customer_id, feature',
        output='allocated_usd'
    ) }}

),

unallocated as (

    -- pool-days with no usage (or no positive weight) to carry them
    select
        pool_days_usd.cost_pool_row_id,
        pool_days_usd.cost_pool,
        pool_days_usd.cost_layer,
        pool_days_usd.cost_date,
        '{{ var("unattributed_customer_id") }}' as customer_id,
        coalesce(pool_days_usd.pool_feature, 'unallocated') as feature,
        pool_days_usd.pool_day_usd as allocated_usd
    from pool_days_usd
    where not exists (
        select 1 from allocated
        where allocated.cost_pool_row_id = pool_days_usd.cost_pool_row_id
            and allocated.cost_date = pool_days_usd.cost_date
            and allocated.allocated_usd is not null
    )

),

final as (

    select cost_pool_row_id, cost_pool, cost_layer, cost_date, customer_id, feature,
           cast(allocated_usd as {{ money_type() }}) as overhead_cost_usd
    from allocated
    where allocated_usd is not null
    union all
    select cost_pool_row_id, cost_pool, cost_layer, cost_date, customer_id, feature,
           cast(allocated_usd as {{ money_type() }}) as overhead_cost_usd
    from unallocated

)

select * from final

-- Every overhead pool is allocated in full, to the minor unit: allocated days add up to the pool.
with pools as (
    select cost_pool_row_id, amount, currency, period_start from {{ ref('stg_overhead__cost_pools') }}
),

fx as (
    select * from {{ ref('fx_rates') }}
),

expected as (
    select pools.cost_pool_row_id,
           cast(pools.amount * fx.rate_to_reporting as {{ money_type() }}) as amount_usd
    from pools
    left join fx on {{ fx_rate_on('pools.currency', 'pools.period_start') }}
),

allocated as (
    select cost_pool_row_id, sum(overhead_cost_usd) as amount_usd
    from {{ ref('int_overhead_allocated_daily') }}
    group by 1
)

select expected.cost_pool_row_id, expected.amount_usd, allocated.amount_usd as allocated_usd
from expected
full outer join allocated using (cost_pool_row_id)
where expected.amount_usd is distinct from allocated.amount_usd

-- Every overhead pool converts to USD on each day of its period. A currency (or a day) without a rate
-- in the fx_rates seed would otherwise be allocated as no cost while every other test passes. Fix: add
-- the rate to seeds/fx_rates.csv.
select
    pools.cost_pool,
    pools.currency,
    pools.source_file || ':' || pools.source_row as row_at,
    min(allocated.cost_date) as first_day_without_rate,
    count(*) as days_without_rate
from {{ ref('int_overhead_allocated_daily') }} as allocated
inner join {{ ref('stg_overhead__cost_pools') }} as pools using (cost_pool_row_id)
where allocated.overhead_cost_usd is null
group by all

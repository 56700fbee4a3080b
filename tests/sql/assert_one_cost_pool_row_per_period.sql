-- One row per overhead pool and period (docs/inputs.md): two rows of the same pool (and feature) whose
-- periods overlap would allocate its cost twice. Both are listed, with their files and lines; keep the
-- right one.
select
    first_row.cost_pool,
    first_row.feature,
    first_row.period_start,
    first_row.period_end,
    first_row.source_file || ':' || first_row.source_row as first_row_at,
    second_row.period_start as overlapping_period_start,
    second_row.period_end as overlapping_period_end,
    second_row.source_file || ':' || second_row.source_row as overlapping_row_at
from {{ ref('stg_overhead__cost_pools') }} as first_row
inner join {{ ref('stg_overhead__cost_pools') }} as second_row
    on first_row.cost_pool = second_row.cost_pool
    and first_row.feature is not distinct from second_row.feature
    and first_row.cost_pool_row_id < second_row.cost_pool_row_id
    and first_row.period_start <= second_row.period_end
    and second_row.period_start <= first_row.period_end

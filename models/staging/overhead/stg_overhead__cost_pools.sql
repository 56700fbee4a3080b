with source as (

    {{ source_columns('overhead', 'cost_pools', {
        '_row_key': 'string', 'period_start': 'date', 'period_end': 'date', 'cost_pool': 'string',
        'amount': 'string', 'currency': 'string', 'feature': 'string', 'allocation_basis': 'string',
        '_source_file': 'string', '_source_row': 'bigint'
    }) }}

)

select
    _row_key as cost_pool_row_id,
    period_start,
    period_end,
    lower(cost_pool) as cost_pool,
    cast(amount as {{ money_type() }}) as amount,
    upper(currency) as currency,
    nullif(feature, '') as feature,
    coalesce(nullif(lower(allocation_basis), ''), 'inference_cost') as allocation_basis,
    _source_file as source_file,
    _source_row as source_row
from source

with source as (

    {{ source_columns('model_prices', 'model_match_rules', {
        'provider_id': 'string', 'model_id': 'string', 'model_order': 'bigint', 'rule_no': 'bigint',
        'clause_no': 'bigint', 'kind': 'string', 'value': 'string'
    }) }}

)

select
    provider_id,
    model_id,
    model_order,
    rule_no,
    clause_no,
    kind as clause_kind,
    -- genai-prices compares lower-cased names; regular expressions are applied case-insensitively
    case when kind = 'regex' then value else lower(value) end as clause_value
from source

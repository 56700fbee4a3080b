-- Estimated usage cost per day, provider, customer, feature, environment class, waterfall layer and
-- model: the grain at which provider bills are reconciled (per provider-day, or per model where the
-- bill has it) and margins reported. Embedding, retrieval, rerank and tool calls are orchestration;
-- everything else is inference.
-- Incremental by day: only the days whose priced events changed are rebuilt (macros/incremental.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ day_partitions_pre_hook([
        {'name': 'priced_events', 'relation': ref('int_usage_events_priced'), 'day': 'usage_date',
         'columns': ['provider', 'customer_id', 'feature', 'is_production', 'operation', 'model', 'is_priced',
                     'input_tokens', 'output_tokens', 'estimated_cost_usd']},
    ], 'usage_date') }}",
    post_hook="{{ day_partitions_post_hook('usage_date') }}"
) }}

select
    usage_date,
    provider,
    customer_id,
    feature,
    is_production,
    case when operation in ('embeddings', 'retrieval', 'rerank', 'tool') then 'orchestration' else 'inference' end
        as cost_layer,
    model,
    count(*) as requests,
    count(*) filter (where not is_priced) as unpriced_requests,
    sum(input_tokens) as input_tokens,
    sum(output_tokens) as output_tokens,
    sum(coalesce(estimated_cost_usd, 0)) as estimated_cost_usd
from {{ ref('int_usage_events_priced') }}
where {{ in_days_to_build('usage_date') }}
group by all

-- Estimated usage cost per day, provider, customer, feature, environment class, waterfall layer and
-- model: the grain at which provider bills are reconciled (per provider-day, or per model where the
-- bill has it) and margins reported. Embedding, retrieval, rerank and tool calls are orchestration;
-- everything else is inference. Incremental by day (macros/usage_days.sql).
-- On Spark a plain table, rebuilt whole: no delete or merge on its parquet tables (incremental on Delta
-- is a later step), so the pre-hook and usage_days_not_built() render nothing there.
{{ config(materialized='table' if target.type == 'spark' else 'incremental',
          incremental_strategy='delete+insert', unique_key='usage_date',
          on_schema_change='fail', pre_hook="{{ delete_usage_days_to_rebuild() }}") }}

select
    usage_date,
    provider,
    customer_id,
    feature,
    is_production,
    {{ cost_layer() }} as cost_layer,
    model,
    count(*) as requests,
    count(*) filter (where not is_priced) as unpriced_requests,
    sum(input_tokens) as input_tokens,
    sum(output_tokens) as output_tokens,
    sum(coalesce(estimated_cost_usd, 0)) as estimated_cost_usd,
    -- the part of it that is the cost the source reported, not the catalog's estimate
    coalesce(sum(reported_cost_usd), 0) as reported_cost_usd,
    max(priced_at) as priced_through
from {{ ref('int_usage_events_priced') }}
where {{ usage_days_not_built() }}
group by all

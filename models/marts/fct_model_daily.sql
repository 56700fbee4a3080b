-- Per day, provider, model and feature: production calls, estimated cost, and mean and P95 cost per
-- request (P95 is an actual call's cost: quantile_disc keeps it an exact decimal). USD at list price.
-- Incremental by day (macros/usage_days.sql).
-- On Spark a plain table, rebuilt whole: no delete or merge on its parquet tables (incremental on Delta
-- is a later step), so the pre-hook and usage_days_not_built() render nothing there.
{{ config(materialized='table' if target.type == 'spark' else 'incremental',
          incremental_strategy='delete+insert', unique_key='usage_date',
          on_schema_change='fail', pre_hook="{{ delete_usage_days_to_rebuild('is_production and not app_cache_hit') }}") }}

with priced as (

    select * from {{ ref('int_usage_events_priced') }}
    where is_production and not app_cache_hit
        and {{ usage_days_not_built() }}

),

final as (

    select
        cast(usage_date as date) as usage_date,
        cast(provider as string) as provider,
        cast(model as string) as model,
        cast(feature as string) as feature,
        cast(count(*) as bigint) as requests,
        cast(count(*) filter (where not is_priced) as bigint) as unpriced_requests,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(output_tokens) as bigint) as output_tokens,
        cast(sum(estimated_cost_usd) as {{ money_type() }}) as estimated_cost_usd,
        cast({{ money_per('sum(estimated_cost_usd)', 'count(estimated_cost_usd)') }} as {{ money_type() }})
            as mean_estimated_cost_per_request_usd,
        cast({{ quantile_of('estimated_cost_usd', 0.95) }} as {{ money_type() }}) as p95_estimated_cost_per_request_usd,
        cast({{ int_div('sum(input_tokens)', 'count(*)') }} as bigint) as mean_input_tokens_per_request,
        cast(max(priced_at) as {{ column_type('timestamptz') }}) as priced_through
    from priced
    group by usage_date, provider, model, feature

)

select * from final

-- Production usage per day, customer, feature, provider, model and prompt version, with the estimated
-- cost split by token type and the busiest workflow's call count: the grain from which alerts find
-- what moved (a model, a token type, a customer, a prompt version) and spot agent loops.
-- Incremental by day (macros/usage_days.sql).
-- On Spark a plain table, rebuilt whole: no delete or merge on its parquet tables (incremental on Delta
-- is a later step), so the pre-hook and usage_days_not_built() render nothing there.
{{ config(materialized='table' if target.type == 'spark' else 'incremental',
          incremental_strategy='delete+insert', unique_key='usage_date',
          on_schema_change='fail', pre_hook="{{ delete_usage_days_to_rebuild('is_production') }}") }}

with events as (

    select * from {{ ref('int_usage_events_priced') }}
    where is_production and {{ usage_days_not_built() }}

),

workflows as (

    select usage_date, customer_id, feature, provider, model, prompt_version, workflow_id, count(*) as calls
    from events
    where workflow_id is not null
    group by all

),

busiest_workflow as (

    select usage_date, customer_id, feature, provider, model, prompt_version,
           count(*) as workflows, max(calls) as max_calls_per_workflow
    from workflows
    group by all

),

costs as (

    select
        usage_date,
        customer_id,
        feature,
        provider,
        model,
        coalesce(prompt_version, '') as prompt_version,
        count(*) as requests,
        sum(coalesce(uncached_input_cost_usd, 0)) as uncached_input_cost_usd,
        sum(coalesce(cache_read_cost_usd, 0)) as cache_read_cost_usd,
        sum(coalesce(cache_write_5m_cost_usd, 0) + coalesce(cache_write_1h_cost_usd, 0)) as cache_write_cost_usd,
        sum(coalesce(output_cost_usd, 0)) as output_cost_usd,
        sum(coalesce(reasoning_cost_usd, 0)) as reasoning_cost_usd,
        sum(coalesce(request_and_unit_cost_usd, 0)) as request_and_unit_cost_usd,
        sum(coalesce(estimated_cost_usd, 0)) as estimated_cost_usd,
        max(priced_at) as priced_through
    from events
    group by all

)

select
    costs.*,
    coalesce(busiest_workflow.workflows, 0) as workflows,
    coalesce(busiest_workflow.max_calls_per_workflow, 0) as max_calls_per_workflow
from costs
left join busiest_workflow
    on costs.usage_date = busiest_workflow.usage_date
    and costs.customer_id = busiest_workflow.customer_id
    and costs.feature = busiest_workflow.feature
    and costs.provider = busiest_workflow.provider
    and costs.model = busiest_workflow.model
    and costs.prompt_version = coalesce(busiest_workflow.prompt_version, '')

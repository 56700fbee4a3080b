-- Agent loops: a customer's busiest workflow (or its day's calls) far above its own trailing baseline.
{% set baseline_window_days = var('alert_baseline_days', 28) %}
-- materialized: read twice below, DuckDB would otherwise aggregate the usage twice
with customer_activity as {{ cte_materialized() }} (

    select usage_date, customer_id, sum(requests) as requests, max(max_calls_per_workflow) as max_calls_per_workflow
    from {{ ref('int_usage_cost_drivers_daily') }}
    group by usage_date, customer_id

),

-- a customer whose calls never reach the minimums cannot loop by these rules: not judged
judged_customer_activity as (

    select * from customer_activity  -- read again, in its own scope, by the subquery -- noqa: AL04
    where customer_id in (
        select customer_id from customer_activity
        group by all
        having max(max_calls_per_workflow) >= {{ var('alert_agent_loop_min_calls', 50) }}
            or max(requests) >= {{ var('alert_agent_loop_min_daily_calls', 500) }}
    )

),

activity_baselines as (

    select
        *,
        count(*) over baseline_window as baseline_days,
        {{ window_median('max_calls_per_workflow', 'baseline_window') }} as baseline_calls_per_workflow,
        {{ window_median('requests', 'baseline_window') }} as baseline_requests
    from judged_customer_activity
    window baseline_window as (partition by customer_id order by usage_date
                        range between {{ baseline_window_days }} preceding and 1 preceding)

),

judged_activity as (

    select
        *,
        max_calls_per_workflow >= {{ var('alert_agent_loop_min_calls', 50) }}
            and max_calls_per_workflow >= {{ var('alert_agent_loop_ratio', 5) }} * baseline_calls_per_workflow
            as workflow_loops,
        requests >= {{ var('alert_agent_loop_min_daily_calls', 500) }}
            and requests >= {{ var('alert_agent_loop_ratio', 5) }} * baseline_requests as day_loops
    from activity_baselines
    where baseline_days >= 7

),

-- the metric shown: the busiest workflow, unless only the day's calls looped
agent_loop_metrics as (

    select
        *,
        workflow_loops or not day_loops as shows_workflow,
        case when workflow_loops or not day_loops then max_calls_per_workflow else requests end as metric_value,
        case when workflow_loops or not day_loops then baseline_calls_per_workflow else baseline_requests end
            as baseline_value
    from judged_activity

),

agent_loops as (

    select
        usage_date as alert_date, 'agent_loop' as alert_type, 'critical' as severity, 'customer' as entity_type,
        customer_id as entity_id,
        case when shows_workflow then 'calls in the busiest workflow' else 'calls per day' end as metric,
        metric_value,
        {{ var('alert_agent_loop_ratio', 5) }} * baseline_value as threshold,
        baseline_value,
        workflow_loops or day_loops as is_on
    from agent_loop_metrics

)

{{ alert_rows('agent_loops') }}

{#- fct_margin_waterfall rolled up to a calendar grain (week starts Monday), customer and feature. -#}
{% macro margin_rollup(grain) %}
    select
        {{ margin_period(grain, 'margin_date') }} as period_start,
        cast(customer_id as varchar) as customer_id,
        cast(feature as varchar) as feature,
        cast(count(distinct margin_date) as bigint) as days,
        cast(sum(requests) as bigint) as requests,
        {% for col in ['revenue_usd', 'inference_cost_usd', 'orchestration_usage_cost_usd',
                       'orchestration_overhead_cost_usd', 'infrastructure_cost_usd', 'support_cost_usd',
                       'other_overhead_cost_usd', 'total_cost_usd', 'gross_margin_usd'] %}
        cast(sum({{ col }}) as {{ money_type() }}) as {{ col }},
        {% endfor %}
        {{ margin_pct('sum(gross_margin_usd)', 'sum(revenue_usd)') }} as gross_margin_pct
    from {{ ref('fct_margin_waterfall') }}
    where {{ in_days_to_build(margin_period(grain, 'margin_date')) }}
    group by all
{% endmacro %}

{#- The first day of the month or week (ISO, Monday) a date falls in. -#}
{% macro margin_period(grain, day) -%}
    cast(date_trunc('{{ grain }}', {{ day }}) as date)
{%- endmacro %}

{#- The days fct_margin_waterfall covers: those with production usage loaded (vars margin_from_date /
    margin_to_date override either end). One row, from_date and to_date. -#}
{% macro margin_reporting_window(inference) %}
    select
        coalesce(cast({{ "'" ~ var('margin_from_date') ~ "'" if var('margin_from_date', none) else 'null' }} as date),
                 min(usage_date) filter (where is_production and requests > 0)) as from_date,
        coalesce(cast({{ "'" ~ var('margin_to_date') ~ "'" if var('margin_to_date', none) else 'null' }} as date),
                 max(usage_date) filter (where is_production and requests > 0)) as to_date
    from {{ inference }}
{% endmacro %}

{#- The same window, one row per day (margin_date): what an incremental build compares day by day. -#}
{% macro margin_reporting_days(inference) %}
    select cast(unnest(generate_series(from_date, to_date, interval 1 day)) as date) as margin_date
    from ({{ margin_reporting_window(inference) }})
{% endmacro %}

{#- The settings that decide how fct_margin_waterfall allocates revenue, as one row: a change rebuilds
    every day of an incremental build. -#}
{% macro revenue_allocation_settings() %}
    select '{{ var('revenue_allocation_method') }}' as revenue_allocation_method
{% endmacro %}

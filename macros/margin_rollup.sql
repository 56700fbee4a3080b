{#- fct_margin_waterfall rolled up to a calendar grain (week starts Monday), customer and feature. -#}
{% macro margin_rollup(grain) %}
    select
        {{ margin_period(grain, 'margin_date') }} as period_start,
        cast(customer_id as string) as customer_id,
        cast(feature as string) as feature,
        -- one waterfall row per day, customer and feature (its unique_combination test)
        cast(count(*) as bigint) as days,
        cast(sum(requests) as bigint) as requests,
        {% for col in ['revenue_usd', 'inference_cost_usd', 'orchestration_usage_cost_usd',
                       'orchestration_overhead_cost_usd', 'infrastructure_cost_usd', 'support_cost_usd',
                       'other_overhead_cost_usd', 'total_cost_usd', 'gross_margin_usd'] %}
        cast(sum({{ col }}) as {{ money_type() }}) as {{ col }},
        {% endfor %}
        {{ margin_pct('sum(gross_margin_usd)', 'sum(revenue_usd)') }} as gross_margin_pct
    from {{ ref('fct_margin_waterfall') }}
    group by all
{% endmacro %}

{#- The first day of the month or week (ISO, Monday) a date falls in. -#}
{% macro margin_period(grain, day) -%}
    cast(date_trunc('{{ grain }}', {{ day }}) as date)
{%- endmacro %}

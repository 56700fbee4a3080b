{#- Inputs of fct_margin_waterfall shared by the model and its incremental pre-hook. -#}

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

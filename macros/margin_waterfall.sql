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

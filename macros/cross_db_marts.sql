{#- Marts-side differences between DuckDB and Spark SQL (macros/cross_db.sql has the shared ones);
    default__ is DuckDB. -#}

{#- One row per day from `from_date` to `to_date` (inclusive), as a date: a select-list expression. -#}
{% macro date_rows(from_date, to_date) -%}
    {{ return(adapter.dispatch('date_rows')(from_date, to_date)) }}
{%- endmacro %}

{% macro default__date_rows(from_date, to_date) -%}
    cast(unnest(generate_series({{ from_date }}, {{ to_date }}, interval 1 day)) as date)
{%- endmacro %}

{% macro spark__date_rows(from_date, to_date) -%}
    explode(sequence(cast({{ from_date }} as date), cast({{ to_date }} as date), interval 1 day))
{%- endmacro %}

{#- Cross-database macros for revenue recognition and provider / overhead costs (macros/cross_db.sql
    style: default__ is DuckDB, spark__ is Spark). -#}

{#- Microseconds from timestamp `start` to timestamp `end`, exactly. -#}
{% macro microseconds_between(start, end) -%}
    {{ return(adapter.dispatch('microseconds_between')(start, end)) }}
{%- endmacro %}

{% macro default__microseconds_between(start, end) -%}
    date_diff('microsecond', {{ start }}, {{ end }})
{%- endmacro %}

{% macro spark__microseconds_between(start, end) -%}
    (unix_micros({{ end }}) - unix_micros({{ start }}))
{%- endmacro %}

{#- The array of integers 0, 1, ..., n - 1 (empty when n < 1): with array_rows, one row per index. -#}
{% macro index_range(n) -%}
    {{ return(adapter.dispatch('index_range')(n)) }}
{%- endmacro %}

{% macro default__index_range(n) -%}
    range({{ n }})
{%- endmacro %}

{% macro spark__index_range(n) -%}
    case when ({{ n }}) >= 1 then sequence(cast(0 as bigint), cast(({{ n }}) - 1 as bigint)) else cast(array() as array<bigint>) end
{%- endmacro %}

{#- One row per day from `start_date` to `end_date` (exclusive), as a relation with the column `date_day`
    (a date): constant bounds, for a time spine. -#}
{% macro date_days(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_days')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_days(start_date, end_date) -%}
    select cast(range as date) as date_day
    from range({{ start_date }}, {{ end_date }}, interval 1 day)
{%- endmacro %}

{% macro spark__date_days(start_date, end_date) -%}
    select explode(sequence({{ start_date }}, date_add({{ end_date }}, -1), interval 1 day)) as date_day
{%- endmacro %}

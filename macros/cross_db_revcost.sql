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
    case when ({{ n }}) >= 1 then sequence(cast(0 as bigint), cast(({{ n }}) - 1 as bigint))
        else cast(array() as array<bigint>) end
{%- endmacro %}

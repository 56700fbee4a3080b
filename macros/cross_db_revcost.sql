{#- Cross-database macros for revenue recognition and provider / overhead costs (macros/cross_db.sql
    style: default__ is DuckDB, spark__ is Spark). -#}

{#- TEMPORARY until main's money macros on Spark are merged (then main's int_div / big_int_type replace
    these): an integer type with room for products of minor units, and truncating integer division of
    such integers. -#}
{% macro big_int_type() -%}
    {{ return(adapter.dispatch('big_int_type')()) }}
{%- endmacro %}

{% macro default__big_int_type() -%}hugeint{%- endmacro %}

{% macro spark__big_int_type() -%}decimal(38, 0){%- endmacro %}

{% macro int_div(a, b) -%}
    {{ return(adapter.dispatch('int_div')(a, b)) }}
{%- endmacro %}

{% macro default__int_div(a, b) -%}
    ({{ a }}) // ({{ b }})
{%- endmacro %}

{% macro spark__int_div(a, b) -%}
    cast((cast({{ a }} as decimal(38, 0)) div cast({{ b }} as decimal(38, 0))) as decimal(38, 0))
{%- endmacro %}

{#- The sign of a number (-1, 0 or 1) as an integer: Spark's sign() is a double. -#}
{% macro int_sign(expr) -%}
    {{ return(adapter.dispatch('int_sign')(expr)) }}
{%- endmacro %}

{% macro default__int_sign(expr) -%}
    sign({{ expr }})
{%- endmacro %}

{% macro spark__int_sign(expr) -%}
    cast(sign({{ expr }}) as int)
{%- endmacro %}

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

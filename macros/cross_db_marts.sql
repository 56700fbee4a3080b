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

{#- `union all by name` spelled out for every engine: `parts` is a list of (relation, [its columns]); the
    result has every column of any part, in order of first appearance, null where a part lacks it. -#}
{% macro union_all_by_name(parts) -%}
    {%- set columns = [] -%}
    {%- for relation, part_columns in parts -%}
        {%- for column in part_columns if column not in columns -%}{%- do columns.append(column) -%}{%- endfor -%}
    {%- endfor -%}
    {%- for relation, part_columns in parts %}
    select
        {%- for column in columns %}
        {{ column if column in part_columns else 'null as ' ~ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

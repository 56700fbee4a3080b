{#- Select typed columns from a raw table that dlt may not have created (no rows yet) or whose
    columns may be missing (dlt only materialises columns that received a non-null value).
    Missing tables give zero rows; missing columns give typed nulls. `columns` maps name -> type;
    a name can list alternatives separated by "|" (e.g. FOCUS exports whose column names were
    lower-cased by Glue); when several are present (exports of different producers in one table) the
    first non-null one per row wins. The output column is the first alternative. -#}
{% macro source_columns(source_name, table_name, columns) -%}
    {%- set src = source(source_name, table_name) -%}
    {%- set existing = [] -%}
    {%- set ns = namespace(relation=none) -%}
    {%- if execute -%}
        {%- set ns.relation = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) -%}
        {%- if ns.relation is not none -%}
            {%- for col in adapter.get_columns_in_relation(ns.relation) -%}
                {%- do existing.append(col.name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif %}
    select
    {%- for spec, data_type in columns.items() %}
        {%- set names = spec.split('|') %}
        {%- set present = [] %}
        {%- for n in names if n | lower in existing %}{% do present.append(n) %}{% endfor %}
        {% if present | length > 1 %}coalesce({% for n in present %}cast({{ adapter.quote(n | lower) }} as {{ data_type }}){{ ", " if not loop.last }}{% endfor %}){% elif present %}cast({{ adapter.quote(present[0] | lower) }} as {{ data_type }}){% else %}cast(null as {{ data_type }}){% endif %} as {{ adapter.quote(names[0]) }}{{ "," if not loop.last }}
    {%- endfor %}
    from {% if ns.relation is not none or not execute %}{{ src }}{% else %}(select 1 as _none) as _missing_table where false{% endif %}
{%- endmacro %}

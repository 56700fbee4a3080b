{#- Select typed columns from a raw table that dlt may not have created (no rows yet) or whose
    columns may be missing (dlt only materialises columns that received a non-null value).
    Missing tables give zero rows; missing columns give typed nulls. `columns` maps name -> type;
    a name can list alternatives separated by "|" (e.g. FOCUS exports whose column names were
    lower-cased by Glue); when several are present (exports of different producers in one table) the
    first non-null one per row wins. The output column is the first alternative. -#}
{% macro source_columns(source_name, table_name, columns) -%}
    {%- set src = source(source_name, table_name) -%}
    {#- Asked of the database, not of dbt's relation cache: a thread that lists a source schema fills the
        cache one table at a time, and another thread reading it meanwhile would not see a table that
        exists (its staging view would then read nothing, and its rows silently leave every mart). -#}
    {%- set existing = [] -%}
    {%- if execute -%}
        {%- set found = run_query("select lower(column_name) from duckdb_columns() where database_name = '"
                                  ~ src.database ~ "' and schema_name = '" ~ src.schema ~ "' and table_name = '"
                                  ~ src.identifier ~ "'") -%}
        {%- do existing.extend(found.columns[0].values()) -%}
    {%- endif %}
    select
    {%- for spec, data_type in columns.items() %}
        {%- set names = spec.split('|') %}
        {%- set present = [] %}
        {%- for n in names if n | lower in existing %}{% do present.append(n) %}{% endfor %}
        {% if present | length > 1 %}coalesce({% for n in present %}cast({{ adapter.quote(n | lower) }} as {{ data_type }}){{ ", " if not loop.last }}{% endfor %}){% elif present %}cast({{ adapter.quote(present[0] | lower) }} as {{ data_type }}){% else %}cast(null as {{ data_type }}){% endif %} as {{ adapter.quote(names[0]) }}{{ "," if not loop.last }}
    {%- endfor %}
    from {% if existing or not execute %}{{ src }}{% else %}(select 1 as _none) as _missing_table where false{% endif %}
{%- endmacro %}

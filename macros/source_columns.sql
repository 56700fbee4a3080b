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
        {%- do existing.extend(adapter.dispatch('source_column_names')(src)) -%}
    {%- endif %}
    select
    {%- for spec, data_type in columns.items() %}
        {%- set names = spec.split('|') %}
        {%- set present = [] %}
        {%- for n in names if n | lower in existing %}{% do present.append(n) %}{% endfor %}
        {%- set data_type = column_type(data_type) %}
        {% if present | length > 1 %}coalesce({% for n in present %}cast({{ adapter.quote(n | lower) }} as {{ data_type }}){{ ", " if not loop.last }}{% endfor %}){% elif present %}cast({{ adapter.quote(present[0] | lower) }} as {{ data_type }}){% else %}cast(null as {{ data_type }}){% endif %} as {{ adapter.quote(names[0]) }}{{ "," if not loop.last }}
    {%- endfor %}
    from {% if existing or not execute %}{{ src }}{% else %}(select 1 as _none) as _missing_table where false{% endif %}
{%- endmacro %}


{#- The lower-cased column names of a source table, [] when it does not exist: from the engine's
    catalog (DuckDB's duckdb_columns(); Spark's show tables and describe, tried on a local Spark, for
    the port in docs/spark-port.md). -#}
{% macro default__source_column_names(src) -%}
    {%- set found = run_query("select lower(column_name) from duckdb_columns() where database_name = '"
                              ~ src.database ~ "' and schema_name = '" ~ src.schema ~ "' and table_name = '"
                              ~ src.identifier ~ "'") -%}
    {{ return(found.columns[0].values() | list) }}
{%- endmacro %}

{% macro spark__source_column_names(src) -%}
    {%- set tables = run_query("show tables in " ~ src.schema ~ " like '" ~ src.identifier ~ "'") -%}
    {%- if tables.rows | length == 0 -%}{{ return([]) }}{%- endif -%}
    {%- set cols = run_query("describe table " ~ src.schema ~ "." ~ src.identifier) -%}
    {%- set names = [] -%}
    {%- for r in cols.rows -%}
        {%- if r[0] and not r[0].startswith('#') and r[0] | lower not in names -%}{% do names.append(r[0] | lower) %}{%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

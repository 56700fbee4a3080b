{#- `dbt run-operation register_lakehouse --target spark --args '{root: ..., tables: {raw_x: [t, ...]}}'`
    (`ai-margin lakehouse` runs it): declares each table dlt wrote to the lakehouse (`root`/<schema>/<table>,
    Parquet) as an external table in its raw schema, so the dbt sources resolve on Spark as on DuckDB.
    Re-declaring drops only the table's entry in the catalog, never its files. -#}
{% macro register_lakehouse(root, tables) %}
    {%- for schema, names in tables.items() %}
        {%- do run_query('create schema if not exists ' ~ schema) %}
        {%- for name in names %}
            {%- do run_query('drop table if exists ' ~ schema ~ '.' ~ name) %}
            {%- do run_query('create table ' ~ schema ~ '.' ~ name ~ " using parquet location '"
                              ~ root.rstrip('/') ~ '/' ~ schema ~ '/' ~ name ~ "'") %}
        {%- endfor %}
        {%- do log('registered ' ~ names | length ~ ' table(s) of ' ~ schema, info=true) %}
    {%- endfor %}
{% endmacro %}

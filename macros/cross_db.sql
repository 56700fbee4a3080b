{#- Where DuckDB and Spark SQL differ, and dbt's own cross-database macros (dbt.datediff,
    dbt.date_trunc, ...) have nothing: one macro per construct, dispatched by adapter (default__ is
    DuckDB). Spark branches assume the session time zone is UTC (docs/spark-port.md). -#}

{#- The text at `path` in the JSON document `expr`, or null. `path` is "a.b" (keys separated by dots)
    or a list of keys, for a key that holds a dot (a configured Stripe metadata key, say). -#}
{% macro json_text(expr, path) -%}
    {{ return(adapter.dispatch('json_text')(expr, path.split('.') if path is string else path)) }}
{%- endmacro %}

{% macro default__json_text(expr, keys) -%}
    json_extract_string({{ expr }}, '${% for key in keys %}."{{ key }}"{% endfor %}')
{%- endmacro %}

{% macro spark__json_text(expr, keys) -%}
    get_json_object({{ expr }}, '${% for key in keys %}[''{{ key }}'']{% endfor %}')
{%- endmacro %}

{#- One row per element of the JSON array `expr` (or of the array at its key `path`), each as JSON
    text: a select-list expression. -#}
{% macro json_array_elements(expr, path=none) -%}
    {{ return(adapter.dispatch('json_array_elements')(expr, path)) }}
{%- endmacro %}

{% macro default__json_array_elements(expr, path) -%}
    unnest(cast({% if path %}json_extract({{ expr }}, '$."{{ path }}"'){% else %}{{ expr }}{% endif %} as json[]))
{%- endmacro %}

{% macro spark__json_array_elements(expr, path) -%}
    explode(from_json({% if path %}{{ json_text(expr, path) }}{% else %}{{ expr }}{% endif %}, 'array<string>'))
{%- endmacro %}

{#- Unix seconds as a UTC timestamp (no time zone). -#}
{% macro epoch_to_utc(expr) -%}
    {{ return(adapter.dispatch('epoch_to_utc')(expr)) }}
{%- endmacro %}

{% macro default__epoch_to_utc(expr) -%}
    to_timestamp({{ expr }}) at time zone 'UTC'
{%- endmacro %}

{% macro spark__epoch_to_utc(expr) -%}
    timestamp_seconds({{ expr }})
{%- endmacro %}

{#- An instant (a timestamp with time zone) as UTC wall time. -#}
{% macro to_utc(expr) -%}
    {{ return(adapter.dispatch('to_utc')(expr)) }}
{%- endmacro %}

{#- From the instant's epoch microseconds: the same value as `at time zone 'UTC'` without a time-zone
    lookup per row (about 30x faster over millions of events). -#}
{% macro default__to_utc(expr) -%}
    make_timestamp(epoch_us({{ expr }}))
{%- endmacro %}

{% macro spark__to_utc(expr) -%}
    {{ expr }}
{%- endmacro %}

{#- A column type by its DuckDB name, as the engine spells it (`source_columns` casts to it). -#}
{% macro column_type(name) -%}
    {{ return(adapter.dispatch('column_type')(name)) }}
{%- endmacro %}

{% macro default__column_type(name) -%}
    {{ return(name) }}
{%- endmacro %}

{% macro spark__column_type(name) -%}
    {{ return({'timestamptz': 'timestamp', 'json': 'string', 'hugeint': 'decimal(38, 0)'}.get(name, name)) }}
{%- endmacro %}

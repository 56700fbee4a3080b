{#- Billing exports are messy: literal NULL strings, timestamps with or without zone, or as M/D/YY;
    amounts like "$10,000.00 " are made plain decimals by the loader. -#}

{#- A bill export's amount, which the loader already wrote as plain decimal text ("$10,000.00 " and a
    decimal comma are read there, once: pipelines/provider_costs.py). -#}
{%- macro parse_amount(col) -%}
    cast(nullif(trim({{ col }}), '') as {{ money_type() }})
{%- endmacro -%}

{#- M/D/YY before ISO: DuckDB casts "4/1/25" to the year 4 (as Y/M/D), and %Y reads "25" as the year 25,
    so two-digit years are tried first. -#}
{%- macro parse_export_timestamp(col) -%}
    {{ return(adapter.dispatch('parse_export_timestamp')(col)) }}
{%- endmacro -%}

{%- macro default__parse_export_timestamp(col) -%}
    coalesce(
        try_strptime(trim({{ col }}), '%m/%d/%y'),
        try_strptime(trim({{ col }}), '%m/%d/%Y'),
        try_strptime(trim({{ col }}), '%m/%d/%y %H:%M'),
        try_strptime(trim({{ col }}), '%m/%d/%Y %H:%M'),
        try_cast(replace(replace(trim({{ col }}), 'T', ' '), 'Z', '') as timestamp)
    )
{%- endmacro -%}

{%- macro spark__parse_export_timestamp(col) -%}
    coalesce(
        try_to_timestamp(trim({{ col }}), 'M/d/yy'),
        try_to_timestamp(trim({{ col }}), 'M/d/yyyy'),
        try_to_timestamp(trim({{ col }}), 'M/d/yy H:mm'),
        try_to_timestamp(trim({{ col }}), 'M/d/yyyy H:mm'),
        try_cast(replace(replace(trim({{ col }}), 'T', ' '), 'Z', '') as timestamp)
    )
{%- endmacro -%}

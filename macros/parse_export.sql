{#- Billing exports are messy: amounts like "$10,000.00 " (currency symbol, thousands separators,
    trailing spaces), literal NULL strings, timestamps with or without zone, or as M/D/YY. -#}

{%- macro parse_amount(col) -%}
    cast(nullif(regexp_replace(trim({{ col }}), '[$€£¥,\s]', '', 'g'), '') as {{ money_type() }})
{%- endmacro -%}

{%- macro parse_export_timestamp(col) -%}
    coalesce(
        try_cast(replace(replace(trim({{ col }}), 'T', ' '), 'Z', '') as timestamp),
        try_strptime(trim({{ col }}), '%m/%d/%y'),
        try_strptime(trim({{ col }}), '%m/%d/%Y'),
        try_strptime(trim({{ col }}), '%m/%d/%y %H:%M'),
        try_strptime(trim({{ col }}), '%m/%d/%Y %H:%M')
    )
{%- endmacro -%}

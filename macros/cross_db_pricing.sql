{#- Dialect differences of the pricing chain (stg_model_prices__prices to fct_model_daily), dispatched
    by adapter like macros/cross_db.sql (default__ is DuckDB). -#}

{#- The context-size tiers at key `field` of the JSON object `tiers` ({"<field>": [{"start": n,
    "price": "p"}, ...]}) as an array of structs {start bigint, price decimal(38, 12)}, highest start
    first; null where the key is missing. -#}
{% macro price_tiers(tiers, field) -%}
    {{ return(adapter.dispatch('price_tiers')(tiers, field)) }}
{%- endmacro %}

{% macro default__price_tiers(tiers, field) -%}
    case when {{ tiers }} is not null and json_exists({{ tiers }}, '$.{{ field }}') then
            list_reverse(list_sort(list_transform(
                cast(json_extract({{ tiers }}, '$.{{ field }}') as json[]),
                lambda t: {'start': cast(t ->> 'start' as bigint), 'price': cast(t ->> 'price' as decimal(38, 12))}
            )))
        end
{%- endmacro %}

{#- a JSON number or string read as text, then cast (prices are strings in the catalog) -#}
{% macro spark__price_tiers(tiers, field) -%}
    sort_array(transform(
            from_json({{ json_text(tiers, field) }}, 'array<struct<start:string,price:string>>'),
            t -> named_struct('start', cast(t.start as bigint), 'price', cast(t.price as decimal(38, 12)))
        ), false)
{%- endmacro %}

{#- Whether the regular expression `pattern` matches somewhere in `expr`, ignoring case. -#}
{% macro regex_matches_ignoring_case(expr, pattern) -%}
    {{ return(adapter.dispatch('regex_matches_ignoring_case')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches_ignoring_case(expr, pattern) -%}
    regexp_matches({{ expr }}, {{ pattern }}, 'i')
{%- endmacro %}

{% macro spark__regex_matches_ignoring_case(expr, pattern) -%}
    {{ expr }} rlike concat('(?i)', {{ pattern }})
{%- endmacro %}

{#- The text of a whole row (`alias` is its table alias), to fingerprint it: DuckDB's cast of the row,
    Spark's JSON of it. The texts differ between engines; a fingerprint is only compared with one made by
    the same engine. -#}
{% macro row_text(alias) -%}
    {{ return(adapter.dispatch('row_text')(alias)) }}
{%- endmacro %}

{% macro default__row_text(alias) -%}
    cast({{ alias }} as string)
{%- endmacro %}

{% macro spark__row_text(alias) -%}
    to_json(struct({{ alias }}.*))
{%- endmacro %}

{#- `expr` (text) of the rows of a group joined with `separator`, in the order of `order_by`. -#}
{% macro ordered_text_agg(expr, separator, order_by) -%}
    {{ return(adapter.dispatch('ordered_text_agg')(expr, separator, order_by)) }}
{%- endmacro %}

{% macro default__ordered_text_agg(expr, separator, order_by) -%}
    string_agg({{ expr }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_text_agg(expr, separator, order_by) -%}
    array_join({{ ordered_array_agg(expr, [order_by]) }}, {{ separator }})
{%- endmacro %}

{#- The upper 64 bits of the MD5 of `text` read as one 128-bit little-endian unsigned integer (DuckDB's
    md5_number), an unsigned 64-bit number: a ubigint on DuckDB, decimal(20, 0) on Spark. -#}
{% macro md5_upper_64(text) -%}
    {{ return(adapter.dispatch('md5_upper_64')(text)) }}
{%- endmacro %}

{% macro default__md5_upper_64(text) -%}
    cast(md5_number({{ text }}) >> 64 as ubigint)
{%- endmacro %}

{#- bytes 9 to 16 of the digest, last first (little-endian), from hex to decimal -#}
{% macro spark__md5_upper_64(text) -%}
    cast(conv(concat(
        {%- for byte in range(15, 7, -1) %}substr(md5({{ text }}), {{ 2 * byte + 1 }}, 2){{ ", " if not loop.last }}{% endfor -%}
    ), 16, 10) as decimal(20, 0))
{%- endmacro %}

{#- The discrete quantile `q` of `expr`: an actual value (the one at rank ceil(q x n)), of the type of
    `expr`, so an exact decimal stays one. -#}
{% macro quantile_of(expr, q) -%}
    {{ return(adapter.dispatch('quantile_of')(expr, q)) }}
{%- endmacro %}

{% macro default__quantile_of(expr, q) -%}
    quantile_disc({{ expr }}, {{ q }})
{%- endmacro %}

{% macro spark__quantile_of(expr, q) -%}
    percentile_disc({{ q }}) within group (order by {{ expr }})
{%- endmacro %}

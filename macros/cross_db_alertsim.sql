{#- Where DuckDB and Spark SQL differ, for the alerts and simulations (models/alerts/, models/simulations/,
    fct_margin_alerts): one macro per construct, dispatched by adapter (default__ is DuckDB; the Spark
    branches give the same values, macros/cross_db.sql has the shared array macros). -#}

{#- `materialized` for a CTE read more than once (DuckDB would otherwise compute it per read); Spark has
    no such hint. -#}
{% macro cte_materialized() -%}
    {{ return(adapter.dispatch('cte_materialized')()) }}
{%- endmacro %}

{% macro default__cte_materialized() -%}
    materialized
{%- endmacro %}

{% macro spark__cte_materialized() -%}
{%- endmacro %}

{#- The parts of the text `expr` between occurrences of `delimiter` (one character), as an array. -#}
{% macro split_to_array(expr, delimiter) -%}
    {%- if delimiter | length != 1 -%}
        {{ exceptions.raise_compiler_error('split_to_array: the delimiter must be one character, not ' ~ delimiter) }}
    {%- endif -%}
    {{ return(adapter.dispatch('split_to_array')(expr, delimiter)) }}
{%- endmacro %}

{% macro default__split_to_array(expr, delimiter) -%}
    string_split({{ expr }}, '{{ delimiter }}')
{%- endmacro %}

{#- Spark splits on a regular expression: the character as a class, or escaped where a class needs it. -#}
{% macro spark__split_to_array(expr, delimiter) -%}
    split({{ expr }}, '[{{ "\\\\" if delimiter in "]\\^" }}{{ delimiter }}]')
{%- endmacro %}

{#- printf-style text: `format` (an SQL string literal) with %s / %d / %.Nf placeholders filled by `args`
    (a list of SQL expressions); null when any argument is null (DuckDB's printf). DuckDB formats a
    decimal for %f as a double; Spark's format_string takes no decimal (nor a date for %s), so its
    arguments are cast as their placeholder reads them. %.Nf rounds the double's shortest decimal digits
    half up on Spark (Java's Formatter) and its binary value on DuckDB: the same text unless the value
    has more than N decimals ending in 5. -#}
{% macro format_text(format, args) -%}
    {{ return(adapter.dispatch('format_text')(format, args)) }}
{%- endmacro %}

{% macro default__format_text(format, args) -%}
    printf({{ format }}, {{ args | join(', ') }})
{%- endmacro %}

{% macro spark__format_text(format, args) -%}
    {%- set conversions = modules.re.findall('%[-#+ 0,(]*[0-9]*(?:[.][0-9]+)?([a-zA-Z%])', format) | reject('equalto', '%') | list -%}
    {%- if conversions | length != args | length -%}
        {{ exceptions.raise_compiler_error('format_text: ' ~ args | length ~ ' arguments for ' ~ format) }}
    {%- endif -%}
    {%- set cast_args = [] -%}
    {%- for arg in args -%}
        {%- set conversion = conversions[loop.index0] -%}
        {%- do cast_args.append('cast(' ~ arg ~ ' as double)' if conversion in 'eEfgG'
                                else 'cast(' ~ arg ~ ' as string)' if conversion == 's' else arg) -%}
    {%- endfor -%}
    case when not ({{ args | join(' is null or ') }} is null) then format_string({{ format }}, {{ cast_args | join(', ') }}) end
{%- endmacro %}

{#- `expr` (a double) rounded to `digits` decimals, as text: DuckDB's round() cast to text. Spark's
    round loses the sign of a negative value rounded to zero (-0.0) and its text turns to E notation
    from 1e7: Java's formatting to the digits gives DuckDB's text. -#}
{% macro rounded_text(expr, digits) -%}
    {{ return(adapter.dispatch('rounded_text')(expr, digits)) }}
{%- endmacro %}

{% macro default__rounded_text(expr, digits) -%}
    cast(round({{ expr }}, {{ digits }}) as string)
{%- endmacro %}

{% macro spark__rounded_text(expr, digits) -%}
    case when {{ expr }} is not null then format_string('%.{{ digits }}f', cast({{ expr }} as double)) end
{%- endmacro %}

{#- Fails the query with `message` (an SQL text expression) when evaluated; a null expression. -#}
{% macro raise_sql_error(message) -%}
    {{ return(adapter.dispatch('raise_sql_error')(message)) }}
{%- endmacro %}

{% macro default__raise_sql_error(message) -%}
    error({{ message }})
{%- endmacro %}

{% macro spark__raise_sql_error(message) -%}
    raise_error({{ message }})
{%- endmacro %}

{#- An aggregate: the group's values of `value`, as an array ordered by the SQL expressions `order_by`
    (a list, ascending, none of them null). -#}
{% macro ordered_array_agg(value, order_by) -%}
    {{ return(adapter.dispatch('ordered_array_agg')(value, order_by)) }}
{%- endmacro %}

{% macro default__ordered_array_agg(value, order_by) -%}
    list({{ value }} order by {{ order_by | join(', ') }})
{%- endmacro %}

{#- Spark's collect_list has no order: the values are sorted as structs led by the sort keys. -#}
{% macro spark__ordered_array_agg(value, order_by) -%}
    transform(
        array_sort(collect_list(named_struct({% for key in order_by %}'k{{ loop.index }}', {{ key }}, {% endfor %}'v', {{ value }}))),
        s -> s.v
    )
{%- endmacro %}

{#- Elements `from_index` to `to_index` of `array` (1-based, both included; fewer past the end). -#}
{% macro array_slice(array, from_index, to_index) -%}
    {{ return(adapter.dispatch('array_slice')(array, from_index, to_index)) }}
{%- endmacro %}

{% macro default__array_slice(array, from_index, to_index) -%}
    ({{ array }})[{{ from_index }}:{{ to_index }}]
{%- endmacro %}

{% macro spark__array_slice(array, from_index, to_index) -%}
    slice({{ array }}, {{ from_index }}, {{ to_index }} - {{ from_index }} + 1)
{%- endmacro %}

{#- The elements of `array`, ascending (structs by their fields in order). -#}
{% macro array_sorted(array) -%}
    {{ return(adapter.dispatch('array_sorted')(array)) }}
{%- endmacro %}

{% macro default__array_sorted(array) -%}
    list_sort({{ array }})
{%- endmacro %}

{% macro spark__array_sorted(array) -%}
    array_sort({{ array }})
{%- endmacro %}

{#- Window statistics over the rows of the named window `window`, of a numeric `expr` (integer or
    double), as a double: the median, and the median absolute deviation from it. Spark has no `mad`: both
    are computed there from the window's sorted values, interpolated as DuckDB does (0.5 * lo + 0.5 * hi,
    checked on 100,000 samples; lo + (hi - lo) * 0.5 differs in the last bit), so that they give the
    same doubles. -#}
{% macro window_median(expr, window) -%}
    {{ return(adapter.dispatch('window_median')(expr, window)) }}
{%- endmacro %}

{% macro default__window_median(expr, window) -%}
    median({{ expr }}) over {{ window }}
{%- endmacro %}

{% macro spark__window_median(expr, window) -%}
    {{ spark__sorted_array_median('array_sort(collect_list(cast(' ~ expr ~ ' as double)) over ' ~ window ~ ')') }}
{%- endmacro %}

{% macro window_mad(expr, window) -%}
    {{ return(adapter.dispatch('window_mad')(expr, window)) }}
{%- endmacro %}

{% macro default__window_mad(expr, window) -%}
    mad({{ expr }}) over {{ window }}
{%- endmacro %}

{% macro spark__window_mad(expr, window) -%}
    {%- set values = 'collect_list(cast(' ~ expr ~ ' as double)) over ' ~ window -%}
    {{ spark__sorted_array_median('array_sort(transform(' ~ values ~ ', v -> abs(v - '
                                  ~ spark__sorted_array_median('array_sort(' ~ values ~ ')') ~ ')))') }}
{%- endmacro %}

{#- The median of a sorted array of doubles, interpolated as DuckDB does; null for an empty array. -#}
{% macro spark__sorted_array_median(sorted) -%}
    case
        when size({{ sorted }}) = 0 then null
        when size({{ sorted }}) % 2 = 1 then element_at({{ sorted }}, cast((size({{ sorted }}) + 1) div 2 as int))
        else element_at({{ sorted }}, cast(size({{ sorted }}) div 2 as int)) * 0.5
            + element_at({{ sorted }}, cast(size({{ sorted }}) div 2 + 1 as int)) * 0.5
    end
{%- endmacro %}

{#- last_value(`expr`) skipping nulls: a window function (add `over ...`). -#}
{% macro last_value_ignoring_nulls(expr) -%}
    {{ return(adapter.dispatch('last_value_ignoring_nulls')(expr)) }}
{%- endmacro %}

{% macro default__last_value_ignoring_nulls(expr) -%}
    last_value({{ expr }} ignore nulls)
{%- endmacro %}

{% macro spark__last_value_ignoring_nulls(expr) -%}
    last_value({{ expr }}, true)
{%- endmacro %}

{#- Every column but `columns` (a list of names): `*` less some, in a select list. -#}
{% macro star_except(columns) -%}
    {{ return(adapter.dispatch('star_except')(columns)) }}
{%- endmacro %}

{% macro default__star_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}

{#- cast(`expr` as decimal(`precision`, `scale`)) as DuckDB casts: a double is scaled (x * 10^scale, a
    double product) and rounded half away from zero, from its binary value. Spark would round the double's
    shortest decimal digits instead (4.58973720495 is 4.5897372049499...: 4.5897372049 on DuckDB,
    4.5897372050 on Spark); its branch rounds the same double product (whose digits stay on the right
    side of any half) for a double, and casts anything else as it is. Exact while |expr| x 10^scale
    stays below 2^53. -#}
{% macro to_decimal(expr, precision, scale) -%}
    {{ return(adapter.dispatch('to_decimal')(expr, precision, scale)) }}
{%- endmacro %}

{% macro default__to_decimal(expr, precision, scale) -%}
    cast({{ expr }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{% macro spark__to_decimal(expr, precision, scale) -%}
    case
        when typeof({{ expr }}) in ('double', 'float') then cast(
            cast(round(cast({{ expr }} as double) * 1e{{ scale }}, 0) as decimal(38, 0))
            * {{ '0.' ~ '0' * (scale - 1) ~ '1' if scale > 0 else '1' }} as decimal({{ precision }}, {{ scale }}))
        else cast({{ expr }} as decimal({{ precision }}, {{ scale }}))
    end
{%- endmacro %}

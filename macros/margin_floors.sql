{#- The warehouse's "today": var `as_of_date` when set, else the last day in the margin waterfall.
    Floors, exception reviews and alerts are judged as of this day, so a rerun over the same data
    gives the same verdicts. -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', none) -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        (select max(margin_date) from {{ ref('fct_margin_waterfall') }})
    {%- endif -%}
{%- endmacro %}

{#- Zone of a margin % against a floor: red below it, yellow within var('margin_yellow_band_pts')
    points above it, green above that. Revenue of zero with a cost is red (margin % is null there). -#}
{% macro margin_zone(margin_pct, floor_pct, cost) -%}
    case
        when {{ margin_pct }} is null then case when {{ cost }} > 0 then 'red' end
        when {{ margin_pct }} < {{ floor_pct }} then 'red'
        when {{ margin_pct }} < {{ floor_pct }} + {{ var('margin_yellow_band_pts', 10) }} then 'yellow'
        else 'green'
    end
{%- endmacro %}

{#- Features whose rolling margin over `window_days` days sits in `zone` on any of the last
    var('margin_floor_test_days') days up to the as-of day. Features with an open exception are
    exempt. Each failing row says which feature, which day, the margin, the floor and the shortfall. -#}
{% test margin_floor_zone(model, window_days, zone) %}
    select
        margin_date,
        feature,
        category,
        margin_pct_{{ window_days }}d as margin_pct,
        margin_floor_pct,
        {%- if zone == 'red' %}
        margin_floor_pct - margin_pct_{{ window_days }}d as points_below_floor
        {%- else %}
        yellow_ceiling_pct - margin_pct_{{ window_days }}d as points_below_green
        {%- endif %}
    from {{ model }}
    where zone_{{ window_days }}d = '{{ zone }}'
        and not has_floor_exception
        and margin_date > {{ as_of_date() }} - {{ var('margin_floor_test_days', 7) }}
        and margin_date <= {{ as_of_date() }}
{% endtest %}

{#- An exception to a margin floor whose review date has passed. -#}
{% test floor_exception_not_expired(model) %}
    select feature, floor_exception_reason, floor_exception_review_date, {{ as_of_date() }} as as_of_date
    from {{ model }}
    where floor_exception_review_date < {{ as_of_date() }}
{% endtest %}

{#- An exception needs both its reason and its review date. -#}
{% test floor_exception_documented(model) %}
    select feature, floor_exception_reason, floor_exception_review_date
    from {{ model }}
    where (floor_exception_reason is null) <> (floor_exception_review_date is null)
{% endtest %}

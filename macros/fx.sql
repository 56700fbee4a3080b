{#- Join condition for the rate that converts `currency` to the reporting currency on `on_date`
    (fx_rates seed, valid on [valid_from, valid_to)). -#}
{% macro fx_rate_on(currency, on_date, fx='fx') -%}
    {{ fx }}.currency = {{ currency }}
    and {{ on_date }} >= {{ fx }}.valid_from
    and {{ on_date }} < {{ fx }}.valid_to
{%- endmacro %}

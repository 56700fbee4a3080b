{#- Incremental event-grain models: what to re-process on an incremental run. -#}

{#- The side table where an incremental model keeps the prices it applied (written by its post-hook),
    so that the next run can re-price the days whose price in force changed since. -#}
{%- macro prices_applied_relation(relation=this) -%}
    {{- return(relation.incorporate(path={'identifier': relation.identifier ~ '__prices_applied'})) -}}
{%- endmacro -%}

{#- Post-hook: remember the resolved prices this run priced events with. -#}
{%- macro save_prices_applied(prices) -%}
    create or replace table {{ prices_applied_relation() }} as select * from {{ prices }}
{%- endmacro -%}

{#- The day-grain aggregates of int_usage_events_priced (int_inference_cost_daily,
    int_usage_cost_drivers_daily, fct_model_daily) are incremental with dbt's delete+insert on usage_date:

        materialized='incremental', incremental_strategy='delete+insert', unique_key='usage_date'

    plus pre_hook="{{ delete_usage_days_to_rebuild(...) }}", and `where {{ usage_days_not_built() }}` on
    the events they read. Each keeps `priced_through`, the
    latest priced_at of the events behind a row. A day is rebuilt when its events, as the model selects
    them (`events_filter`), differ in number (`count_column`, summed) or in their latest priced_at from
    what the model holds: new usage of any age, re-priced days and the day a re-delivered event left all
    show so, read from the two tables themselves. The pre-hook deletes the picked days (dbt's
    delete+insert deletes only the days it inserts, and a day that lost every event the model counts
    inserts nothing); the model then builds the days it no longer holds. -#}
{% macro usage_days_to_rebuild(events_filter='true', count_column='requests') -%}
    {%- if is_incremental() -%}
    usage_date in (
        select usage_date
        from (
            select usage_date, count(*) as events, max(priced_at) as priced_through
            from {{ ref('int_usage_events_priced') }}
            where {{ events_filter }}
            group by usage_date
        ) as events
        full join (
            select usage_date, sum({{ count_column }}) as events, max(priced_through) as priced_through
            from {{ this }}
            group by usage_date
        ) as built using (usage_date)
        where events.events is distinct from built.events
            or events.priced_through is distinct from built.priced_through
    )
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{% macro delete_usage_days_to_rebuild(events_filter='true', count_column='requests') -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ usage_days_to_rebuild(events_filter, count_column) }}
    {%- endif -%}
{%- endmacro %}

{#- After delete_usage_days_to_rebuild: the days the model does not hold, which are the days to build. -#}
{% macro usage_days_not_built() -%}
    {%- if is_incremental() -%}
    usage_date not in (select distinct usage_date from {{ this }})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

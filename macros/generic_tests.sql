{% test non_negative(model, column_name) %}
    select * from {{ model }} where {{ column_name }} < 0
{% endtest %}

{#- Fails when a file's quarantine share passes var('max_quarantine_share_pct'). -#}
{% test quarantine_share_below(model, column_name, max_pct=none) %}
    {%- set limit = max_pct if max_pct is not none else var('max_quarantine_share_pct', 5) %}
    select * from {{ model }} where {{ column_name }} > {{ limit }}
{% endtest %}

{#- Every row's parts add up to its total, exactly. With `day_column`, on a day-partitioned incremental
    model: the rows of the days its last build rebuilt (see in_days_built). -#}
{% test adds_up(model, total, parts, day_column=none) %}
    select * from {{ model }}
    where {{ total }} <> {{ parts | join(' + ') }}
    {%- if day_column %} and {{ in_days_built(model, day_column) }}{% endif %}
{% endtest %}

{#- No two rows share these columns. With `day_column` (one of them), on a day-partitioned incremental
    model: the rows of the days its last build rebuilt, which are all a duplicate could be among. -#}
{% test unique_combination(model, columns, day_column=none) %}
    select {{ columns | join(', ') }}, count(*) as n
    from {{ model }}
    {%- if day_column %}
    where {{ in_days_built(model, day_column) }}
    {%- endif %}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Every row satisfies `expression`, checked for the rows of the days the model's last build rebuilt. -#}
{% test expression_true_in_days_built(model, expression, day_column) %}
    select * from {{ model }}
    where not ({{ expression }}) and {{ in_days_built(model, day_column) }}
{% endtest %}

{#- Unique values in a day-partitioned incremental model: the values of the rows of the days its last build
    rebuilt (see in_days_built), checked against the whole table. With `hash_column` (a hash of the
    column), the whole table is searched by the narrow hash and the values compared only where hashes repeat. -#}
{% test unique_in_days_built(model, column_name, day_column, hash_column=none) %}
    {%- set key = hash_column or column_name %}
    with repeated as (
        select {{ key }} from {{ model }}
        where {{ key }} in (select {{ key }} from {{ model }} where {{ in_days_built(model, day_column) }})
        group by {{ key }}
        having count(*) > 1
    )
    select {{ column_name }}, count(*) as n
    from {{ model }}
    where {{ key }} in (select {{ key }} from repeated)
    group by {{ column_name }}
    having count(*) > 1
{% endtest %}

{#- Whether a row's day is one the last build of this day-partitioned incremental model rebuilt
    (<model>__days_built: every day after a full build); always true when that record is missing. Only
    a build narrows its tests so: rows of the other days have not changed since the build that tested
    them. `dbt test`, and so `ai-margin check`, tests every row, always: a failure a build passed over
    (a row broken by hand, a bug in the narrowing) is still found. -#}
{% macro in_days_built(model, day_column) -%}
    {%- set days = side_table('days_built', model) -%}
    {%- if flags.WHICH == 'build' and relation_exists_now(days) -%}
    {{ day_column }} in (select day from {{ days }})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#- Warns (or fails, by severity) on provider-days whose billed-minus-estimated residual passes
    var('max_reconciliation_residual_pct') of the estimate. -#}
{% test reconciliation_residual_within_tolerance(model, max_pct=none) %}
    {%- set limit = max_pct if max_pct is not none else var('max_reconciliation_residual_pct', 15) %}
    select * from {{ model }}
    where is_reconciled and abs(residual_pct_of_estimate) > {{ limit }}
{% endtest %}

{% test positive(model, column_name) %}
    select * from {{ model }} where {{ column_name }} <= 0
{% endtest %}

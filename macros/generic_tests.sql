{% test non_negative(model, column_name) %}
    select * from {{ model }} where {{ column_name }} < 0
{% endtest %}

{#- Fails when a source's quarantine share passes var('max_quarantine_share_pct'): per source (usage
    files, OpenTelemetry, LiteLLM, Langfuse), over the files read in the last
    var('quarantine_window_days') days, so that one bad line in a tiny late file fails nothing. -#}
{% test quarantine_share_below(model, max_pct=none, window_days=none) %}
    {%- set limit = max_pct if max_pct is not none else var('max_quarantine_share_pct', 5) %}
    {%- set days = window_days if window_days is not none else var('quarantine_window_days', 7) %}
    select
        source_format,
        sum(rows_quarantined) as rows_quarantined,
        sum(rows_read) as rows_read,
        round(sum(rows_quarantined) * 100.0 / sum(rows_read), 4) as quarantine_share_pct
    from {{ model }}
    where read_at > (select max(read_at) from {{ model }}) - interval '{{ days | int }} days'
    group by source_format
    having sum(rows_quarantined) * 100.0 > {{ limit }} * sum(rows_read)
{% endtest %}

{#- Every row's parts add up to its total, exactly. -#}
{% test adds_up(model, total, parts) %}
    select * from {{ model }}
    where {{ total }} <> {{ parts | join(' + ') }}
{% endtest %}

{#- No two rows share these columns. -#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as n
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

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

{#- Every row satisfies `expression`. -#}
{% test expression_true(model, expression) %}
    select * from {{ model }} where not ({{ expression }})
{% endtest %}

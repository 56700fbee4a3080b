{% test non_negative(model, column_name) %}
    select * from {{ model }} where {{ column_name }} < 0
{% endtest %}

{#- Fails when a file's quarantine share passes var('max_quarantine_share_pct'). -#}
{% test quarantine_share_below(model, column_name, max_pct=none) %}
    {%- set limit = max_pct if max_pct is not none else var('max_quarantine_share_pct', 5) %}
    select * from {{ model }} where {{ column_name }} > {{ limit }}
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

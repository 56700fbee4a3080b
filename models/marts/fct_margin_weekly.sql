-- Incremental by week: only the weeks with a changed day in fct_margin_waterfall are rebuilt.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ day_partitions_pre_hook([
        {'name': 'waterfall', 'relation': ref('fct_margin_waterfall'), 'day': margin_period('week', 'margin_date')},
    ], 'period_start') }}",
    post_hook="{{ day_partitions_post_hook('period_start') }}"
) }}

{{ margin_rollup('week') }}

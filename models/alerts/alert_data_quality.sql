-- Data quality as alerts: what fails a data test by name also reaches whoever reads the alerts (a failing
-- test never holds the alerts back, and a webhook reader never sees dbt's output). Three conditions:
-- an input file no reader could read (quarantined as a file), a usage source that quarantined more than
-- var('max_quarantine_share_pct') of the records it read on a day, and production calls to a model with
-- no price (costed at zero until it has one).
with unreadable_files as (

    select
        cast(read_at as date) as alert_date, 'input_file_unreadable' as alert_type, 'critical' as severity,
        'file' as entity_type, source || '/' || source_file as entity_id,
        'bytes in a file no reader could read' as metric,
        size_bytes as metric_value,
        null as threshold,
        null as baseline_value,
        true as is_on,
        reason as note
    from {{ ref('stg_input_files__unreadable') }}

),

quarantine_days as (

    select
        cast(read_at as date) as alert_date, 'usage_quarantine_high' as alert_type, 'warning' as severity,
        'source' as entity_type, source_format as entity_id,
        'percent of the records read that day quarantined' as metric,
        -- a double, as DuckDB's "/" gives (Spark's would be an exact decimal)
        cast(sum(rows_quarantined) * 100.0 as double) / cast(sum(rows_read) as double) as metric_value,
        {{ var('max_quarantine_share_pct', 5) }} as threshold,
        null as baseline_value,
        sum(rows_quarantined) * 100.0 > {{ var('max_quarantine_share_pct', 5) }} * sum(rows_read) as is_on,
        'raw_usage.usage_quarantine has each record with its file, row and reason' as note
    from {{ ref('stg_usage__files') }}
    where rows_read > 0
    group by all

),

model_days as (

    select
        usage_date as alert_date, 'model_unpriced' as alert_type, 'critical' as severity,
        'model' as entity_type, provider || '/' || model as entity_id,
        'production calls with no price, costed at zero' as metric,
        sum(unpriced_requests) as metric_value,
        0 as threshold,
        null as baseline_value,
        sum(unpriced_requests) > 0 as is_on,
        'add a price to seeds/model_price_overrides.csv, or use a model name the catalog knows' as note
    from {{ ref('fct_model_daily') }}
    group by all

),

conditions as (

    select * from unreadable_files
    union all
    select * from quarantine_days
    union all
    select * from model_days

)

{{ alert_rows('conditions', note='note') }}

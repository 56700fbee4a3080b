-- One row per usage file: the version last read and what came of its records.
with source as (

    {{ source_columns('usage', 'usage_files', {
        'source_file': 'string', 'file_fingerprint': 'string', 'size_bytes': 'bigint',
        'rows_read': 'bigint', 'rows_loaded': 'bigint', 'rows_quarantined': 'bigint',
        'duplicates_in_file': 'bigint', 'content_fields_dropped': 'bigint', 'records_not_usage': 'bigint',
        'file_error': 'string',
        'read_at': 'timestamptz'
    }) }}

),

final as (

    select
        source_file,
        case when split_part(source_file, '/', 1) in ('otel', 'litellm', 'langfuse') and contains(source_file, '/')
            then split_part(source_file, '/', 1) else 'usage' end as source_format,
        file_fingerprint,
        size_bytes,
        rows_read,
        rows_loaded,
        rows_quarantined,
        duplicates_in_file,
        content_fields_dropped,
        coalesce(records_not_usage, 0) as records_not_usage,
        file_error,
        case when rows_read > 0
            then round(rows_quarantined * 100.0 / rows_read, 4) else 0 end as quarantine_share_pct,
        {{ to_utc('read_at') }} as read_at
    from source

)

select * from final

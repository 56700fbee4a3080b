-- Quarantined records of the current version of each usage file (older versions were superseded).
with quarantine as (

    {{ source_columns('usage', 'usage_quarantine', {
        'source_file': 'string', 'source_row': 'bigint', 'file_fingerprint': 'string',
        'raw_text': 'string', 'reason': 'string', 'quarantined_at': 'timestamptz'
    }) }}

),

files as (

    select * from {{ ref('stg_usage__files') }}

),

final as (

    select
        quarantine.source_file,
        quarantine.source_row,
        quarantine.raw_text,
        quarantine.reason,
        {{ to_utc('quarantine.quarantined_at') }} as quarantined_at
    from quarantine
    inner join files
        on quarantine.source_file = files.source_file
        and quarantine.file_fingerprint = files.file_fingerprint

)

select * from final

-- Input files that could not be read at all, from every file source: quarantined as files (path, size,
-- fingerprint, reason) while the other files and sources loaded. The data test on this view fails
-- by name until each is fixed or removed.
{% set sources = [('stripe', 'stripe'), ('provider_costs', 'provider_costs'), ('overhead', 'overhead'),
                  ('revenue', 'revenue_events')] %}
with unreadable as (

    {% for source_name, loader in sources %}
    select
        '{{ loader }}' as source,
        resource,
        source_file,
        size_bytes,
        file_fingerprint,
        reason,
        {{ to_utc('read_at') }} as read_at
    from ({{ source_columns(source_name, 'source_files', {
        'resource': 'string', 'source_file': 'string', 'size_bytes': 'bigint', 'file_fingerprint': 'string',
        'reason': 'string', 'read_at': 'timestamptz'
    }) }}) as files
    where reason is not null
    union all
    {% endfor %}
    select
        'usage_events' as source,
        'usage_events' as resource,
        source_file,
        size_bytes,
        file_fingerprint,
        file_error as reason,
        {{ to_utc('read_at') }} as read_at
    from ({{ source_columns('usage', 'usage_files', {
        'source_file': 'string', 'size_bytes': 'bigint', 'file_fingerprint': 'string', 'file_error': 'string',
        'read_at': 'timestamptz'
    }) }}) as files
    where file_error is not null

)

select * from unreadable

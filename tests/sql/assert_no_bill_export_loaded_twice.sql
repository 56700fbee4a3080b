-- The same cloud bill export (FOCUS or CUR) loaded under two names: its rows are keyed by file and row,
-- so its charges would count twice. Remove the copy, and delete its rows from raw_provider_costs (a
-- load never deletes the rows of a file that is gone).
select file_fingerprint, count(*) as copies, min(source_file) as first_file, max(source_file) as last_file
from ({{ source_columns('provider_costs', 'source_files', {
    'resource': 'string', 'source_file': 'string', 'file_fingerprint': 'string', 'reason': 'string'
}) }}) as files
where resource = 'cloud_exports' and reason is null
group by file_fingerprint
having count(*) > 1

-- Every input file could be read. A file that could not be (quarantined as a file by its pipeline,
-- the rest loaded) is listed with the reason: fix or remove it and load again.
select source, source_file, size_bytes, reason
from {{ ref('stg_input_files__unreadable') }}

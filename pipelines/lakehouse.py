"""dlt source: the warehouse's raw layer as a lakehouse, for engines that read files (Spark, Databricks).

Every table of the `raw_*` schemas that the other pipelines loaded into DuckDB goes to dlt's filesystem
destination as Parquet, one dataset per schema: `<bucket_url>/<raw schema>/<table>/*.parquet`, a local
folder or object storage (s3://, gs://, az://) as dlt config says. Each run replaces the copy of every
table whose rows changed since the last run and skips the others: the loaders already quarantine,
deduplicate and fingerprint their input, so the copy is of what they kept, column types included
(decimals stay decimals, instants stay UTC timestamps).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import dlt

# dlt's own bookkeeping tables are not data
_SKIP_PREFIX = "_dlt"


def raw_tables(warehouse: Path) -> dict[str, list[str]]:
    """{raw schema: [tables]} of the DuckDB warehouse, dlt's staging copies and bookkeeping left out."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name like 'raw\\_%' escape '\\' "
            "and not schema_name like '%\\_staging' escape '\\' order by all").fetchall()
    tables: dict[str, list[str]] = {}
    for schema, table in rows:
        if not table.startswith(_SKIP_PREFIX):
            tables.setdefault(schema, []).append(table)
    return tables


def _table_digest(con, schema: str, table: str) -> str:
    """A digest of a table's rows and columns: unchanged tables are not copied again."""
    columns = con.execute(
        "select string_agg(column_name || ' ' || data_type, ', ' order by column_index) from duckdb_columns() "
        "where schema_name = ? and table_name = ?", [schema, table]).fetchall()[0][0]
    rows, checksum = con.execute(f'select count(*), sum(hash(t)) from {schema}."{table}" as t').fetchall()[0]
    return hashlib.sha256(f"{columns}|{rows}|{checksum}".encode()).hexdigest()


@dlt.source(name="lakehouse")
def lakehouse_source(warehouse: str, schema: str, tables: list[str]):
    """One resource per table of `schema` in `tables`, read from the DuckDB warehouse as Arrow batches."""
    import duckdb

    def rows(table: str):
        with duckdb.connect(warehouse, read_only=True) as con:
            yield from con.sql(f'select * from {schema}."{table}"').to_arrow_reader(500_000)

    return [dlt.resource(rows(table), name=table, write_disposition="replace") for table in tables]


def copy_to_lakehouse(warehouse: Path, bucket_url: str, pipelines_dir: Path, say=print) -> dict[str, list[str]]:
    """Copy every raw table whose rows changed since the last copy to `bucket_url`; returns
    {raw schema: [tables]} as they now are in the lakehouse. The digests of what was copied are kept in each
    pipeline's local state, written only after its load succeeded."""
    import duckdb

    tables = raw_tables(warehouse)
    for schema, names in tables.items():
        pipeline = dlt.pipeline(pipeline_name=f"lakehouse_{schema}", pipelines_dir=str(pipelines_dir),
                                destination=dlt.destinations.filesystem(bucket_url=bucket_url),
                                dataset_name=schema)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            digests = {table: _table_digest(con, schema, table) for table in names}
        try:
            copied_before = pipeline.get_local_state_val("table_digests")
        except KeyError:
            copied_before = {}
        changed = [table for table in names if copied_before.get(table) != digests[table]]
        if changed:
            pipeline.run(lakehouse_source(str(warehouse), schema, changed), loader_file_format="parquet")
            pipeline.set_local_state_val("table_digests", digests)
        say(f"  {schema:<20} {len(changed)} of {len(names)} table(s) copied"
            + (f": {', '.join(changed)}" if changed else " (none changed)"))
    return tables

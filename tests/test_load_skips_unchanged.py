"""A source whose files did not change since its last load is not loaded again; one whose files
changed is, and a rerun never double-counts (the fingerprint is committed by dlt with the load)."""

import shutil

import duckdb

from ai_margin.load import load_all

SOURCES = ["model_prices", "stripe", "revenue_events", "provider_costs", "overhead"]


def _skipped(result):
    return {s.name for s in result.steps if s.skipped}


def _counts(warehouse):
    """Rows in every raw table, and the overhead pools' total."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute("select schema_name, table_name from duckdb_tables() "
                             "where schema_name like 'raw_%' and table_name not like '_dlt%'").fetchall()
        rows = {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in tables}
        pools = con.execute("select sum(cast(amount as decimal(38, 10))) from raw_overhead.cost_pools").fetchone()[0]
        return rows, pools
    finally:
        con.close()


def test_unchanged_sources_are_skipped_and_changed_ones_reloaded(small_dataset, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(small_dataset, data_dir)
    warehouse = tmp_path / "w.duckdb"
    first = load_all(data_dir, warehouse, only=SOURCES, say=lambda m: None)
    assert not _skipped(first)
    tables, pools = _counts(warehouse)

    again = load_all(data_dir, warehouse, only=SOURCES, say=lambda m: None)
    assert _skipped(again) == set(SOURCES)
    assert _counts(warehouse) == (tables, pools)

    # one overhead pool changes: only overhead loads again, and holds the new amount once
    [pool_file] = sorted((data_dir / "overhead").glob("*.csv"))[:1]
    lines = pool_file.read_text().splitlines()
    header, row = lines[0].split(","), lines[1].split(",")
    amount = header.index("amount")
    old = row[amount]
    row[amount] = str(round(float(old) + 100, 2))
    pool_file.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    changed = load_all(data_dir, warehouse, only=SOURCES, say=lambda m: None)
    assert _skipped(changed) == set(SOURCES) - {"overhead"}
    new_tables, new_pools = _counts(warehouse)
    assert new_tables == tables and new_pools == pools + 100

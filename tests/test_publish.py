"""`ai-margin publish`: a read-only snapshot of the marts that readers query while the next build runs."""

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date

import duckdb

from ai_margin.bench import _add_day
from ai_margin.publish import current_snapshot, published_dir
from conftest import run_cli


def _marts(con, database: str) -> dict[str, int]:
    """Row counts of the published tables: the marts and the simulations."""
    tables = con.execute("select schema_name, table_name from duckdb_tables() where database_name = ? "
                         "and schema_name in ('marts', 'simulations') order by 1, 2", [database]).fetchall()
    return {t: con.execute(f'select count(*) from "{database}".{s}."{t}"').fetchone()[0] for s, t in tables}


def test_readers_query_the_snapshot_while_a_run_builds(built_warehouse, small_dataset, tmp_path):
    data_dir, warehouse = tmp_path / "data", tmp_path / "wh" / built_warehouse.name
    shutil.copytree(small_dataset, data_dir)
    shutil.copytree(built_warehouse.parent / ".dlt", warehouse.parent / ".dlt")
    shutil.copy2(built_warehouse, warehouse)
    assert "Published" in run_cli("publish", "--warehouse", str(warehouse)).stdout
    snapshot = current_snapshot(warehouse)
    first_day = duckdb.connect(str(snapshot), read_only=True).execute(
        "select max(margin_date) from marts.fct_margin_waterfall").fetchone()[0]
    new_day, _ = _add_day(data_dir, late_events=10)

    # a BI tool that keeps its connection open, and one that reconnects for every query
    held = duckdb.connect(str(snapshot), read_only=True)
    run = subprocess.Popen([sys.executable, "-m", "ai_margin.cli", "run", "--data-dir", str(data_dir),
                            "--warehouse", str(warehouse), "--quiet"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    errors, queries, days_seen = [], 0, set()
    while run.poll() is None:
        try:
            held.execute("select sum(gross_margin_usd) from marts.fct_margin_waterfall").fetchone()
            con = duckdb.connect(str(snapshot), read_only=True)
            days_seen.add(con.execute("select max(margin_date) from marts.fct_margin_waterfall").fetchone()[0])
            con.execute(f"select count(*) from read_parquet('{snapshot.parent / 'parquet' / 'fct_margin_waterfall.parquet'}')")
            con.close()
            queries += 1
        except duckdb.Error as exc:
            errors.append(str(exc))
        time.sleep(0.05)
    out, err = run.communicate()
    assert run.returncode == 0, out + err
    assert errors == [] and queries > 20, (errors, queries)
    assert "Published" in out
    # the readers saw the old snapshot, then the new one: never a missing or half-written file
    assert days_seen <= {first_day, date.fromisoformat(new_day)} and first_day in days_seen
    held.close()

    # the snapshot now holds every mart as the build left it, and says so in snapshot.json
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as warehouse (read_only)")
    con.execute(f"attach '{current_snapshot(warehouse)}' as snapshot (read_only)")
    marts = _marts(con, "warehouse")
    assert len(marts) >= 10 and _marts(con, "snapshot") == marts
    assert con.execute("select max(margin_date) from snapshot.marts.fct_margin_waterfall").fetchone()[0] == \
        date.fromisoformat(new_day)
    assert json.loads((current_snapshot(warehouse).parent / "snapshot.json").read_text())["rows"] == marts
    # older snapshots are cleaned up, the last two kept
    assert len(list((published_dir(warehouse) / "snapshots").iterdir())) == 2


def test_nothing_to_publish_before_a_build(tmp_path):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    proc = run_cli("publish", "--warehouse", str(empty), check=False)
    assert proc.returncode == 1 and "no tables in schema marts" in proc.stderr and "build first" in proc.stderr
    assert not (published_dir(empty) / "current").exists()

"""Kill -9 `ai-margin load` and `ai-margin build` at varied points, then run them again: nothing loaded
is lost and nothing is counted twice (the raw tables and the marts equal a clean run's)."""

import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb

from conftest import run_cli

RAW = """
    select table_schema || '.' || table_name from information_schema.tables
    where table_schema like 'raw_%' and table_schema not like '%_staging' and table_name not like '_dlt%'
      and table_name not in ('source_files', 'usage_files')
"""
MART_TOTALS = """
    select sum(revenue_usd), sum(total_cost_usd), sum(gross_margin_usd), sum(requests), count(*)
    from marts.fct_margin_waterfall
"""


def _snapshot(warehouse) -> tuple[dict, tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        raw = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
               for (t,) in con.execute(RAW).fetchall()}
        return raw, con.execute(MART_TOTALS).fetchone()
    finally:
        con.close()


def _kill_after(seconds: float, *args: str) -> None:
    """Start the CLI in its own process group and kill -9 it (and dbt's threads) after `seconds`."""
    proc = subprocess.Popen([sys.executable, "-m", "ai_margin.cli", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(seconds)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def test_killed_loads_and_builds_lose_and_double_nothing(small_dataset, built_warehouse, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(small_dataset, data)
    warehouse = tmp_path / "wh.duckdb"
    # kills at several points of the load (starting up, inside sources, while committing) and the build
    for seconds in (0.5, 2.0, 4.0):
        _kill_after(seconds, "load", "--data-dir", str(data), "--warehouse", str(warehouse))
    run_cli("load", "--data-dir", str(data), "--warehouse", str(warehouse))
    for seconds in (2.0, 6.0, 10.0):
        _kill_after(seconds, "build", "--warehouse", str(warehouse), "--quiet", "--no-publish")
    # a load killed after a kill of the build: a rerun of everything must still land in one state
    _kill_after(1.0, "run", "--data-dir", str(data), "--warehouse", str(warehouse), "--quiet", "--no-publish")
    run_cli("run", "--data-dir", str(data), "--warehouse", str(warehouse), "--quiet", "--no-publish")
    assert _snapshot(warehouse) == _snapshot(built_warehouse)

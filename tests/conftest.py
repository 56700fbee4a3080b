"""Shared fixtures: a small generated data set loaded and built once per test session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ai_margin.paths import dbt_target_dir

os.environ.setdefault("DATA_WRITER__TIMESTAMP_TIMEZONE", "")
os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")


def pytest_collection_modifyitems(items):
    """The Spark test is the longest file by far (7 minutes): first, so that under pytest-xdist
    (`make test`, with --no-loadscope-reorder to keep this order) the other files fill the other
    worker meanwhile, instead of the suite waiting for it at the end."""
    items.sort(key=lambda item: item.path.name != "test_spark.py")


def run_cli(*args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real console entry point in a subprocess, as a user would."""
    proc = subprocess.run([sys.executable, "-m", "ai_margin.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"ai-margin {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("data") / "small"
    run_cli("generate", "--data-dir", str(data_dir), "--customers", "40", "--days", "60", "--events", "40000",
            "--scenario", "all", "--seed", "7")
    return data_dir


@pytest.fixture(scope="session")
def built_warehouse(small_dataset, tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("wh") / "ai_margin.duckdb"
    run_cli("run", "--data-dir", str(small_dataset), "--warehouse", str(warehouse), "--quiet")
    assert_staging_reads_every_raw_table(warehouse)
    return warehouse


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> dict:
    """The data `make demo` builds (200 customers, 90 days, every scenario), loaded and built once."""
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    warehouse = data_dir.parent / "demo.duckdb"
    run_cli("generate", "--data-dir", str(data_dir), "--scenario", "all")
    run = run_cli("run", "--data-dir", str(data_dir), "--warehouse", str(warehouse), "--quiet")
    manifest = json.loads((data_dir / "manifest.json").read_text())
    return {"warehouse": warehouse, "manifest": manifest, "run_output": run.stdout, "data_dir": data_dir}


def assert_staging_reads_every_raw_table(warehouse: Path) -> None:
    """No staging view was built as "raw table missing" (zero rows) while its raw table exists: the
    bills of a whole provider once vanished from every mart that way (macros/source_columns.sql)."""
    manifest = json.loads((dbt_target_dir(warehouse) / "target" / "manifest.json").read_text())
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        raw_tables = set(con.execute("select schema_name, table_name from duckdb_tables()").fetchall())
        empty_views = {name for (name,) in con.execute(
            "select view_name from duckdb_views() where schema_name = 'staging' and sql like '%_missing_table%'"
        ).fetchall()}
    finally:
        con.close()
    wrongly_empty = [
        (node["name"], source["schema"], source["identifier"])
        for node in manifest["nodes"].values() if node["resource_type"] == "model" and node["name"] in empty_views
        for source in (manifest["sources"][s] for s in node["depends_on"]["nodes"] if s.startswith("source."))
        if (source["schema"], source["identifier"]) in raw_tables
    ]
    assert not wrongly_empty, f"staging views built as if their raw table were missing: {wrongly_empty}"


def query_warehouse(warehouse: Path, sql: str, params=None) -> list[tuple]:
    """Rows of one query on a warehouse file, read-only."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture
def query(built_warehouse):
    def _query(sql: str, params=None):
        con = duckdb.connect(str(built_warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()
    return _query

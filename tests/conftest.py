"""Shared fixtures: a small generated data set loaded and built once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

os.environ.setdefault("DATA_WRITER__TIMESTAMP_TIMEZONE", "")
os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")


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
    return warehouse


@pytest.fixture
def query(built_warehouse):
    def _query(sql: str, params=None):
        con = duckdb.connect(str(built_warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()
    return _query

"""The same project on Spark (issue 19's integration test): the small dataset's raw tables, copied to a Parquet
lakehouse by `ai-margin lakehouse`, built with `dbt build --target spark` on a local pyspark, give the same
rows as the DuckDB build in every mart and simulation table, to the last decimal, and the same tests fail."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from ai_margin.paths import PROJECT_DIR
from conftest import run_cli

# The compared schemas: what BI tools and users read.
COMPARED_SCHEMAS = ("marts", "simulations")
# When a build ran, not what it computed.
RUN_TIME_COLUMNS = {"priced_at", "priced_through"}


def _failed_tests(run_results: Path) -> set[str]:
    results = json.loads(run_results.read_text())["results"]
    return {r["unique_id"].split(".", 2)[2] for r in results
            if r["unique_id"].startswith(("test.", "unit_test.")) and r["status"] in ("fail", "error")}


def test_every_mart_is_the_same_on_spark(built_warehouse, tmp_path):
    warehouse = tmp_path / "ai_margin.duckdb"
    shutil.copy(built_warehouse, warehouse)
    spark_dir = tmp_path / "spark"
    env = {"AI_MARGIN_SPARK_DIR": str(spark_dir), "AI_MARGIN_SPARK_SHUFFLE_PARTITIONS": "1",
           "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}
    run_cli("lakehouse", "--warehouse", str(warehouse), "--bucket-url", str(tmp_path / "lake"), env=env)

    def dbt(target: str, *args: str) -> subprocess.CompletedProcess:
        # each run's results are read from run_results.json: never a previous run's
        (tmp_path / "target" / "run_results.json").unlink(missing_ok=True)
        return subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), *args, "--target", target, "--project-dir", str(PROJECT_DIR),
             "--profiles-dir", str(PROJECT_DIR)],
            capture_output=True, text=True, env={**os.environ, **env, "AI_MARGIN_WAREHOUSE": str(warehouse)},
            timeout=1800)

    # Seeds and models first (`ai-margin build --target spark`), then every test, data and unit: a failing
    # data test (the dataset breaches a margin floor on purpose) must not hold models back.
    run_cli("build", "--target", "spark", "--warehouse", str(warehouse), "--select",
            "resource_type:seed resource_type:model", "--quiet", env=env)
    dbt("spark", "test")
    spark_failures = _failed_tests(tmp_path / "target" / "run_results.json")
    dbt("duckdb", "test")
    duckdb_failures = _failed_tests(tmp_path / "target" / "run_results.json")
    assert duckdb_failures and spark_failures == duckdb_failures, (spark_failures, duckdb_failures)

    # Spark's managed tables are Parquet folders: DuckDB reads them beside the DuckDB build and compares.
    con = duckdb.connect(str(built_warehouse), read_only=True)
    tables = con.execute("select table_schema, table_name from information_schema.tables where table_type = "
                         f"'BASE TABLE' and table_schema in {COMPARED_SCHEMAS} order by all").fetchall()
    assert len(tables) > 15
    different = []
    for schema, table in tables:
        on_duckdb = f'{schema}."{table}"'
        on_spark = f"read_parquet('{spark_dir}/tables/{schema}.db/{table}/*.parquet')"
        columns = [c for (c,) in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position", [schema, table]).fetchall() if c not in RUN_TIME_COLUMNS]
        spark_columns = [c for (c,) in con.execute(f"select column_name from (describe select * from {on_spark})")
                         .fetchall()]
        assert sorted(set(spark_columns) - RUN_TIME_COLUMNS) == sorted(columns), (schema, table)
        select = ", ".join(f'"{c}"' for c in columns)
        only_duckdb, only_spark = (
            con.execute(f"select count(*) from (select {select} from {a} except all select {select} from {b})")
            .fetchall()[0][0] for a, b in ((on_duckdb, on_spark), (on_spark, on_duckdb)))
        if only_duckdb or only_spark:
            different.append(f"{schema}.{table}: {only_duckdb} row(s) only on DuckDB, {only_spark} only on Spark")
    assert not different, "\n".join(different)

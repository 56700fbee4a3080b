"""Run dbt on the warehouse through dbt's programmatic runner."""

from __future__ import annotations

import os
from pathlib import Path

from ai_margin.paths import PROJECT_DIR, dbt_target_dir


def target_name(target: str | None = None) -> str:
    """The dbt target a run uses: the one asked for, else profiles.yml's default (env AI_MARGIN_TARGET)."""
    return target or os.environ.get("AI_MARGIN_TARGET") or "duckdb"


def dbt_env(warehouse: Path, target: str | None = None) -> None:
    os.environ["AI_MARGIN_WAREHOUSE"] = str(warehouse)
    folder = dbt_target_dir(warehouse)
    # another target (spark) keeps its own artifacts: switching targets would make dbt parse the whole
    # project again each time, and `ai-margin status` and `check` read DuckDB's last run
    target = target_name(target)
    os.environ.setdefault("DBT_TARGET_PATH", str(folder / ("target" if target == "duckdb" else f"target-{target}")))
    os.environ.setdefault("DBT_LOG_PATH", str(folder / "logs"))
    # dbt.log records node results and errors; every SQL statement too with DBT_LOG_LEVEL_FILE=debug
    # (the SQL each node ran is kept in target/run either way)
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "info")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    # the spark target's metastore and tables, beside the warehouse like the lakehouse (profiles.yml)
    os.environ.setdefault("AI_MARGIN_SPARK_DIR", str(warehouse.parent / "spark"))


def run_dbt(args: list[str], warehouse: Path, quiet: bool = False):
    """Invoke dbt with the project and profiles of this repository; returns dbt's result object."""
    from dbt.cli.main import dbtRunner

    dbt_env(warehouse, args[args.index("--target") + 1] if "--target" in args else None)
    base = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    return dbtRunner().invoke([*(["--quiet"] if quiet else []), *args, *base])


def build_args(select: str | None = None, vars_yaml: str | None = None, full_refresh: bool = False,
               target: str | None = None) -> list[str]:
    """What `ai-margin build` runs: `dbt build` without the unit tests, as dbt advises for production
    runs (they test the SQL, not the data; `ai-margin check` and `make test` run them). Everything else,
    incremental or not, is dbt's own doing."""
    return ["build", "--exclude-resource-type", "unit_test", *(["--select", select] if select else []),
            *(["--vars", vars_yaml] if vars_yaml else []), *(["--full-refresh"] if full_refresh else []),
            *(["--target", target] if target else [])]


def release_dbt_connection() -> None:
    """dbt-duckdb keeps the warehouse open after dbt returns (until exit); drop its environment so this
    process can open the file read-only (DuckDB refuses a second configuration of an open file)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = getattr(DuckDBConnectionManager, "_ENV", None)
    DuckDBConnectionManager.close_all_connections()  # forgets the environment without closing it
    if env is not None:
        env.close()

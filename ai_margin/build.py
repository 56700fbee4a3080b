"""Run dbt (seed, run, test) on the warehouse through dbt's programmatic runner."""

from __future__ import annotations

import os
from pathlib import Path

from ai_margin.paths import PROJECT_DIR, dbt_target_dir


def dbt_env(warehouse: Path) -> None:
    os.environ["AI_MARGIN_WAREHOUSE"] = str(warehouse)
    target = dbt_target_dir(warehouse)
    os.environ.setdefault("DBT_TARGET_PATH", str(target / "target"))
    os.environ.setdefault("DBT_LOG_PATH", str(target / "logs"))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def run_dbt(args: list[str], warehouse: Path, quiet: bool = False):
    """Invoke dbt with the project and profiles of this repository; returns dbt's result object."""
    from dbt.cli.main import dbtRunner

    dbt_env(warehouse)
    base = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    flags = ["--quiet"] if quiet else []
    return dbtRunner().invoke([*flags, *args, *base])

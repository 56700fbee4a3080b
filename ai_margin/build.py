"""Run dbt (seed, run, test) on the warehouse through dbt's programmatic runner."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
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


# A routine build (new data, same project) re-runs every table and incremental model and every data test
# that reads data, but does not re-create views and seeds whose definition is unchanged since the last
# successful build (dbt's state:modified against that build's manifest) nor re-run the tests that read
# only those unchanged seeds. It leaves unit tests, which test SQL logic and not data, and the tests
# tagged full_history_scan, which re-read the whole raw history where a test of the new days covers what
# changed, to `ai-margin check` and the test suite. Everything runs when there is no such build yet,
# when the project settings, profile or --vars changed, with --full-refresh and with --all.
ROUTINE_SELECTION = ["state:modified+", "config.materialized:table+", "config.materialized:incremental+",
                     # the data tests on views (raw data), not those that read only unchanged seeds
                     "config.materialized:view+,resource_type:test"]


def _state_dir(warehouse: Path) -> Path:
    return dbt_target_dir(warehouse) / "last_build"


def _settings_fingerprint(vars_yaml: str | None) -> str:
    """What state:modified cannot see: project-wide settings and vars, and the profile."""
    digest = hashlib.sha256()
    for name in ("dbt_project.yml", "profiles.yml"):
        digest.update((PROJECT_DIR / name).read_bytes())
    digest.update((vars_yaml or "").encode())
    return digest.hexdigest()


def build_args(warehouse: Path, select: str | None, vars_yaml: str | None, full_refresh: bool,
               everything: bool) -> tuple[list[str], bool]:
    """(dbt build arguments, whether this is a routine build that skips unchanged views and seeds)."""
    args = ["build", *(["--select", select] if select else []), *(["--vars", vars_yaml] if vars_yaml else []),
            *(["--full-refresh"] if full_refresh else [])]
    state = _state_dir(warehouse)
    settings = state / "settings.sha256"
    routine = (not (select or full_refresh or everything) and (state / "manifest.json").exists()
               and settings.exists() and settings.read_text() == _settings_fingerprint(vars_yaml)
               and _views_and_seeds_present(warehouse, state / "manifest.json"))
    if routine:
        args += ["--select", *ROUTINE_SELECTION, "--exclude", "tag:full_history_scan",
                 "--exclude-resource-type", "unit_test", "--state", str(state)]
    return args, routine


def _views_and_seeds_present(warehouse: Path, manifest: Path) -> bool:
    """Whether the warehouse still holds every view and seed the last build made: a routine build does not
    re-create them, so a replaced or emptied warehouse file (`make clean`) gets a full build."""
    import duckdb

    nodes = json.loads(manifest.read_text())["nodes"].values()
    wanted = {(n["schema"], n.get("alias") or n["name"]) for n in nodes
              if n["resource_type"] in ("model", "seed") and n["config"]["materialized"] in ("view", "seed")}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        present = set(con.execute("select schema_name, table_name from duckdb_tables() "
                                  "union all select schema_name, view_name from duckdb_views()").fetchall())
    finally:
        con.close()
    return wanted <= present


def save_build_state(warehouse: Path, vars_yaml: str | None) -> None:
    """After a successful build: its manifest is what the next routine build compares the project with."""
    state = _state_dir(warehouse)
    state.mkdir(parents=True, exist_ok=True)
    target = Path(os.environ.get("DBT_TARGET_PATH") or dbt_target_dir(warehouse) / "target")
    shutil.copy2(target / "manifest.json", state / "manifest.json")
    (state / "settings.sha256").write_text(_settings_fingerprint(vars_yaml))

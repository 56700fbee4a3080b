"""Run dbt (seed, run, test) on the warehouse through dbt's programmatic runner."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ai_margin.paths import PROJECT_DIR, dbt_target_dir


def dbt_env(warehouse: Path) -> None:
    os.environ["AI_MARGIN_WAREHOUSE"] = str(warehouse)
    target = dbt_target_dir(warehouse)
    os.environ.setdefault("DBT_TARGET_PATH", str(target / "target"))
    os.environ.setdefault("DBT_LOG_PATH", str(target / "logs"))
    # dbt.log records node results and errors; every SQL statement too with DBT_LOG_LEVEL_FILE=debug,
    # which costs a routine build at 10M events 2-3 s (the SQL each node ran is kept in target/run)
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "info")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def run_dbt(args: list[str], warehouse: Path, quiet: bool = False):
    """Invoke dbt with the project and profiles of this repository; returns dbt's result object.
    Python's cyclic garbage collector waits meanwhile: importing and running dbt allocate millions of
    objects, and its passes over them held the interpreter lock, which dbt's threads share, for 1.3-1.9 s
    of a routine build at 10M events (0.4 s now). What is alive after the import (modules, classes) is
    frozen, so later passes skip it; the cycles dbt leaves are collected once it returns."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        from dbt.cli.main import dbtRunner

        gc.freeze()
        dbt_env(warehouse)
        base = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
        flags = ["--quiet"] if quiet else []
        return dbtRunner().invoke([*flags, *args, *base])
    finally:
        if collecting:
            gc.enable()


# A routine build (new data, same project) builds what is downstream of the sources that received data
# since the last successful build (their raw datasets have a newer completed dlt load: dbt's
# `source_status:fresher+` idea, without a freshness run) and of what changed in the project since
# that build (dbt's state:modified against its manifest). It leaves unit tests, which test SQL logic and
# not data, and the tests tagged full_history_scan, which re-read the whole raw history where a test of
# the new days covers what changed, to `ai-margin check` and the test suite. Everything runs when there
# is no such build yet, when the project settings, profile or --vars changed, with --full-refresh and
# with --all (also the way to rebuild after editing raw tables by hand, which leaves no dlt load).
# Views stay as they are while neither the project nor the raw tables' columns changed (build_args).
ROUTINE_SELECTION = ["state:modified+"]


def _state_dir(warehouse: Path) -> Path:
    return dbt_target_dir(warehouse) / "last_build"


def _target_path(warehouse: Path) -> Path:
    return Path(os.environ.get("DBT_TARGET_PATH") or dbt_target_dir(warehouse) / "target")


def project_fingerprint() -> str:
    """The files dbt parses (the model, seed, macro, test and analysis paths of dbt_project.yml)."""
    import yaml

    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    digest = hashlib.sha256()
    for key in ("model-paths", "seed-paths", "macro-paths", "test-paths", "analysis-paths", "snapshot-paths"):
        for folder in project.get(key, []):
            for path in sorted((PROJECT_DIR / folder).rglob("*")):
                if path.is_file():
                    digest.update(str(path.relative_to(PROJECT_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _settings_fingerprint(vars_yaml: str | None) -> str:
    """What state:modified cannot see: project-wide settings and vars, and the profile."""
    digest = hashlib.sha256()
    for name in ("dbt_project.yml", "profiles.yml"):
        digest.update((PROJECT_DIR / name).read_bytes())
    digest.update((vars_yaml or "").encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class BuildInputs:
    """What a build reads from outside the warehouse's models, taken before it runs: the next routine build
    compares its own with the last successful build's."""
    loads: dict[str, str]  # the last completed dlt load of each raw dataset (schema)
    raw_columns: str  # fingerprint of the columns of every raw table (what the staging views select)
    project: str  # project_fingerprint()
    settings: str  # _settings_fingerprint(vars)

    @classmethod
    def read(cls, warehouse: Path, vars_yaml: str | None) -> "BuildInputs":
        import duckdb

        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            schemas = [r[0] for r in con.execute(
                "select schema_name from duckdb_tables() where table_name = '_dlt_loads' order by 1").fetchall()]
            loads = {schema: con.execute(f'select max(load_id) from "{schema}"._dlt_loads where status = 0')
                     .fetchone()[0] for schema in schemas}
            columns = con.execute("select schema_name, table_name, column_name, data_type from duckdb_columns() "
                                  "where list_contains(?, schema_name) order by all", [schemas]).fetchall()
        finally:
            con.close()
        return cls(loads, hashlib.sha256(repr(columns).encode()).hexdigest(), project_fingerprint(),
                   _settings_fingerprint(vars_yaml))


def _sources_with_new_loads(manifest: dict, loads_then: dict[str, str], loads_now: dict[str, str]) -> list[str]:
    """The dbt sources whose raw dataset has a completed load the last successful build did not see."""
    changed = {schema for schema in loads_then.keys() | loads_now.keys()
               if loads_then.get(schema) != loads_now.get(schema)}
    return sorted({source["source_name"] for source in manifest["sources"].values() if source["schema"] in changed})


def build_args(warehouse: Path, select: str | None, vars_yaml: str | None, full_refresh: bool,
               everything: bool, inputs: BuildInputs | None = None) -> tuple[list[str], bool]:
    """(dbt build arguments, whether this is a routine build of what new loads and project changes touch).
    `inputs`: the warehouse's `BuildInputs` (with the same vars), when the caller already has them."""
    inputs = inputs or BuildInputs.read(warehouse, vars_yaml)
    args = ["build", *(["--select", select] if select else []), *(["--vars", vars_yaml] if vars_yaml else []),
            *(["--full-refresh"] if full_refresh else [])]
    state = _state_dir(warehouse)
    routine = (not (select or full_refresh or everything)
               and all((state / name).exists() for name in ("manifest.json", "source_loads.json", "settings.sha256"))
               and _kept(state, "settings.sha256") == inputs.settings)
    if routine:
        manifest = json.loads((state / "manifest.json").read_text())
        routine = _views_and_seeds_present(warehouse, manifest)
    if routine:
        loads_then = json.loads((state / "source_loads.json").read_text())
        fresher = [f"source:{name}+" for name in _sources_with_new_loads(manifest, loads_then, inputs.loads)]
        exclude = ["tag:full_history_scan"]
        unchanged = _kept(state, "project.sha256") == inputs.project
        if unchanged and fresher:
            # nothing in the project changed, so state:modified would select nothing: dbt need not read and
            # compare the last build's manifest (about 0.3 s)
            args += ["--select", *fresher]
            if _kept(state, "raw_columns.sha256") == inputs.raw_columns:
                # a view is its SQL over the columns of what it reads: with neither changed it stays as it is
                # (about 0.3 s a view). Without indirect selection, excluding a view keeps its tests, which
                # `source:...+` selects as descendants, to check the new data.
                exclude.append("config.materialized:view")
                args += ["--indirect-selection", "empty"]
        else:
            args += ["--select", *ROUTINE_SELECTION, *fresher, "--state", str(state)]
        args += ["--exclude", *exclude, "--exclude-resource-type", "unit_test"]
        # an unchanged project has the manifest of the last build already: dbt need not write it again
        # (twice per build, with its graph: about 0.5 s); run_build writes run_results.json itself
        if unchanged:
            args += ["--no-write-json"]
    return args, routine


def _kept(state: Path, name: str) -> str | None:
    """A fingerprint the last successful build kept in its state, if any."""
    return (state / name).read_text() if (state / name).exists() else None


# A routine build leaves DuckDB's vacuum to every VACUUM_EVERY-th routine build (macros/vacuum.sql): the
# deferred builds keep the rows their deletes left in storage, the next vacuum takes them back.
VACUUM_EVERY = 7


def _builds_since_vacuum(state: Path) -> int:
    """How many successful builds in a row have deferred vacuuming (kept in the build state)."""
    return int(_kept(state, "builds_since_vacuum") or 0)


def defers_vacuum(warehouse: Path, routine: bool) -> bool:
    """Whether this build skips vacuuming: a routine build, unless VACUUM_EVERY - 1 have in a row."""
    return routine and _builds_since_vacuum(_state_dir(warehouse)) < VACUUM_EVERY - 1


def run_build(args: list[str], warehouse: Path, quiet: bool = False, defer_vacuum: bool = False):
    """run_dbt for `build_args`: with --no-write-json, still writes the run's results where dbt would."""
    os.environ["AI_MARGIN_DEFER_VACUUM"] = "1" if defer_vacuum else "0"
    try:
        result = run_dbt(args, warehouse, quiet=quiet)
    finally:
        del os.environ["AI_MARGIN_DEFER_VACUUM"]
    if "--no-write-json" in args and result.result is not None:
        result.result.write(str(_target_path(warehouse) / "run_results.json"))
    return result


def _views_and_seeds_present(warehouse: Path, manifest: dict) -> bool:
    """Whether the warehouse still holds every view and seed the last build made: a routine build does not
    re-create the unchanged ones, so a replaced or emptied warehouse file (`make clean`) gets a full build."""
    import duckdb

    wanted = {(n["schema"], n.get("alias") or n["name"]) for n in manifest["nodes"].values()
              if n["resource_type"] in ("model", "seed") and n["config"]["materialized"] in ("view", "seed")}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        present = set(con.execute("select schema_name, table_name from duckdb_tables() "
                                  "union all select schema_name, view_name from duckdb_views()").fetchall())
    finally:
        con.close()
    return wanted <= present


def save_build_state(warehouse: Path, args: list[str], inputs: BuildInputs, vacuum_deferred: bool = False) -> None:
    """After a successful build of `args`: its manifest and the `BuildInputs` it saw (taken before it ran)
    are what the next routine build compares the project and the raw data with; and how many builds in a
    row have deferred vacuuming (defers_vacuum)."""
    state = _state_dir(warehouse)
    state.mkdir(parents=True, exist_ok=True)
    if "--no-write-json" not in args:  # else the state holds this project's manifest already
        shutil.copy2(_target_path(warehouse) / "manifest.json", state / "manifest.json")
    (state / "source_loads.json").write_text(json.dumps(inputs.loads, indent=1, sort_keys=True))
    (state / "raw_columns.sha256").write_text(inputs.raw_columns)
    (state / "settings.sha256").write_text(inputs.settings)
    (state / "project.sha256").write_text(inputs.project)
    (state / "builds_since_vacuum").write_text(str(_builds_since_vacuum(state) + 1 if vacuum_deferred else 0))

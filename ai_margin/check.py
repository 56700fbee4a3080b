"""The data-quality gate: one verdict from source freshness, the dbt data tests and a Great Expectations
checkpoint. `ai-margin check` exits non-zero when any of them fails, and says what failed: each stale
source with its age and threshold, each failing test with its failing rows (each feature below its floor
with its day, margin, floor and shortfall), and what to do next.

- Source freshness (`dbt source freshness`): error-level staleness fails, warn-level is reported.
  Only the source tables with a `freshness` config that hold loaded rows are judged (dbt is run with a
  `--select` of exactly those); a source with nothing loaded, such as Stripe in a project that bills
  elsewhere, is reported as "not configured, skipped" instead of failing on a missing table.
- dbt data tests (`dbt test`): row counts, nulls, keys, tie-outs (revenue, provider bills, overhead
  pools), quarantine share, margin floors, floor exceptions, unit tests. Error severity fails; warn
  severity (reconciliation residual tolerance, yellow margins) is reported. The failing rows are read
  once dbt has returned: from the table the test stored them in (`store_failures`, schema
  `dbt_test__audit`), else by running the test's compiled SQL; both on a read-only connection.
- Great Expectations: a checkpoint over raw usage and the marts, on GX's pandas path (its SQL path
  fails on DuckDB, see GUIDE). Columns are read from DuckDB into DataFrames; sums that must tie are
  computed in DuckDB on exact decimals and handed to GX as residuals.

What "now" is for freshness (`freshness_clock`). dbt's freshness query (each source's
`loaded_at_field` and `filter`) always runs; what changes is the moment its newest row is compared
with:
- var `as_of_date` (`ai-margin check --vars '{as_of_date: 2026-09-30}'`): the end of that day, the same
  "today" the floor tests use;
- generated data: when the warehouse holds exactly the usage files of a data directory written by
  `ai-margin generate` (its `manifest.json` names the period; every usage file loaded, per
  `raw_usage.usage_files`, is in that directory's `usage/` with the same fingerprint), the end of the
  generated period's last day. The directory is `--data-dir` (env `AI_MARGIN_DATA_DIR`), else where
  `make demo` writes (`data/demo`). The demo's dates are fixed and months old, so against the clock every
  source would be stale; against its own last day it is fresh, and the gate fails only on the demo's
  designed findings;
- otherwise the warehouse's current time, dbt's own verdict: real data is judged against now.
With another moment than now, each source's status comes from dbt's threshold for it
(`FreshnessThreshold.status`) applied to the age at that moment.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Callable

from ai_margin.build import release_dbt_connection, run_dbt
from ai_margin.paths import DEMO_DATA_DIR, PROJECT_DIR, dbt_target_dir

FEATURES_SEED = "seeds/features.csv"


@dataclass
class Finding:
    """One judged thing (a source table, a test, an expectation) that a gate reports on."""
    name: str
    status: str  # as dbt says it: pass, warn, fail, error, runtime error; or skipped
    summary: str  # one line
    lines: list[str] = field(default_factory=list)  # the failing rows (or dbt's message), readable
    rows: list[dict] = field(default_factory=list)  # the same, as fields
    more: int = 0  # failing rows not shown
    stored_in: str | None = None  # the table holding every failing row
    next_step: str | None = None


@dataclass
class Gate:
    name: str
    status: str  # pass, warn, fail
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def details(self) -> list[str]:
        """The gate's notes, then one line per finding that is not a pass."""
        return self.notes + [f.summary for f in self.findings if f.status != "pass"]

    def as_dict(self) -> dict:
        return {"name": self.name, "status": self.status, "details": self.details,
                "findings": [asdict(f) for f in self.findings],
                "next_steps": list(dict.fromkeys(f.next_step for f in self.findings if f.next_step))}


def _connect(warehouse: Path):
    import duckdb

    return duckdb.connect(str(warehouse), read_only=True)


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # money: every digit, as a string
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return float(f"{value:.12g}")  # without binary noise (24.340400000000002)
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)


def _short(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, (float, Decimal)):
        return f"{float(value):.6g}"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _pct(value) -> str:
    return "n/a" if value is None else f"{float(value):.1f}%"


def _age(seconds: float) -> str:
    """3d 4h, 5h 12m, 7m."""
    minutes = int(seconds // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {mins}m" if hours else f"{mins}m"


# ---------------------------------------------------------------------------------------- freshness


@dataclass(frozen=True)
class FreshnessClock:
    """The moment source freshness is judged at (see the module docstring)."""
    at: datetime | None  # None: the warehouse's current time, as dbt judges
    basis: str  # now, as_of_date or generated
    description: str


def _as_of_var(vars_yaml: str | None) -> date | None:
    if not vars_yaml:
        return None
    import yaml

    parsed = yaml.safe_load(vars_yaml)
    value = parsed.get("as_of_date") if isinstance(parsed, dict) else None
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _generate_manifest(data_dir: Path) -> dict | None:
    """The manifest `ai-margin generate` wrote into data_dir, if it did."""
    try:
        manifest = json.loads((data_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    keys = {"seed", "start_date", "end_date", "scenarios"}
    return manifest if isinstance(manifest, dict) and keys <= manifest.keys() else None


def generated_data_dir(con, candidates: list[Path]) -> tuple[Path, dict] | None:
    """The first candidate written by `ai-margin generate` whose usage files are exactly the latest
    versions of every usage file the warehouse loaded (path under usage/, size and fingerprint)."""
    try:
        loaded = con.execute("""
            select source_file, size_bytes, file_fingerprint from raw_usage.usage_files
            qualify row_number() over (partition by source_file order by read_at desc) = 1
        """).fetchall()
    except Exception:  # no usage loaded
        return None
    if not loaded:
        return None
    from pipelines._files import fingerprint

    for data_dir in candidates:
        manifest = _generate_manifest(data_dir)
        if manifest is None:
            continue
        files = [(data_dir / "usage" / name, size, digest) for name, size, digest in loaded]
        if all(path.is_file() and path.stat().st_size == size for path, size, _ in files) \
                and all(fingerprint(path) == digest for path, _, digest in files):
            return data_dir, manifest
    return None


def _data_dir_candidates(data_dir: Path | None) -> list[Path]:
    if data_dir is not None:
        return [data_dir.resolve()]
    return list(dict.fromkeys(p.resolve() for p in (Path.cwd() / DEMO_DATA_DIR, PROJECT_DIR / DEMO_DATA_DIR)))


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone.utc)


def freshness_clock(con, vars_yaml: str | None = None, data_dir: Path | None = None) -> FreshnessClock:
    as_of = _as_of_var(vars_yaml)
    if as_of is not None:
        return FreshnessClock(_end_of(as_of), "as_of_date", f"as of the end of {as_of} (var as_of_date)")
    generated = generated_data_dir(con, _data_dir_candidates(data_dir))
    if generated is not None:
        where, manifest = generated
        last = date.fromisoformat(manifest["end_date"])
        return FreshnessClock(_end_of(last), "generated",
                              f"as of the end of {last}, the last day of the generated data in {where} "
                              "(manifest.json), not now")
    now = datetime.now(timezone.utc)
    return FreshnessClock(None, "now", f"as of now ({now:%Y-%m-%d %H:%M} UTC)")


def _threshold(freshness, status: str) -> str:
    """The threshold crossed first (`error after 7d (warn after 2d)`), or both: `within warn after 2d, ...`."""
    def one(label, t):
        return f"{label} after {t.count}{t.period.value[0]}" if t else None
    warn, error = one("warn", freshness.warn_after), one("error", freshness.error_after)
    if status == "error":
        return error + (f" (warn after {warn.split()[-1]})" if warn else "")
    if status == "warn":
        return warn + (f" (error after {error.split()[-1]})" if error else "")
    return "within " + ", ".join(filter(None, [warn, error]))


_SQL_WORDS = {"cast", "as", "timestamp", "timestamptz", "date", "double", "bigint", "integer", "varchar",
              "with", "time", "zone", "at", "interval", "epoch_ms"}


def _loaded_at_column(loaded_at_field: str | None) -> str | None:
    """The column a loaded_at_field expression reads: `cast(occurred_at as timestamp)` -> occurred_at."""
    for match in re.finditer(r"[A-Za-z_][A-Za-z0-9_]*", loaded_at_field or ""):
        rest = (loaded_at_field or "")[match.end():].lstrip()
        if not rest.startswith("(") and match.group().lower() not in _SQL_WORDS:
            return match.group()
    return None


def _pipeline_of(schema: str) -> str | None:
    """The `ai-margin load --only` name of the dlt pipeline that writes a raw schema."""
    from ai_margin.load import DATASETS

    return next((name for name, dataset in DATASETS.items() if dataset == schema), None)


def _loaded(con, schema: str, table: str) -> bool:
    """Whether the table (or view) exists and holds a row."""
    exists = con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                         [schema, table]).fetchone()[0]
    return bool(exists) and con.execute(f'select exists (select 1 from "{schema}"."{table}")').fetchone()[0]


def _freshness_gate(warehouse: Path, vars_yaml: str | None, dbt_args: list[str], data_dir: Path | None) -> Gate:
    parsed = run_dbt(["--log-level", "none", "parse", *dbt_args], warehouse, quiet=True)
    if parsed.result is None:
        return _dbt_failed("source freshness", parsed, warehouse)
    sources = sorted((s for s in parsed.result.sources.values() if s.config.enabled and s.has_freshness),
                     key=lambda s: s.unique_id)
    con = _connect(warehouse)  # parsing does not open the warehouse; dbt source freshness will
    try:
        judged = [s for s in sources if _loaded(con, s.schema, s.identifier)]
        clock = freshness_clock(con, vars_yaml, data_dir)
    finally:
        con.close()
    gate = Gate("source freshness", "pass", [clock.description])
    for source_name in sorted({s.source_name for s in sources}):
        tables = [s for s in sources if s.source_name == source_name]
        missing = [s for s in tables if s not in judged]
        if len(missing) == len(tables):
            gate.findings.append(Finding(
                source_name, "skipped", f"{source_name}: not configured, skipped (nothing loaded into "
                                        f"{tables[0].schema})"))
        elif missing:
            names = ", ".join(f"{s.source_name}.{s.name}" for s in missing)
            gate.findings.append(Finding(source_name, "skipped", f"{names}: no rows loaded, skipped"))
    if not judged:
        return gate
    select = [f"source:{s.source_name}.{s.name}" for s in judged]
    result = run_dbt(["--log-level", "none", "source", "freshness", *dbt_args, "--select", *select],
                     warehouse, quiet=True)
    if result.result is None:
        return _dbt_failed("source freshness", result, warehouse)
    fresh = 0
    for r in result.result.results:
        node = r.node
        if node.resource_type != "source":
            continue
        name = f"{node.source_name}.{node.name}"
        status = str(r.status)
        if status == "runtime error":
            message = str(r.message or "").strip().splitlines()
            reason = message[-1].strip() if message else "dbt could not read it"
            gate.findings.append(Finding(name, status, f"{name}: runtime error ({reason[:160]})",
                                         next_step=f"fix {name}'s loaded_at_field or table ({reason[:80]})"))
            continue
        max_loaded_at = r.max_loaded_at
        if max_loaded_at is None:  # rows, but none with a loaded_at value
            gate.findings.append(Finding(name, "error", f"{name}: error, no row has a {node.loaded_at_field}",
                                         next_step=f"fix {name}'s loaded_at_field or its rows"))
            continue
        if clock.at is None:
            age = float(r.age)
        else:
            age = (clock.at - max_loaded_at).total_seconds()
            status = str(node.freshness.status(age))
        column = _loaded_at_column(node.loaded_at_field)
        by_load = column == "_dlt_load_id"  # dlt's load id is the time the load started
        newest = "last load" if by_load else f"newest row ({column})"
        what = f"{newest} after that moment" if age < 0 else f"{newest} {_age(age)} old"
        line = f"{name}: {status}, {what}, {_threshold(node.freshness, status)}"
        next_step = None
        if status in ("warn", "error"):
            pipeline = _pipeline_of(node.schema) or node.source_name
            next_step = (f"load newer data into {name}: `ai-margin run --data-dir {data_dir or 'DIR'} --only "
                         f"{pipeline}` (or find out why the {pipeline} feed stopped)")
        else:
            fresh += 1
        gate.findings.append(Finding(
            name, status, line, next_step=next_step,
            rows=[{"source": node.source_name, "table": node.name, "loaded_at_field": node.loaded_at_field,
                   "max_loaded_at": _json_value(max_loaded_at),
                   "as_of": _json_value(clock.at or r.snapshotted_at), "as_of_basis": clock.basis,
                   "age_seconds": round(age, 1),
                   "warn_after": node.freshness.warn_after.to_dict() if node.freshness.warn_after else None,
                   "error_after": node.freshness.error_after.to_dict() if node.freshness.error_after else None}]))
    gate.notes.append(f"{fresh} of {len(judged)} source tables fresh")
    statuses = {f.status for f in gate.findings}
    gate.status = "fail" if statuses & {"error", "runtime error"} else "warn" if "warn" in statuses else "pass"
    return gate


# --------------------------------------------------------------------------------------- data tests


def _floor_lines(node, rows: list[dict]) -> tuple[list[str], str | None]:
    """Readable failing rows of the margin floor tests, and the next step; (generic, None) otherwise."""
    meta = getattr(node, "test_metadata", None)
    kind = meta.name if meta else None
    if kind == "margin_floor_zone":
        window = meta.kwargs.get("window_days")
        zone = meta.kwargs.get("zone")
        lines = []
        for row in rows:
            head = f"{row['feature']} on {row['margin_date']}: {window}-day margin"
            floor = row["margin_floor_pct"]
            if zone == "red":
                if row["margin_pct"] is None:
                    lines.append(f"{head} undefined: costs and no revenue (floor {_pct(floor)})")
                else:
                    lines.append(f"{head} {_pct(row['margin_pct'])} < floor {_pct(floor)} "
                                 f"(short {float(row['points_below_floor']):.1f} pts)")
            else:
                short = row.get("points_below_green")
                green = None if short is None or row["margin_pct"] is None else row["margin_pct"] + short
                lines.append(f"{head} {_pct(row['margin_pct'])} is {zone}: floor {_pct(floor)}, green from "
                             f"{_pct(green)}" + (f" (short {float(short):.1f} pts)" if short is not None else ""))
        features = sorted({str(r["feature"]) for r in rows}) or ["the features below their floor"]
        its = "its" if len(features) == 1 and rows else "their"
        return lines, (f"raise the margin of {', '.join(features)}, or correct {its} floor (margin_floor_pct) "
                       f"or add a documented exception (floor_exception_reason and floor_exception_review_date) "
                       f"in {FEATURES_SEED}")
    if kind == "floor_exception_not_expired":
        lines = [f"{r['feature']}: floor exception \"{r['floor_exception_reason']}\" expired, review date "
                 f"{r['floor_exception_review_date']} (as of {r['as_of_date']})" for r in rows]
        features = ", ".join(sorted({str(r["feature"]) for r in rows}))
        return lines, (f"review the exception of {features} in {FEATURES_SEED}: renew its review date, "
                       "or remove it and meet the floor")
    return [", ".join(f"{k}={_short(v)}" for k, v in row.items()) for row in rows], None


def _failing_rows(con, node, limit: int) -> tuple[list[dict], str | None]:
    """Up to `limit` failing rows of a test: from the table it stored them in, else from its SQL."""
    stored = getattr(node, "relation_name", None)
    meta = getattr(node, "test_metadata", None)
    if con is None:
        return [], (f"{node.schema}.{node.alias}" if stored else None)
    if stored:
        order = "margin_date desc, feature" if meta and meta.name == "margin_floor_zone" else "all"
        sql = f"select * from {stored} order by {order} limit {limit}"
    elif getattr(node, "compiled_code", None):
        # the newline: a test whose SQL ends in a -- comment
        sql = f"select * from ({node.compiled_code}\n) as failing order by all limit {limit}"
    else:
        return [], None
    try:
        cursor = con.execute(sql)
    except Exception:
        return [], None
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, values)) for values in cursor.fetchall()]
    return rows, (f"{node.schema}.{node.alias}" if stored else None)


def _tests_gate(warehouse: Path, dbt_args: list[str], max_rows: int) -> Gate:
    result = run_dbt(["--log-level", "none", "test", *dbt_args], warehouse, quiet=True)
    if result.result is None:
        return _dbt_failed("dbt data tests", result, warehouse)
    release_dbt_connection()
    passed, findings = 0, []
    try:
        con = _connect(warehouse)
    except Exception:  # the verdict stands without the failing rows
        con = None
    try:
        for r in result.result.results:
            node = r.node
            if node.resource_type not in ("test", "unit_test"):
                continue  # the on-run-start hook
            status = str(r.status)
            if status in ("pass", "success", "skipped"):
                passed += 1
                continue
            finding = Finding(node.name, status, f"{node.name}: {status}")
            failures = getattr(r, "failures", None)
            if status in ("fail", "warn") and failures and node.resource_type == "test":
                is_floor = getattr(getattr(node, "test_metadata", None), "name", None) in (
                    "margin_floor_zone", "floor_exception_not_expired")
                limit = max_rows if is_floor else min(max_rows, 3)
                rows, stored_in = _failing_rows(con, node, limit)
                lines, next_step = _floor_lines(node, rows)
                finding.summary += f" ({failures} rows" + (f", stored in {stored_in})" if stored_in else ")")
                finding.lines, finding.stored_in = lines, stored_in
                finding.rows = [{k: _json_value(v) for k, v in row.items()} for row in rows]
                if is_floor and node.test_metadata.name == "margin_floor_zone":
                    for row in finding.rows:
                        row.update(window_days=node.test_metadata.kwargs.get("window_days"),
                                   zone=node.test_metadata.kwargs.get("zone"))
                finding.more = max(failures - len(rows), 0)
                where = (f"every failing row: select * from {stored_in}" if stored_in
                         else f"every failing row: run the test's SQL, {node.compiled_path}")
                finding.next_step = f"{next_step}; {where}" if next_step else f"inspect {where}"
            else:
                message = [m.strip() for m in str(r.message or "").strip().splitlines() if m.strip()]
                if message:
                    finding.summary += f" ({message[0][:160]})"
                    # a failing unit test's message is the diff of expected and actual rows
                    finding.lines = message[1:max_rows + 1] if status == "fail" else message[1:3]
                finding.next_step = ("make the model's output match the unit test's expected rows (the diff "
                                     "above), or correct the expectation" if status == "fail"
                                     else f"fix the error; dbt's log: {_dbt_log(warehouse)}")
            findings.append(finding)
    finally:
        if con is not None:
            con.close()
    fails = [f for f in findings if f.status != "warn"]
    status = "fail" if fails or not result.success else ("warn" if findings else "pass")
    return Gate("dbt data tests", status, [f"{passed} passed"], findings)


def _dbt_log(warehouse: Path) -> str:
    return str(Path(os.environ.get("DBT_LOG_PATH") or dbt_target_dir(warehouse) / "logs") / "dbt.log")


def _dbt_failed(name: str, result, warehouse: Path) -> Gate:
    return Gate(name, "fail", findings=[Finding(
        "dbt", "error", f"dbt could not run: {result.exception}",
        next_step=f"fix what dbt reports; its log: {_dbt_log(warehouse)}")])


# ------------------------------------------------------------------------------- great expectations


# Per table: the SQL that reads its columns (and residuals computed exactly in DuckDB), and its expectations.
def _expectation_suites(gx) -> dict[str, tuple[str, list]]:
    e = gx.expectations
    return {
        "raw_usage.usage_events": (
            "select event_id, occurred_at, customer_id, input_tokens, output_tokens from raw_usage.usage_events",
            [e.ExpectTableRowCountToBeBetween(min_value=1),
             e.ExpectColumnValuesToNotBeNull(column="event_id"),
             e.ExpectColumnValuesToBeUnique(column="event_id"),
             e.ExpectColumnValuesToNotBeNull(column="occurred_at"),
             e.ExpectColumnValuesToBeBetween(column="input_tokens", min_value=0),
             e.ExpectColumnValuesToBeBetween(column="output_tokens", min_value=0)]),
        "marts.fct_margin_waterfall": (
            """select margin_date, customer_id, feature, total_cost_usd,
                      cast(gross_margin_usd - (revenue_usd - total_cost_usd) as double) as margin_residual_usd
               from marts.fct_margin_waterfall""",
            [e.ExpectTableRowCountToBeBetween(min_value=1),
             e.ExpectColumnValuesToNotBeNull(column="margin_date"),
             e.ExpectColumnValuesToNotBeNull(column="customer_id"),
             e.ExpectColumnValuesToNotBeNull(column="feature"),
             e.ExpectColumnValuesToNotBeNull(column="total_cost_usd"),
             e.ExpectColumnValuesToBeBetween(column="margin_residual_usd", min_value=0, max_value=0)]),
        "marts.fct_customer_margin": (
            "select customer_id, profitability from marts.fct_customer_margin",
            [e.ExpectTableRowCountToBeBetween(min_value=1),
             e.ExpectColumnValuesToBeUnique(column="customer_id"),
             e.ExpectColumnValuesToBeInSet(column="profitability",
                                           value_set=["profitable", "break_even", "unprofitable", "no_activity"])]),
    }


def _gx_gate(warehouse: Path) -> Gate:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)  # its INFO lines go to stderr
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("warehouse")
    con = _connect(warehouse)
    gate = Gate("great expectations checkpoint", "pass")
    try:
        for table, (sql, expectations) in _expectation_suites(gx).items():
            try:
                frame = con.execute(sql).df()
            except Exception as exc:
                gate.findings.append(Finding(table, "error", f"{table}: cannot be read ({str(exc).splitlines()[0]})",
                                             next_step="load the data and build: `ai-margin run --data-dir DIR`"))
                continue
            batch = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe(f"{table} (all rows)")
            suite = context.suites.add(gx.ExpectationSuite(name=table, expectations=expectations))
            validation = context.validation_definitions.add(
                gx.ValidationDefinition(name=table, data=batch, suite=suite))
            checkpoint = context.checkpoints.add(gx.Checkpoint(name=f"gate {table}",
                                                               validation_definitions=[validation]))
            result = checkpoint.run(batch_parameters={"dataframe": frame})
            misses = [r for run in result.run_results.values() for r in run.results if not r.success]
            gate.notes.append(f"{table}: {len(frame):,} rows, {len(expectations) - len(misses)} of "
                              f"{len(expectations)} expectations met")
            for r in misses:
                cfg = r.expectation_config
                column = cfg.kwargs.get("column")
                unexpected = (r.result or {}).get("unexpected_count")
                examples = (r.result or {}).get("partial_unexpected_list") or []
                gate.findings.append(Finding(
                    f"{table}: {cfg.type}", "fail",
                    f"{table}: {cfg.type} failed" + (f" on {column}" if column else "")
                    + (f" ({unexpected} rows)" if unexpected else ""),
                    lines=[f"e.g. {', '.join(_short(v) for v in examples[:5])}"] if examples else [],
                    rows=[{"table": table, "expectation": cfg.type, "column": column,
                           "unexpected_count": unexpected, "examples": [_json_value(v) for v in examples[:5]]}],
                    next_step=f"inspect {table}" + (f".{column}" if column else "")
                              + (" and reload its source" if table.startswith("raw_")
                                 else " and the models feeding it")))
    finally:
        con.close()
    gate.status = "fail" if gate.findings else "pass"
    return gate


# -------------------------------------------------------------------------------------------- gate


def run_checks(warehouse: Path, say: Callable[[str], None] = print, vars_yaml: str | None = None,
               data_dir: Path | None = None, max_rows: int = 10) -> list[Gate]:
    """Every gate. `data_dir`: where the loaded data came from, if known (it tells generated data, whose
    freshness is judged as of its own last day); `max_rows`: failing rows read per floor test (3 for
    other tests)."""
    dbt_args = ["--vars", vars_yaml] if vars_yaml else []
    # DuckDB lets a process open the file in one mode at a time: each gate reads the warehouse read-only
    # before dbt opens it read-write, or after dbt's connection is released.
    say("  great expectations checkpoint...")
    gates = [_gx_gate(warehouse)]
    say("  source freshness...")
    gates.append(_freshness_gate(warehouse, vars_yaml, dbt_args, data_dir))
    say("  dbt data tests...")
    gates.append(_tests_gate(warehouse, dbt_args, max_rows))
    return gates

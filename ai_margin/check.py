"""The data-quality gate: one verdict from source freshness, the dbt data tests and a Great Expectations
checkpoint. `ai-margin check` exits non-zero when any of them fails.

- Source freshness (`dbt source freshness`): error-level staleness fails, warn-level is reported.
- dbt data tests (`dbt test`): row counts, nulls, keys, tie-outs (revenue, provider bills, overhead
  pools), quarantine share, margin floors, floor exceptions, unit tests. Error severity fails; warn
  severity (reconciliation residual tolerance, yellow margins) is reported.
- Great Expectations: a checkpoint over raw usage and the marts, on GX's pandas path (its SQL path
  fails on DuckDB, see GUIDE). Columns are read from DuckDB into DataFrames; sums that must tie are
  computed in DuckDB on exact decimals and handed to GX as residuals.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ai_margin.build import run_dbt


@dataclass
class Gate:
    name: str
    status: str  # pass, warn, fail
    details: list[str] = field(default_factory=list)


def _dbt_gate(name: str, args: list[str], warehouse: Path) -> Gate:
    result = run_dbt(args, warehouse, quiet=True)
    if result.result is None:
        return Gate(name, "fail", [f"dbt could not run: {result.exception}"])
    fails, warns, passed = [], [], 0
    for r in result.result.results:
        status = str(r.status)
        label = getattr(r.node, "name", None) or getattr(r.node, "unique_id", "?")
        if status in ("error", "fail", "runtime error"):
            detail = f"{label}: {status}"
            if getattr(r, "failures", None):
                detail += f" ({r.failures} rows)"
            elif r.message:
                detail += f" ({str(r.message).splitlines()[0][:160]})"
            fails.append(detail)
        elif status == "warn":
            warns.append(f"{label}: warn" + (f" ({r.failures} rows)" if getattr(r, "failures", None) else ""))
        else:
            passed += 1
    status = "fail" if fails or not result.success else ("warn" if warns else "pass")
    return Gate(name, status, [f"{passed} passed"] + fails + warns)


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
    import duckdb

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)  # its INFO lines go to stderr
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("warehouse")
    con = duckdb.connect(str(warehouse), read_only=True)
    details, failed = [], False
    try:
        for table, (sql, expectations) in _expectation_suites(gx).items():
            frame = con.execute(sql).df()
            batch = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe(f"{table} (all rows)")
            suite = context.suites.add(gx.ExpectationSuite(name=table, expectations=expectations))
            validation = context.validation_definitions.add(
                gx.ValidationDefinition(name=table, data=batch, suite=suite))
            checkpoint = context.checkpoints.add(gx.Checkpoint(name=f"gate {table}",
                                                               validation_definitions=[validation]))
            result = checkpoint.run(batch_parameters={"dataframe": frame})
            misses = [r for run in result.run_results.values() for r in run.results if not r.success]
            details.append(f"{table}: {len(frame):,} rows, {len(expectations) - len(misses)} of "
                           f"{len(expectations)} expectations met")
            for r in misses:
                failed = True
                cfg = r.expectation_config
                column = cfg.kwargs.get("column")
                unexpected = (r.result or {}).get("unexpected_count")
                details.append(f"{table}: {cfg.type} failed" + (f" on {column}" if column else "")
                               + (f" ({unexpected} rows)" if unexpected else ""))
    finally:
        con.close()
    return Gate("great expectations checkpoint", "fail" if failed else "pass", details)


def run_checks(warehouse: Path, say: Callable[[str], None] = print, vars_yaml: str | None = None) -> list[Gate]:
    vars_args = ["--vars", vars_yaml] if vars_yaml else []
    # GX first: its read-only DuckDB connection must be closed before dbt opens the file read-write.
    say("  great expectations checkpoint...")
    gates = [_gx_gate(warehouse)]
    for name, args in [("source freshness", ["source", "freshness"]),
                       ("dbt data tests", ["test", *vars_args])]:
        say(f"  {name}...")
        gates.append(_dbt_gate(name, ["--log-level", "none", *args], warehouse))
    return gates

"""Run the dlt pipelines into the warehouse, one per origin."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import dlt

from ai_margin.paths import dlt_dir

# Parquet timestamps with a zone fail to load into DuckDB through dlt otherwise (see docs/GUIDE).
os.environ.setdefault("DATA_WRITER__TIMESTAMP_TIMEZONE", "")
os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
# dlt marks key columns NOT NULL on some Arrow batches and not others; merging them is lossless.
os.environ.setdefault("DATA_WRITER__ARROW_CONCAT_PROMOTE_OPTIONS", "default")

DATASETS = {
    "model_prices": "raw_model_prices",
    "usage_events": "raw_usage",
    "stripe": "raw_stripe",
    "provider_costs": "raw_provider_costs",
    "overhead": "raw_overhead",
}


@dataclass
class StepResult:
    name: str
    seconds: float
    detail: str = ""
    skipped: bool = False


@dataclass
class LoadResult:
    steps: list[StepResult] = field(default_factory=list)
    usage_report: object | None = None


def _pipeline(name: str, warehouse: Path) -> dlt.Pipeline:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name=DATASETS[name],
        pipelines_dir=str(dlt_dir(warehouse)),
        progress="log" if os.environ.get("AI_MARGIN_DLT_PROGRESS") else None,
    )


def _rows(pipeline: dlt.Pipeline) -> int:
    normalize = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
    counts = normalize.row_counts if normalize else {}
    return sum(v for k, v in counts.items() if not k.startswith("_dlt"))


def load_all(data_dir: Path | None, warehouse: Path, only: list[str] | None = None,
             say: Callable[[str], None] = print) -> LoadResult:
    """Load every origin found. With data_dir, each origin's folder comes from the input layout;
    without it, from dlt config (e.g. SOURCES__USAGE_EVENTS__USAGE_DIR)."""
    from pipelines.model_prices import model_prices_source
    from pipelines.overhead import overhead_source
    from pipelines.provider_costs import provider_costs_source
    from pipelines.stripe_billing import stripe_source
    from pipelines.usage_events import UsageLoadReport, usage_source

    result = LoadResult()
    usage_report = UsageLoadReport()
    result.usage_report = usage_report

    def folder(sub: str) -> str | None:
        return str(data_dir / sub) if data_dir is not None else None

    plan = [
        ("model_prices", lambda: model_prices_source(), None),
        ("usage_events", lambda: usage_source(usage_dir=folder("usage"), report=usage_report)
         if data_dir else usage_source(report=usage_report), "usage"),
        ("stripe", lambda: stripe_source(stripe_dir=folder("stripe")) if data_dir else stripe_source(), "stripe"),
        ("provider_costs", lambda: provider_costs_source(providers_dir=folder("providers"))
         if data_dir else provider_costs_source(), "providers"),
        ("overhead", lambda: overhead_source(overhead_dir=folder("overhead"))
         if data_dir else overhead_source(), "overhead"),
    ]
    for name, make_source, sub in plan:
        if only and name not in only:
            continue
        if data_dir is not None and sub is not None and not (data_dir / sub).is_dir():
            say(f"  {name:<15} skipped: no {sub}/ folder in {data_dir}")
            result.steps.append(StepResult(name, 0.0, f"no {sub}/ folder", skipped=True))
            continue
        say(f"  {name:<15} loading...")
        started = time.perf_counter()
        pipeline = _pipeline(name, warehouse)
        pipeline.run(make_source())
        seconds = time.perf_counter() - started
        detail = f"{_rows(pipeline):,} rows"
        if name == "usage_events":
            r = usage_report
            detail = (f"{r.total('rows_loaded'):,} events from {len(r.files)} new or changed file(s) "
                      f"({r.files_skipped} unchanged skipped); {r.total('rows_quarantined'):,} quarantined; "
                      f"{r.total('duplicates_in_file') + r.total('duplicates_across_files'):,} repeated event ids skipped; "
                      f"content fields dropped from {r.total('content_fields_dropped'):,} records")
        say(f"  {name:<15} done in {seconds:.1f}s: {detail}")
        if name == "usage_events" and usage_report.total("rows_quarantined"):
            for reason, n in list(usage_report.reasons().items())[:10]:
                say(f"      quarantined {n:>8,}  {reason}")
        result.steps.append(StepResult(name, seconds, detail))
    return result

"""Run the dlt pipelines into the warehouse, one per origin."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import dlt
from dlt.common.configuration.exceptions import ConfigFieldMissingException

from ai_margin.paths import PROJECT_DIR, dlt_dir
from ai_margin.redact import forget_trace_holding_secrets
from pipelines._files import fingerprint

# Parquet timestamps with a zone fail to load into DuckDB through dlt otherwise (see docs/GUIDE).
os.environ.setdefault("DATA_WRITER__TIMESTAMP_TIMEZONE", "")
os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
# Nothing about a user's warehouse leaves the machine unless they opt in (RUNTIME__DLTHUB_TELEMETRY=true);
# dbt's and Great Expectations' usage statistics are off too.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
# dlt marks key columns NOT NULL on some Arrow batches and not others; merging them is lossless.
os.environ.setdefault("DATA_WRITER__ARROW_CONCAT_PROMOTE_OPTIONS", "default")

DATASETS = {
    "model_prices": "raw_model_prices",
    "usage_events": "raw_usage",
    "stripe": "raw_stripe",
    "provider_costs": "raw_provider_costs",
    "overhead": "raw_overhead",
    "revenue_events": "raw_revenue",
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


# The folder (under --data-dir) each source loads whole from files; usage skips unchanged files itself.
WHOLE_FOLDER_SOURCES = {"stripe": "stripe", "revenue_events": "revenue", "provider_costs": "providers",
                        "overhead": "overhead"}


def input_fingerprint(name: str, data_dir: Path | None) -> str | None:
    """What a source would load, as one digest: the contents of its input files (or, for the price
    catalog, the genai-prices version) and the pipeline code that reads them. None when the source
    reads an API or a folder from dlt config: then it always runs (API sources keep their own cursors)."""
    digest = hashlib.sha256()
    for code in sorted((PROJECT_DIR / "pipelines").glob("*.py")):
        digest.update(code.read_bytes())
    if name == "model_prices":
        from importlib.metadata import version

        digest.update(f"genai-prices {version('genai-prices')}".encode())
        return digest.hexdigest()
    if data_dir is None or name not in WHOLE_FOLDER_SOURCES:
        return None
    folder = data_dir / WHOLE_FOLDER_SOURCES[name]
    if not folder.is_dir():
        return None
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(folder)}\0{fingerprint(path)}\0".encode())
    return digest.hexdigest()


def _remember(fingerprint: str):
    """A resource that loads nothing and records the input fingerprint in the source's dlt state, which
    dlt commits with the load: a failed load leaves the old one, and the next run loads again."""
    @dlt.resource(name="input_fingerprint")
    def remember():
        dlt.current.source_state()["input_fingerprint"] = fingerprint
        yield from ()
    return remember


def _unreadable_files(pipeline, name: str, usage_report) -> list[tuple[str, str]]:
    """The files this run could not read at all (quarantined as files: the source's `source_files`,
    or `usage_files` for usage)."""
    if name == "usage_events":
        return [(f.path, f.error) for f in usage_report.files if f.error]
    try:
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name("source_files")
            with client.execute_query(f"select source_file, reason from {table} where reason is not null "
                                      "order by 1") as cursor:
                return [tuple(row) for row in cursor.fetchall()]
    except Exception:  # noqa: BLE001 - no such table: every file was read
        return []


def load_all(data_dir: Path | None, warehouse: Path, only: list[str] | None = None,
             say: Callable[[str], None] = print) -> LoadResult:
    """Load every origin found. With data_dir, each origin's folder comes from the input layout;
    without it, from dlt config (e.g. SOURCES__USAGE_EVENTS__USAGE_DIR)."""
    from pipelines.model_prices import model_prices_source
    from pipelines.overhead import overhead_source
    from pipelines.provider_costs import provider_costs_api_source, provider_costs_source
    from pipelines.revenue_events import revenue_source
    from pipelines.stripe_billing import api_key_from_env, stripe_api_source, stripe_source
    from pipelines.usage_events import UsageLoadReport, usage_source

    result = LoadResult()
    usage_report = UsageLoadReport()
    result.usage_report = usage_report

    def from_folder(sub: str, make: Callable, **kwargs):
        """The source over <data-dir>/<sub>, or from dlt config when no --data-dir was given."""
        def factory():
            if data_dir is None:
                try:
                    return make(**kwargs)
                except ConfigFieldMissingException as exc:
                    return f"not configured ({', '.join(exc.fields)})"
            if not (data_dir / sub).is_dir():
                return f"no {sub}/ folder in {data_dir}"
            return make(str(data_dir / sub), **kwargs)
        return factory

    def files_or_api(sub: str, make_files: Callable, make_api: Callable):
        """Files when <data-dir>/<sub> exists; else the API when its key is set (make_api returns
        None without one); else the folder from dlt config."""
        def factory():
            if data_dir is None or not (data_dir / sub).is_dir():
                source = make_api()
                if source is not None:
                    return source
            return from_folder(sub, make_files)()
        return factory

    def stripe_api():
        key = api_key_from_env()  # the key goes to the SDK only, never to logs
        return stripe_api_source(api_key=key, api_base=os.environ.get("STRIPE_API_BASE") or None) if key else None

    def provider_costs_api():
        openai_key, anthropic_key = os.environ.get("OPENAI_ADMIN_KEY"), os.environ.get("ANTHROPIC_ADMIN_KEY")
        if not (openai_key or anthropic_key):
            return None
        options = {k: os.environ[v] for k, v in (("openai_api_base", "OPENAI_API_BASE"),
                                                  ("anthropic_api_base", "ANTHROPIC_API_BASE"),
                                                  ("start_date", "AI_MARGIN_COSTS_START_DATE")) if os.environ.get(v)}
        return provider_costs_api_source(openai_admin_key=openai_key, anthropic_admin_key=anthropic_key, **options)

    plan = [
        ("model_prices", model_prices_source),
        ("usage_events", from_folder("usage", usage_source, report=usage_report)),
        ("stripe", files_or_api("stripe", stripe_source, stripe_api)),
        ("revenue_events", from_folder("revenue", revenue_source)),
        ("provider_costs", files_or_api("providers", provider_costs_source, provider_costs_api)),
        ("overhead", from_folder("overhead", overhead_source)),
    ]
    for name, make_source in plan:
        if only and name not in only:
            continue
        pipeline = _pipeline(name, warehouse)  # active before the source: sources read their state
        # Restore state from the warehouse first: a fresh working folder (another machine, CI, a copied
        # warehouse) would otherwise see no files loaded and no ids seen, and load everything again.
        pipeline.sync_destination()
        if pipeline.has_pending_data:
            # a run stopped mid-load (killed, a crash) left its data extracted or normalized, and its state
            # (files seen, input fingerprint) already says so: finish that load before judging what changed
            say(f"  {name:<15} finishing the load a stopped run left...")
            pipeline.normalize()
            pipeline.load()
        source = make_source()
        if isinstance(source, str):
            say(f"  {name:<15} skipped: {source}")
            result.steps.append(StepResult(name, 0.0, source, skipped=True))
            continue
        # a source whose files (and code) did not change since its last load costs almost nothing
        fingerprint = input_fingerprint(name, data_dir)
        if fingerprint is not None:
            if pipeline.state.get("sources", {}).get(source.name, {}).get("input_fingerprint") == fingerprint:
                say(f"  {name:<15} unchanged since its last load, skipped")
                result.steps.append(StepResult(name, 0.0, "unchanged since its last load", skipped=True))
                continue
            source.resources.add(_remember(fingerprint))
        say(f"  {name:<15} loading...")
        started = time.perf_counter()
        try:
            pipeline.run(source)
        finally:
            forget_trace_holding_secrets(pipeline.working_dir)
        seconds = time.perf_counter() - started
        detail = f"{_rows(pipeline):,} rows"
        if name == "usage_events":
            r = usage_report
            detail = (f"{r.total('rows_loaded'):,} events from {len(r.files)} new or changed file(s) "
                      f"({r.files_skipped} unchanged skipped); {r.total('rows_quarantined'):,} quarantined; "
                      f"{r.total('duplicates_in_file') + r.total('duplicates_across_files'):,} repeated event ids skipped; "
                      f"content fields dropped from {r.total('content_fields_dropped'):,} records")
            if r.total("records_not_usage"):
                detail += f"; {r.total('records_not_usage'):,} spans or observations that are no model call"
        say(f"  {name:<15} done in {seconds:.1f}s: {detail}")
        if name == "usage_events" and usage_report.total("rows_quarantined"):
            for reason, n in list(usage_report.reasons().items())[:10]:
                say(f"      quarantined {n:>8,}  {reason}")
        for file, reason in _unreadable_files(pipeline, name, usage_report):
            say(f"      file quarantined: {name}/{file}: {reason}")
        result.steps.append(StepResult(name, seconds, detail))
    return result

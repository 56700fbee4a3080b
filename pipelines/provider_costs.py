"""dlt source: what AI providers actually billed (file mode).

- OpenAI Costs API pages (`providers/openai/*.json`, GET /v1/organization/costs), or the API itself
  with an admin key (`OPENAI_ADMIN_KEY`, base `OPENAI_API_BASE`)
- Anthropic cost report pages (`providers/anthropic/*.json`, amounts are decimal strings in cents),
  or the API itself (`ANTHROPIC_ADMIN_KEY`, base `ANTHROPIC_API_BASE`)
- OpenAI Usage API pages and Anthropic usage report pages (token counts the providers measured),
  from the same folders
- FOCUS 1.0-1.2 exports and AWS CUR 2.0 files (`providers/focus/`, `providers/aws_cur/`: CSV or Parquet)

Rows keep the provider's own field names; staging models normalise them into one FOCUS-shaped table.
Every row gets a deterministic `_row_key` and is merged on it, so reloading the same files never
double-counts. Money stays exact: JSON decimals are parsed as Decimal, CSV cells stay text.
"""

from __future__ import annotations

import gzip
import json
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import dlt
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines._files import json_files, list_page_objects, read_each_file, read_json, row_key


def _openai_rows(folder: Path):
    return read_each_file("openai_costs", json_files(folder), folder.parent,
                          lambda path: list(_openai_page_rows(read_json(path), path.name)))


def _amount(value, where: str):
    """A bill amount as sent, if it is a finite number: "abc" or NaN stops the file (quarantined as a
    file, naming the bucket) instead of loading a row whose cost would be lost."""
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(f"{where}: amount {str(value)[:40]!r} is not a number")
    return value


def _openai_page_rows(doc: dict, source: str):
    """Rows of one Costs API page (GET /v1/organization/costs); other pages are skipped."""
    if doc.get("object") != "page":
        return
    for bucket in list_page_objects(doc):
        for result in bucket.get("results", []):
            if result.get("object") != "organization.costs.result":
                continue
            amount = result.get("amount") or {}
            yield {
                "_row_key": row_key(bucket["start_time"], result.get("line_item"), result.get("project_id"),
                                    result.get("api_key_id")),
                "start_time": bucket["start_time"], "end_time": bucket["end_time"],
                "amount_value": _amount(amount.get("value"), f"bucket {bucket['start_time']}"),
                "amount_currency": amount.get("currency"),
                "line_item": result.get("line_item"), "project_id": result.get("project_id"),
                "api_key_id": result.get("api_key_id"), "quantity": result.get("quantity"),
                "quantity_unit": result.get("quantity_unit"), "_source_file": source,
            }


def _openai_usage_rows(folder: Path):
    return read_each_file("openai_usage", json_files(folder), folder.parent,
                          lambda path: list(_openai_usage_page_rows(read_json(path), path.name)))


def _openai_usage_page_rows(doc: dict, source: str):
    """Rows of Usage API pages (GET /v1/organization/usage/<type>): one row per bucket and result, with
    `result_type` (completions, embeddings, images...) and the result's own fields."""
    if doc.get("object") != "page":
        return
    for bucket in list_page_objects(doc):
        for result in bucket.get("results", []):
            kind = str(result.get("object", ""))
            if not kind.startswith("organization.usage."):
                continue
            fields = {k: v for k, v in result.items() if k != "object"}
            yield {
                "_row_key": row_key(bucket["start_time"], kind, *(fields.get(k) for k in (
                    "model", "project_id", "user_id", "api_key_id", "batch", "service_tier"))),
                "start_time": bucket["start_time"], "end_time": bucket["end_time"],
                "result_type": kind.split(".")[2], **fields, "_source_file": source,
            }


def _anthropic_rows(folder: Path):
    return read_each_file("anthropic_cost_report", json_files(folder), folder.parent,
                          lambda path: list(_anthropic_page_rows(read_json(path), path.name)))


def _anthropic_page_rows(doc: dict, source: str):
    """Rows of one cost report page (GET /v1/organizations/cost_report)."""
    for bucket in list_page_objects(doc):
        for result in bucket.get("results", []):
            if "amount" not in result:
                continue  # a usage report result
            yield {
                "_row_key": row_key(bucket["starting_at"], result.get("workspace_id"), result.get("description"),
                                    result.get("model"), result.get("token_type"), result.get("service_tier"),
                                    result.get("context_window"), result.get("cost_type"),
                                    result.get("inference_geo")),
                "starting_at": bucket["starting_at"], "ending_at": bucket["ending_at"],
                # decimal string in cents, kept as sent
                "amount": str(_amount(result.get("amount"), f"bucket {bucket['starting_at']}"))
                if result.get("amount") is not None else None,
                **{k: result.get(k) for k in ("currency", "workspace_id", "description", "cost_type",
                                              "context_window", "model", "service_tier", "token_type",
                                              "inference_geo")},
                "_source_file": source,
            }


CUR_MARKER = "line_item_unblended_cost"
# The columns a bill export cannot do without (matched ignoring case and underscores); a currency
# missing from a row is named by the FX tests downstream
FOCUS_REQUIRED = ("BilledCost", "ChargePeriodStart", "ChargePeriodEnd")
CUR_REQUIRED = ("line_item_unblended_cost", "line_item_usage_start_date", "line_item_usage_end_date")


def _anthropic_usage_rows(folder: Path):
    return read_each_file("anthropic_usage_report", json_files(folder), folder.parent,
                          lambda path: list(_anthropic_usage_page_rows(read_json(path), path.name)))


def _anthropic_usage_page_rows(doc: dict, source: str):
    """Rows of usage report pages (GET /v1/organizations/usage_report/messages): token counts per bucket
    and group (model, service tier, context window, workspace, API key)."""
    for bucket in list_page_objects(doc):
        for result in bucket.get("results", []):
            if "uncached_input_tokens" not in result:
                continue
            creation = result.get("cache_creation") or {}
            keys = ("model", "service_tier", "context_window", "workspace_id", "api_key_id", "inference_geo")
            yield {
                "_row_key": row_key(bucket["starting_at"], *(result.get(k) for k in keys)),
                "starting_at": bucket["starting_at"], "ending_at": bucket["ending_at"],
                **{k: result.get(k) for k in keys},
                "uncached_input_tokens": result.get("uncached_input_tokens"),
                "cache_read_input_tokens": result.get("cache_read_input_tokens"),
                "cache_creation_5m_input_tokens": creation.get("ephemeral_5m_input_tokens"),
                "cache_creation_1h_input_tokens": creation.get("ephemeral_1h_input_tokens"),
                "output_tokens": result.get("output_tokens"),
                "web_search_requests": (result.get("server_tool_use") or {}).get("web_search_requests"),
                "_source_file": source,
            }


def _export_tables(folders: list[Path]):
    """FOCUS and CUR 2.0 files as all-text Arrow tables, with file name and row number for lineage.
    A file is CUR when it has `line_item_unblended_cost` (in either folder); else it is FOCUS."""
    for folder in folders:
        if folder.is_dir():
            paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".csv", ".parquet", ".gz"))
            yield from read_each_file("cloud_exports", paths, folder.parent,
                                      lambda path, folder=folder: [_export_table(path, folder)])


def _export_table(path: Path, folder: Path):
    if path.suffix.lower() == ".parquet":
        table = pq.read_table(path)
        table = pa.table({c: table[c].cast(pa.string()) for c in table.column_names})
    else:
        # Every column as text: amounts must never pass through float. Exports from some locales
        # separate fields with ";" (a comma is their decimal mark): the header says which.
        with (gzip.open(path, "rt", encoding="utf-8-sig") if path.suffix.lower() == ".gz"
              else open(path, encoding="utf-8-sig")) as fh:
            first_line = fh.readline()
        parse = pacsv.ParseOptions(delimiter=";" if first_line.count(";") > first_line.count(",") else ",")
        header = pacsv.open_csv(path, parse_options=parse).schema.names
        table = pacsv.read_csv(path, parse_options=parse, convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header}, strings_can_be_null=False))
    is_cur = CUR_MARKER in {c.lower() for c in table.column_names}
    # an export without its cost or period columns would load as charges of nothing
    present = {_plain(c) for c in table.column_names}
    missing = [c for c in (CUR_REQUIRED if is_cur else FOCUS_REQUIRED) if _plain(c) not in present]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}")
    table = _amounts_as_numbers(table, may_use_decimal_comma=path.suffix.lower() != ".parquet"
                                and parse.delimiter == ";")
    rel = path.relative_to(folder.parent).as_posix()
    n = table.num_rows
    table = table.append_column("_source_file", pa.array([rel] * n, pa.string()))
    table = table.append_column("_source_row", pa.array(range(1, n + 1), pa.int64()))
    table = table.append_column("_row_key", pa.array([row_key(rel, i) for i in range(1, n + 1)], pa.string()))
    return dlt.mark.with_table_name(table, "aws_cur_costs" if is_cur else "focus_costs")


def _plain(column: str) -> str:
    return column.lower().replace("_", "")


# The cost columns of FOCUS and CUR exports (matched ignoring case and underscores)
AMOUNT_COLUMNS = {_plain(c) for c in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost",
                                      "line_item_unblended_cost", "line_item_net_unblended_cost",
                                      "pricing_public_on_demand_cost")}
NUMBER = r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$"


def _amounts_as_numbers(table: pa.Table, may_use_decimal_comma: bool) -> pa.Table:
    """The cost columns as plain decimal text: "$10,000.00 " -> "10000.00", and in a ";"-separated
    export whose amounts carry a comma, "1.234,56" -> "1234.56" (a comma there is the decimal mark, and
    dropping it as a thousands separator would multiply the amount). Blanks and "NULL" stay as they are.
    A cost that is still no number fails the file, naming its row and column."""
    import pyarrow.compute as pc

    columns = [(i, name) for i, name in enumerate(table.column_names) if _plain(name) in AMOUNT_COLUMNS]
    stripped = {name: pc.replace_substring_regex(table[name], r"[$€£¥\s]", "") for _, name in columns}
    # a comma after the last dot marks decimals ("0,5", "1.234,56"); "10,000.00" separates thousands
    decimal_comma = may_use_decimal_comma and any(
        pc.any(pc.match_substring_regex(text, r",\d*$")).as_py() for text in stripped.values())
    for i, name in columns:
        original, text = table[name], stripped[name]
        if decimal_comma and pc.any(pc.match_substring_regex(text, r",\d*\.")).as_py():
            raise ValueError(f"{name}: amounts with both decimal marks (1.234,56 and 1,234.56)")
        text = (pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".") if decimal_comma
                else pc.replace_substring(text, ",", ""))
        blank = pc.or_(pc.equal(text, ""), pc.equal(pc.utf8_upper(text), "NULL"))
        bad = pc.invert(pc.or_(blank, pc.match_substring_regex(text, NUMBER)))
        if pc.any(bad).as_py():
            row = pc.index(bad, True).as_py()
            raise ValueError(f"row {row + 1}: {name} {original[row].as_py()[:40]!r} is not a number")
        table = table.set_column(i, name, pc.if_else(blank, original, text))
    return table


class CostApi:
    """Paged GETs with backoff on 429, 5xx and connection errors; decimals parsed exactly.
    Error messages name the URL path, status and body, never the key (a server may echo it back)."""

    def __init__(self, base: str, headers: dict, secret: str, retries: int = 5, timeout: float = 60.0):
        import requests

        self.requests = requests
        self.base = base.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(headers)
        self.secret = secret
        self.retries = retries
        self.timeout = timeout

    def get(self, path: str, params: list[tuple[str, str]]) -> dict:
        for attempt in range(self.retries + 1):
            try:
                response = self.session.get(self.base + path, params=params, timeout=self.timeout)
            except self.requests.ConnectionError as exc:
                if attempt == self.retries:
                    raise RuntimeError(f"GET {path}: cannot connect ({type(exc).__name__})") from None
            else:
                if response.status_code == 200:
                    return json.loads(response.text, parse_float=Decimal)
                retryable = response.status_code == 429 or response.status_code >= 500
                if not retryable or attempt == self.retries:
                    raise RuntimeError(f"GET {path}: HTTP {response.status_code}: {self._redacted(response.text)[:200]}")
                delay = response.headers.get("retry-after")
                time.sleep(float(delay) if delay and delay.replace(".", "", 1).isdigit() else min(0.5 * 2 ** attempt, 8))
                continue
            time.sleep(min(0.5 * 2 ** attempt, 8))
        raise AssertionError("unreachable")

    def _redacted(self, text: str) -> str:
        return text.replace(self.secret, "<redacted>") if self.secret else text

    def pages(self, path: str, params: list[tuple[str, str]]):
        """Follow `has_more` / `next_page` (passed back as `page`)."""
        page = None
        while True:
            doc = self.get(path, params + ([("page", page)] if page else []))
            yield doc
            if not doc.get("has_more") or not doc.get("next_page"):
                return
            page = doc["next_page"]


def _charge_period_window(state: dict, start_date: str, lookback_days: int) -> datetime:
    """Start of the next read: the last bucket loaded minus a lookback (providers revise recent days)."""
    last = state.get("last_bucket_start")
    start = datetime.fromisoformat(last) - timedelta(days=lookback_days) if last else datetime.fromisoformat(start_date)
    return start.replace(tzinfo=timezone.utc) if start.tzinfo is None else start


def _openai_bucket_start(bucket: dict) -> str:
    return datetime.fromtimestamp(int(bucket["start_time"]), timezone.utc).isoformat()


def _anthropic_bucket_start(bucket: dict) -> str:
    return datetime.fromisoformat(bucket["starting_at"].replace("Z", "+00:00")).isoformat()


def _api_resource(name: str, api: CostApi, path: str, params, page_rows, bucket_start, start_date: str,
                  lookback_days: int, columns: dict | None = None):
    """A resource reading daily buckets from `path`, incremental by charge period: each run starts
    `lookback_days` before the last bucket loaded (providers revise recent days); rows merge on key."""

    @dlt.resource(name=name, write_disposition="merge", primary_key="_row_key", columns=columns)
    def resource():
        state = dlt.current.resource_state()
        start = _charge_period_window(state, start_date, lookback_days)
        for doc in api.pages(path, params(start)):
            yield list(page_rows(doc, "api"))
            for bucket in doc.get("data", []):
                seen = bucket_start(bucket)
                state["last_bucket_start"] = max(state.get("last_bucket_start") or seen, seen)

    return resource


@dlt.source(name="provider_costs", max_table_nesting=0)
def provider_costs_api_source(openai_admin_key: str | None = None, anthropic_admin_key: str | None = None,
                              openai_api_base: str = "https://api.openai.com/v1",
                              anthropic_api_base: str = "https://api.anthropic.com",
                              start_date: str = "2026-01-01", lookback_days: int = 3):
    """API mode: OpenAI Costs and Usage APIs, Anthropic cost and usage reports, daily buckets."""
    resources = []
    window = dict(start_date=start_date, lookback_days=lookback_days)
    if openai_admin_key:
        api = CostApi(openai_api_base, {"Authorization": f"Bearer {openai_admin_key}"}, openai_admin_key)

        def openai_params(*group_by):
            return lambda start: [("start_time", str(int(start.timestamp()))), ("bucket_width", "1d"),
                                  *(("group_by", g) for g in group_by), ("limit", "31")]

        resources.append(_api_resource(
            "openai_costs", api, "/organization/costs", openai_params("line_item", "project_id"),
            _openai_page_rows, _openai_bucket_start, **window,
            columns={"amount_value": {"data_type": "decimal", "precision": 38, "scale": 12}}))
        for kind in ("completions", "embeddings"):
            resources.append(_api_resource(
                f"openai_usage_{kind}", api, f"/organization/usage/{kind}",
                openai_params("model", "project_id", *(("batch",) if kind == "completions" else ())),
                _openai_usage_page_rows, _openai_bucket_start, **window))
            resources[-1].apply_hints(table_name="openai_usage")
    if anthropic_admin_key:
        api_a = CostApi(anthropic_api_base, {"x-api-key": anthropic_admin_key, "anthropic-version": "2023-06-01"},
                        anthropic_admin_key)

        def anthropic_params(*group_by):
            return lambda start: [("starting_at", start.strftime("%Y-%m-%dT%H:%M:%SZ")), ("bucket_width", "1d"),
                                  *(("group_by[]", g) for g in group_by), ("limit", "31")]

        resources.append(_api_resource(
            "anthropic_cost_report", api_a, "/v1/organizations/cost_report",
            anthropic_params("description", "workspace_id"), _anthropic_page_rows, _anthropic_bucket_start,
            **window))
        resources.append(_api_resource(
            "anthropic_usage_report", api_a, "/v1/organizations/usage_report/messages",
            anthropic_params("model", "service_tier", "context_window", "workspace_id"),
            _anthropic_usage_page_rows, _anthropic_bucket_start, **window))
    return resources


@dlt.source(name="provider_costs", max_table_nesting=0)
def provider_costs_source(providers_dir: str = dlt.config.value):
    root = Path(providers_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"providers directory not found: {root}")
    return [
        dlt.resource(_openai_rows(root / "openai"), name="openai_costs", write_disposition="merge",
                     primary_key="_row_key", columns={"amount_value": {"data_type": "decimal", "precision": 38,
                                                                      "scale": 12}}),
        dlt.resource(_anthropic_rows(root / "anthropic"), name="anthropic_cost_report",
                     write_disposition="merge", primary_key="_row_key"),
        dlt.resource(_openai_usage_rows(root / "openai"), name="openai_usage",
                     write_disposition="merge", primary_key="_row_key"),
        dlt.resource(_anthropic_usage_rows(root / "anthropic"), name="anthropic_usage_report",
                     write_disposition="merge", primary_key="_row_key"),
        dlt.resource(_export_tables([root / "focus", root / "aws_cur"]), name="cloud_exports",
                     write_disposition="merge", primary_key="_row_key"),
    ]

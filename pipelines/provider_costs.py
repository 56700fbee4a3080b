"""dlt source: what AI providers actually billed (file mode).

- OpenAI Costs API pages (`providers/openai/*.json`, GET /v1/organization/costs)
- Anthropic cost report pages (`providers/anthropic/*.json`, amounts are decimal strings in cents)
- FOCUS 1.0-1.2 exports and AWS CUR 2.0 files (`providers/focus/`, `providers/aws_cur/`: CSV or Parquet)

Rows keep the provider's own field names; staging models normalise them into one FOCUS-shaped table.
Every row gets a deterministic `_row_key` and is merged on it, so reloading the same files never
double-counts. Money stays exact: JSON decimals are parsed as Decimal, CSV cells stay text.
"""

from __future__ import annotations

from pathlib import Path

import dlt
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines._files import json_files, list_page_objects, read_json, row_key


def _openai_rows(folder: Path):
    for path in json_files(folder):
        doc = read_json(path)
        if doc.get("object") != "page":
            continue  # usage API pages are loaded by a later issue
        for bucket in list_page_objects(doc):
            for result in bucket.get("results", []):
                if result.get("object") != "organization.costs.result":
                    continue
                amount = result.get("amount") or {}
                yield {
                    "_row_key": row_key(bucket["start_time"], result.get("line_item"), result.get("project_id"),
                                        result.get("api_key_id")),
                    "start_time": bucket["start_time"], "end_time": bucket["end_time"],
                    "amount_value": amount.get("value"), "amount_currency": amount.get("currency"),
                    "line_item": result.get("line_item"), "project_id": result.get("project_id"),
                    "api_key_id": result.get("api_key_id"), "quantity": result.get("quantity"),
                    "quantity_unit": result.get("quantity_unit"), "_source_file": path.name,
                }


def _anthropic_rows(folder: Path):
    for path in json_files(folder):
        for bucket in list_page_objects(read_json(path)):
            for result in bucket.get("results", []):
                yield {
                    "_row_key": row_key(bucket["starting_at"], result.get("workspace_id"), result.get("description"),
                                        result.get("model"), result.get("token_type"), result.get("service_tier"),
                                        result.get("context_window"), result.get("cost_type"),
                                        result.get("inference_geo")),
                    "starting_at": bucket["starting_at"], "ending_at": bucket["ending_at"],
                    # decimal string in cents, kept as sent
                    "amount": str(result.get("amount")) if result.get("amount") is not None else None,
                    **{k: result.get(k) for k in ("currency", "workspace_id", "description", "cost_type",
                                                  "context_window", "model", "service_tier", "token_type",
                                                  "inference_geo")},
                    "_source_file": path.name,
                }


def _export_tables(folders: list[Path]):
    """FOCUS/CUR files as all-text Arrow tables, with file name and row number for lineage."""
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".csv", ".parquet", ".gz")):
            if path.suffix.lower() == ".parquet":
                table = pq.read_table(path)
                table = pa.table({c: table[c].cast(pa.string()) for c in table.column_names})
            else:
                # Every column as text: amounts must never pass through float.
                header = pacsv.open_csv(path).schema.names
                table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in header}, strings_can_be_null=False))
            rel = path.relative_to(folder.parent).as_posix()
            n = table.num_rows
            table = table.append_column("_source_file", pa.array([rel] * n, pa.string()))
            table = table.append_column("_source_row", pa.array(range(1, n + 1), pa.int64()))
            table = table.append_column("_row_key", pa.array([row_key(rel, i) for i in range(1, n + 1)], pa.string()))
            yield table


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
        dlt.resource(_export_tables([root / "focus", root / "aws_cur"]), name="focus_costs",
                     write_disposition="merge", primary_key="_row_key"),
    ]

"""dlt source: monthly overhead cost pools (`overhead/*.csv`), amounts kept as exact text."""

from __future__ import annotations

import csv
from pathlib import Path

import dlt

from pipelines._files import row_key

REQUIRED = ("period_start", "period_end", "cost_pool", "amount", "currency")


def overhead_rows(folder: Path):
    for path in sorted(folder.rglob("*.csv")):
        with open(path, newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}")
            for line_no, row in enumerate(reader, start=2):
                yield {**row, "_row_key": row_key(row["period_start"], row["cost_pool"], row.get("feature") or ""),
                       "_source_file": path.name, "_source_row": line_no}


@dlt.source(name="overhead", max_table_nesting=0)
def overhead_source(overhead_dir: str = dlt.config.value):
    folder = Path(overhead_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"overhead directory not found: {folder}")
    return dlt.resource(overhead_rows(folder), name="cost_pools", write_disposition="merge",
                        primary_key="_row_key", columns={"amount": {"data_type": "text"}})

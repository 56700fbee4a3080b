"""dlt source: monthly overhead cost pools (`overhead/*.csv`), amounts kept as exact text."""

from __future__ import annotations

import csv
from pathlib import Path

import dlt

from pipelines._files import read_each_file, row_key

REQUIRED = ("period_start", "period_end", "cost_pool", "amount", "currency")


def overhead_rows(folder: Path):
    """Every pool row; a file that cannot be read (or lacks a required column) is quarantined as a file
    (overhead.source_files) and the others load."""
    return read_each_file("cost_pools", sorted(folder.rglob("*.csv")), folder, _pool_rows)


def _pool_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:  # utf-8-sig: a BOM must not hide the header
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}")
        return [{**row, "_row_key": row_key(row["period_start"], row["cost_pool"], row.get("feature") or ""),
                 "_source_file": path.name, "_source_row": line_no}
                for line_no, row in enumerate(reader, start=2)]


@dlt.source(name="overhead", max_table_nesting=0)
def overhead_source(overhead_dir: str = dlt.config.value):
    folder = Path(overhead_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"overhead directory not found: {folder}")
    return dlt.resource(overhead_rows(folder), name="cost_pools", write_disposition="merge",
                        primary_key="_row_key", columns={"amount": {"data_type": "text"}})

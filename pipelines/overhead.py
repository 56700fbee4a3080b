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
    return read_each_file("cost_pools", sorted(folder.rglob("*.csv")), folder,
                          lambda path: _pool_rows(path, path.relative_to(folder).as_posix()))


def _pool_rows(path: Path, source_file: str) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:  # utf-8-sig: a BOM must not hide the header
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}")
        # Keyed by file and line, not by pool and period: a pool stated twice (in one file or two) is
        # kept twice, so that assert_one_cost_pool_row_per_period names both rather than one silently
        # replacing the other.
        return [{**row, "_row_key": row_key(source_file, line_no), "_source_file": source_file,
                 "_source_row": line_no}
                for line_no, row in enumerate(reader, start=2)]


@dlt.source(name="overhead", max_table_nesting=0)
def overhead_source(overhead_dir: str = dlt.config.value):
    folder = Path(overhead_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"overhead directory not found: {folder}")
    # a file read again replaces all of its rows (merge_key): a line removed from it is removed here
    return dlt.resource(overhead_rows(folder), name="cost_pools",
                        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
                        primary_key="_row_key", merge_key="_source_file", columns={"amount": {"data_type": "text"}})

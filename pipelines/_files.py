"""Small helpers shared by the file-mode sources."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator


@dataclass(frozen=True)
class Bounds:
    """What a usage record may hold (config `sources.usage_events.*`, docs/inputs.md); beyond it, the
    record is quarantined with the reason. Revenue events are held to the default time bounds."""
    max_tokens_per_call: int = 100_000_000
    max_reported_cost: int = 1_000_000  # per call, in its currency; the event table holds up to 99,999,999
    max_future_minutes: int = 24 * 60  # clocks differ; a day ahead is a wrong clock or a wrong unit
    min_occurred_at: str = "2015-01-01"


def fingerprint(path: Path) -> str:
    """A digest of a file's contents: what says whether a file changed since it was loaded."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_json(path: Path):
    """JSON with decimals kept exact (never through float)."""
    with open(path, "rb") as fh:
        return json.loads(fh.read(), parse_float=Decimal)


def json_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.json") if p.is_file()) if folder.is_dir() else []


def list_page_objects(doc) -> Iterator[dict]:
    """Objects of one Stripe/OpenAI-style list page, or of a plain JSON array."""
    if isinstance(doc, list):
        yield from doc
    elif isinstance(doc, dict) and isinstance(doc.get("data"), list):
        yield from doc["data"]
    else:
        raise ValueError("expected a list page {'data': [...]} or a JSON array")


def row_key(*parts: object) -> str:
    """Stable key for rows whose origin has no id of its own."""
    return hashlib.sha1("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()


def unreadable_reason(exc: BaseException) -> str:
    """Why a file could not be read, as the reader said it: its first line only, because DuckDB's CSV
    errors go on to quote the offending line, which may hold a prompt."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:500]


# merge_key="" drops a merge key the resource's own table may have (variants start from its hints)
FILE_LOG_HINTS = dict(table_name="source_files", write_disposition="merge", primary_key=("resource", "source_file"),
                      merge_key="")


def read_each_file(resource: str, paths: list[Path], root: Path, read_one: Callable[[Path], list]) -> Iterator:
    """The items of every file (read_one(path) -> a list of rows or of marked Arrow tables), each file
    read whole before any of its items is yielded, so that a file that cannot be read loads nothing and
    stops nothing: it is quarantined as a file. Then one row per file in the source's `source_files`
    table: resource, path, size, fingerprint, rows and, for a file that could not be read, the reason
    (null once it reads)."""
    log = []
    for path in paths:
        entry = {"resource": resource, "source_file": path.relative_to(root).as_posix(),
                 "size_bytes": path.stat().st_size, "file_fingerprint": fingerprint(path), "rows": 0,
                 "reason": None, "read_at": datetime.now(timezone.utc)}
        try:
            items = read_one(path)
        except Exception as exc:  # noqa: BLE001 - whatever stops one file must not stop the rest
            entry["reason"] = unreadable_reason(exc)
            log.append(entry)
            continue
        entry["rows"] = sum(getattr(getattr(item, "data", item), "num_rows", 1) for item in items)
        log.append(entry)
        yield from items
    if log:
        import dlt

        yield dlt.mark.with_hints(log, dlt.mark.make_hints(**FILE_LOG_HINTS), create_table_variant=True)

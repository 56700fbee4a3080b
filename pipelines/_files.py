"""Small helpers shared by the file-mode sources."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Iterator


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

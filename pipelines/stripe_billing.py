"""dlt source: Stripe billing objects (file mode), in the API's own shapes.

Reads `<data-dir>/stripe/<type>.json` or `<type>/*.json`, each a list page or a JSON array.
Objects are merged on their Stripe id, so a later export of a changed object (an invoice that went
from open to paid) replaces the earlier one. Nested objects stay JSON columns (max_table_nesting=0);
invoice lines and credit note lines are split into their own tables, keyed by their own ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import dlt

from pipelines._files import json_files, list_page_objects, read_json

OBJECT_TYPES = ("customers", "products", "prices", "subscriptions", "invoices", "credit_notes", "refunds",
                "balance_transactions", "events")


def stripe_files(stripe_dir: Path, object_type: str) -> list[Path]:
    single = stripe_dir / f"{object_type}.json"
    return ([single] if single.is_file() else []) + json_files(stripe_dir / object_type)


def read_objects(stripe_dir: Path, object_type: str) -> Iterator[dict]:
    for path in stripe_files(stripe_dir, object_type):
        try:
            objects = list(list_page_objects(read_json(path)))
        except ValueError as exc:
            raise ValueError(f"{path}: not a Stripe list page or array of objects ({exc})") from exc
        yield from objects


def _lines(parent: dict, parent_key: str) -> list[dict]:
    lines = parent.get("lines") or {}
    data = lines.get("data", []) if isinstance(lines, dict) else lines
    if isinstance(lines, dict) and lines.get("has_more"):
        raise ValueError(f"{parent['id']}: lines are paginated (has_more); export the full line list")
    return [{**line, parent_key: parent["id"]} for line in data]


@dlt.source(name="stripe", max_table_nesting=0)
def stripe_source(stripe_dir: str = dlt.config.value):
    root = Path(stripe_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"Stripe directory not found: {root}")

    def objects_resource(object_type: str):
        @dlt.resource(name=object_type, write_disposition="merge", primary_key="id")
        def resource():
            for obj in read_objects(root, object_type):
                if object_type in ("invoices", "credit_notes"):
                    obj = {k: v for k, v in obj.items() if k != "lines"}
                yield obj
        return resource

    def lines_resource(object_type: str, table: str, parent_key: str):
        @dlt.resource(name=table, write_disposition="merge", primary_key="id")
        def resource():
            for obj in read_objects(root, object_type):
                yield _lines(obj, parent_key)
        return resource

    resources = [objects_resource(t)() for t in OBJECT_TYPES if stripe_files(root, t)]
    if stripe_files(root, "invoices"):
        resources.append(lines_resource("invoices", "invoice_line_items", "invoice")())
    if stripe_files(root, "credit_notes"):
        resources.append(lines_resource("credit_notes", "credit_note_line_items", "credit_note")())
    return resources

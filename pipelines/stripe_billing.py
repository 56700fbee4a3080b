"""dlt source: Stripe billing objects, in the API's own shapes, from files or from the API.

File mode reads `<data-dir>/stripe/<type>.json` or `<type>/*.json` (list pages or JSON arrays).
API mode reads the same objects with the official `stripe` SDK: a restricted read-only key from dlt
secrets (`sources.stripe.api_key`) or `STRIPE_API_KEY`, and a configurable API base (tests point it
at a local server). Lists are paged with `starting_after`/`has_more`; server errors and conflicts are
retried by the SDK (`max_network_retries`, exponential backoff) and rate limits (429) by this source,
with backoff.

Objects change after creation (an invoice goes draft -> open -> paid -> void; a subscription is
upgraded), so every run re-reads a window of `reread_days` before the newest `created` seen so far
and merges on the object id: the stored copy is always the latest one read. dlt commits the data and
the cursor together: a run that fails loads nothing, and the next run resumes from the last cursor.
Nested objects stay JSON columns; invoice and credit note lines get their own tables.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Iterator

import dlt

from pipelines._files import json_files, list_page_objects, read_each_file, read_json

OBJECT_TYPES = ("customers", "products", "prices", "subscriptions", "invoices", "credit_notes", "refunds",
                "balance_transactions")
LINE_TABLES = {"invoices": ("invoice_line_items", "invoice"), "credit_notes": ("credit_note_line_items", "credit_note")}


# -- file mode ------------------------------------------------------------------------------------


def stripe_files(stripe_dir: Path, object_type: str) -> list[Path]:
    single = stripe_dir / f"{object_type}.json"
    return ([single] if single.is_file() else []) + json_files(stripe_dir / object_type)


def read_file_objects(stripe_dir: Path, object_type: str) -> Iterator[dict]:
    """The objects of every file of `object_type`; a file that cannot be read is quarantined as a file
    (stripe.source_files) and the others load."""
    return read_each_file(object_type, stripe_files(stripe_dir, object_type), stripe_dir,
                          lambda path: _page_objects(path, object_type))


def _page_objects(path: Path, object_type: str) -> list[dict]:
    """The objects of one page, checked before any is loaded: an object without an id (the key every
    table merges on), or with lines cut short, fails its file, naming the object."""
    objects = list(list_page_objects(read_json(path)))
    for n, obj in enumerate(objects, start=1):
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj["id"]:
            raise ValueError(f"object {n} of the page has no id")
        _split_lines(obj, object_type)
    return objects


# -- API mode -------------------------------------------------------------------------------------


class StripeApi:
    """Thin wrapper over the official SDK: paging, line expansion and 429 backoff."""

    def __init__(self, api_key: str, api_base: str | None, max_network_retries: int = 4,
                 page_size: int = 100, rate_limit_retries: int = 5):
        import stripe

        self._stripe = stripe
        self.client = stripe.StripeClient(
            api_key, base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries)
        self.page_size = page_size
        self.rate_limit_retries = rate_limit_retries

    def _call(self, fn: Callable, *args, **kwargs):
        for attempt in range(self.rate_limit_retries + 1):
            try:
                return fn(*args, **kwargs)
            except self._stripe.RateLimitError:
                if attempt == self.rate_limit_retries:
                    raise
                time.sleep(min(0.5 * 2 ** attempt, 8.0))

    def list_all(self, list_fn: Callable, params: dict) -> Iterator[dict]:
        """Every object of a list endpoint, page by page (starting_after / has_more)."""
        params = {**params, "limit": self.page_size}
        while True:
            page = self._call(list_fn, params=params)
            data = [obj.to_dict() for obj in page.data]
            yield from data
            if not page.has_more or not data:
                return
            params = {**params, "starting_after": data[-1]["id"]}

    def objects(self, object_type: str, created_gte: int | None) -> Iterator[dict]:
        service = getattr(self.client.v1, object_type)  # the SDK's services are named like the types
        params = {"created": {"gte": created_gte}} if created_gte is not None else {}
        for obj in self.list_all(service.list, params):
            if object_type in LINE_TABLES and (obj.get("lines") or {}).get("has_more"):
                obj["lines"] = {**obj["lines"], "has_more": False,
                                "data": list(self._all_lines(object_type, obj["id"]))}
            yield obj

    def _all_lines(self, object_type: str, parent_id: str) -> Iterator[dict]:
        service = self.client.v1.invoices.line_items if object_type == "invoices" \
            else self.client.v1.credit_notes.line_items
        yield from self.list_all(lambda params: service.list(parent_id, params=params), {})


# -- the source -----------------------------------------------------------------------------------


def _split_lines(obj: dict, object_type: str) -> tuple[dict, list[dict]]:
    if object_type not in LINE_TABLES:
        return obj, []
    _, parent_key = LINE_TABLES[object_type]
    lines = obj.get("lines") or {}
    data = lines.get("data", []) if isinstance(lines, dict) else lines
    if isinstance(lines, dict) and lines.get("has_more"):
        raise ValueError(f"{obj['id']}: lines are paginated (has_more); export the full line list")
    return {k: v for k, v in obj.items() if k != "lines"}, [{**line, parent_key: obj["id"]} for line in data]


def _object_resources(object_types: list[str], read: Callable[[str], Iterator[dict]], incremental: bool,
                      reread_seconds: int):
    resources = []
    for object_type in object_types:
        line_table = LINE_TABLES.get(object_type, (None,))[0]

        def objects(object_type=object_type, line_table=line_table):
            state = dlt.current.resource_state() if incremental else {}
            newest = state.get("newest_created")
            created_gte = newest - reread_seconds if (incremental and newest is not None) else None
            for obj in read(object_type, created_gte):
                if not isinstance(obj, dict):  # the file log (source_files), passed through
                    yield obj
                    continue
                if incremental and obj.get("created") is not None:
                    state["newest_created"] = max(state.get("newest_created") or 0, int(obj["created"]))
                parent, lines = _split_lines(obj, object_type)
                yield parent
                if lines:
                    yield dlt.mark.with_table_name(lines, line_table)

        hints = dict(name=object_type, write_disposition="merge", primary_key="id")
        resources.append(dlt.resource(objects, **hints)())
    return resources


@dlt.source(name="stripe", max_table_nesting=0)
def stripe_source(stripe_dir: str = dlt.config.value):
    """File mode: Stripe objects exported as API list pages under `stripe_dir`."""
    root = Path(stripe_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"Stripe directory not found: {root}")
    present = [t for t in OBJECT_TYPES if stripe_files(root, t)]
    return _object_resources(present, lambda t, _gte: read_file_objects(root, t), incremental=False,
                             reread_seconds=0)


@dlt.source(name="stripe", max_table_nesting=0)
def stripe_api_source(api_key: str = dlt.secrets.value, api_base: str | None = None, reread_days: int = 35,
                      page_size: int = 100, max_network_retries: int = 4,
                      object_types: list[str] | None = None):
    """API mode: the same objects over HTTP with the official SDK (key from dlt secrets or STRIPE_API_KEY)."""
    api = StripeApi(api_key, api_base, max_network_retries=max_network_retries, page_size=page_size)
    return _object_resources(list(object_types or OBJECT_TYPES), api.objects, incremental=True,
                             reread_seconds=reread_days * 86_400)


def api_key_from_env() -> str | None:
    """STRIPE_API_KEY, the name Stripe's own tools use, as well as dlt's SOURCES__STRIPE__API_KEY."""
    return os.environ.get("STRIPE_API_KEY") or os.environ.get("SOURCES__STRIPE__API_KEY")

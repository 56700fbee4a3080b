"""A local HTTP server on 127.0.0.1 that answers like Stripe's API, for the real `stripe` SDK.

Objects are Stripe's own fixture shapes (tests/fixtures/stripe/) with ids, dates and amounts that join.
Lists are newest first, paged with `limit`/`starting_after`/`has_more`, filterable by `created[gte]`.
Faults can be queued per path prefix: an HTTP status returned the next N times (429, 500, 400...).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from local_server import JsonHandler, LocalServer

FIXTURES = Path(__file__).parent / "fixtures" / "stripe"


def template(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class StripeStore:
    def __init__(self):
        self.objects: dict[str, list[dict]] = {}
        self.lines: dict[str, list[dict]] = {}  # parent id -> lines

    def add(self, object_type: str, obj: dict) -> dict:
        self.objects.setdefault(object_type, []).append(obj)
        return obj


def build_store(customers: int = 250, invoices_per_customer: int = 1, long_invoices: int = 2,
                lines_per_long_invoice: int = 15, base_created: int = 1_780_000_000) -> StripeStore:
    store = StripeStore()
    for i in range(customers):
        c = copy.deepcopy(template("customer"))
        c.update(id=f"cus_t{i:04d}", created=base_created + i * 60, metadata={"customer_id": f"app_{i:04d}"})
        store.add("customers", c)
        for k in range(invoices_per_customer):
            inv = copy.deepcopy(template("invoice"))
            inv_id = f"in_t{i:04d}_{k}"
            n_lines = lines_per_long_invoice if i < long_invoices else 1
            lines = []
            for j in range(n_lines):
                line = copy.deepcopy(template("line_item"))
                line.update(id=f"il_t{i:04d}_{k}_{j}", invoice=inv_id, amount=1000 + j, currency="usd",
                            period={"start": base_created, "end": base_created + 30 * 86_400})
                lines.append(line)
            inv.update(id=inv_id, customer=c["id"], created=base_created + i * 60 + k, status="paid",
                       currency="usd", total=sum(line["amount"] for line in lines))
            # the list endpoint embeds the first 10 lines, as Stripe does
            inv["lines"] = {"object": "list", "data": lines[:10], "has_more": n_lines > 10,
                            "url": f"/v1/invoices/{inv_id}/lines"}
            store.lines[inv_id] = lines
            store.add("invoices", inv)
    for name, object_type in (("product", "products"), ("price", "prices"), ("subscription", "subscriptions"),
                              ("credit_note", "credit_notes"), ("refund", "refunds"),
                              ("balance_transaction", "balance_transactions")):
        obj = copy.deepcopy(template(name))
        obj.update(created=base_created)
        if object_type == "credit_notes":
            obj["lines"] = {"object": "list", "data": obj["lines"]["data"], "has_more": False,
                            "url": f"/v1/credit_notes/{obj['id']}/lines"}
        store.add(object_type, obj)
    return store


class StripeServer(LocalServer):
    def __init__(self, store: StripeStore):
        self.store = store
        self.requests: list[str] = []
        self.auth_headers: set[str] = set()
        server = self

        class Handler(JsonHandler):
            extra_headers = {"Request-Id": "req_test"}

            def do_GET(self):
                server.requests.append(self.path)
                server.auth_headers.add(self.headers.get("Authorization", ""))
                url = urlparse(self.path)
                fault = server.next_fault(self.path)
                if fault:
                    return self._error(fault)
                parts = url.path.strip("/").split("/")
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if len(parts) == 2 and parts[0] == "v1":
                    return self._list(server.store.objects.get(parts[1], []), query, f"/v1/{parts[1]}")
                if len(parts) == 4 and parts[3] == "lines":
                    return self._list(server.store.lines.get(parts[2], []), query, url.path, newest_first=False)
                return self._error(404)

            def _list(self, objects, query, url, newest_first=True):
                items = sorted(objects, key=lambda o: o.get("created", 0), reverse=True) if newest_first else objects
                if "created[gte]" in query:
                    items = [o for o in items if o.get("created", 0) >= int(query["created[gte]"])]
                if "starting_after" in query:
                    ids = [o["id"] for o in items]
                    items = items[ids.index(query["starting_after"]) + 1:]
                limit = int(query.get("limit", 10))
                body = {"object": "list", "url": url, "has_more": len(items) > limit, "data": items[:limit]}
                self.send_json(200, body)

            def _error(self, status):
                kinds = {429: ("rate_limit_error", "Too many requests"), 500: ("api_error", "Internal error"),
                         400: ("invalid_request_error", "Bad request"), 404: ("invalid_request_error", "No such URL")}
                kind, message = kinds.get(status, ("api_error", "Error"))
                if status == 401:  # Stripe masks the key; a proxy in front of it might not
                    kind, message = "invalid_request_error", f"Invalid API Key provided: {self.headers['Authorization'][7:]}"
                self.send_json(status, {"error": {"type": kind, "message": message}})

        super().__init__(Handler)

"""A local HTTP server on 127.0.0.1 answering like OpenAI's Costs API and Anthropic's cost report,
from the buckets of page files (the generator's, in the providers' own shapes). Honours the start
parameter, pages 31 buckets at a time with has_more/next_page, and can answer faults first."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from local_server import JsonHandler, LocalServer


def _buckets(folder: Path) -> list[dict]:
    out = []
    for path in sorted(folder.glob("*.json")):
        out.extend(json.loads(path.read_text())["data"])
    return out


class ProviderServer(LocalServer):
    def __init__(self, providers_dir: Path, openai_usage: dict[str, list] | None = None,
                 anthropic_usage: list | None = None):
        self.openai = _buckets(providers_dir / "openai") if providers_dir else []
        self.anthropic = _buckets(providers_dir / "anthropic") if providers_dir else []
        self.openai_usage = openai_usage or {}  # kind (completions, embeddings) -> buckets
        self.anthropic_usage = anthropic_usage or []
        self.requests: list[str] = []
        self.headers: list[dict] = []
        server = self

        class Handler(JsonHandler):
            def do_GET(self):
                server.requests.append(self.path)
                server.headers.append(dict(self.headers))
                url = urlparse(self.path)
                query = parse_qs(url.query)
                fault = server.next_fault(url.path)
                if fault == 401:  # the worst case: a server that echoes the whole key back
                    key = self.headers.get("x-api-key") or self.headers.get("Authorization", "").split()[-1]
                    return self.send_json(401, {"error": {"message": f"Incorrect API key provided: {key}"}})
                if fault:
                    return self.send_json(fault, {"error": {"message": "try again"}},
                                          {"Retry-After": "0.1"} if fault == 429 else None)
                page = int(query.get("page", ["page_0001"])[0].split("_")[1])
                if url.path == "/v1/organization/costs":
                    start = int(query["start_time"][0])
                    buckets = [b for b in server.openai if b["start_time"] >= start]
                    return self._page(buckets, page, {"object": "page"})
                if url.path.startswith("/v1/organization/usage/"):
                    start = int(query["start_time"][0])
                    buckets = [b for b in server.openai_usage.get(url.path.rsplit("/", 1)[1], [])
                               if b["start_time"] >= start]
                    return self._page(buckets, page, {"object": "page"})
                if url.path in ("/v1/organizations/cost_report", "/v1/organizations/usage_report/messages"):
                    start = datetime.fromisoformat(query["starting_at"][0].replace("Z", "+00:00"))
                    source = server.anthropic if url.path.endswith("cost_report") else server.anthropic_usage
                    buckets = [b for b in source
                               if datetime.fromisoformat(b["starting_at"].replace("Z", "+00:00")) >= start]
                    return self._page(buckets, page, {})
                return self.send_json(404, {"error": {"message": "not found"}})

            def _page(self, buckets, page, extra):
                chunk = buckets[(page - 1) * 31: page * 31]
                has_more = page * 31 < len(buckets)
                self.send_json(200, {**extra, "data": chunk, "has_more": has_more,
                                     "next_page": f"page_{page + 1:04d}" if has_more else None})

        super().__init__(Handler)

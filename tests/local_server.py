"""The part every local test server shares: JSON responses, a thread on 127.0.0.1, queued faults."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JsonHandler(BaseHTTPRequestHandler):
    extra_headers: dict[str, str] = {}

    def log_message(self, *args):  # keep test output clean
        pass

    def send_json(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in {**self.extra_headers, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class LocalServer:
    """Serves `handler` on a free port of 127.0.0.1 while used as a context manager."""

    def __init__(self, handler: type[JsonHandler]):
        self.faults: dict[str, list[int]] = {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def fail(self, path_part: str, *statuses: int) -> None:
        """Answer the next requests whose path contains `path_part` with these statuses, in order."""
        self.faults.setdefault(path_part, []).extend(statuses)

    def next_fault(self, path: str) -> int | None:
        for part, codes in self.faults.items():
            if part in path and codes:
                return codes.pop(0)
        return None

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

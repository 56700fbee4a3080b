"""`ai-margin serve`: the published blocklist over HTTP, read-only, with ETag / If-None-Match.

GET /blocklist.json answers with the blocklist of the current snapshot (re-read on every request, so a
new publish is served at once), its version as the ETag, and 304 Not Modified when the client's
If-None-Match is that version. Any static file server or object store serving
<warehouse>.published/current/blocklist.json does the same job.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def make_server(blocklist: Path, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path.split("?")[0] != "/blocklist.json":
                self.send_error(404, "only /blocklist.json is served")
                return
            try:
                body = blocklist.read_bytes()
                document = json.loads(body)
                etag = f'"{document["version"]}"'
                ttl = int(document.get("ttl_seconds", 60))
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                self.send_error(503, "no valid published blocklist")
                return
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.send_header("Cache-Control", f"max-age={ttl}")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
            pass  # one line per poll of every guarded process would drown the console

    return ThreadingHTTPServer((host, port), Handler)

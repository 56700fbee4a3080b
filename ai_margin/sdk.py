"""The budget guard for applications: stop a call to an AI provider before it is sent when its customer,
feature or the whole organisation is over a budget that blocks.

    from ai_margin.sdk import Blocklist, BudgetExceeded

    blocklist = Blocklist(url="http://margins.internal:8765/blocklist.json")   # or path="blocklist.json"
    with blocklist.guard(customer_id="acme", feature="chat"):                  # raises BudgetExceeded
        client.chat.completions.create(...)

    @blocklist.guard(feature="nightly_digest")                                 # as a decorator
    def digest(): ...

Standard library only (importing it does not import dbt, dlt or DuckDB). The blocklist is the JSON
`ai-margin publish` writes. A check reads an immutable in-memory copy: no network, no file, no lock on
the hot path. A daemon thread fetches the list again every `ttl` seconds, with If-None-Match, so an
unchanged list costs a 304. A list that cannot be read (server down, slow, garbage) keeps the last
good copy. Without any good copy younger than `max_age`, checks fail open (allow, the default) or
closed (raise), as configured.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import threading
import time
import urllib.error
import urllib.request
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

SCOPES = ("org", "feature", "customer", "customer_feature")


class BudgetExceeded(RuntimeError):
    """The call would spend money a blocking budget no longer allows; raised before the call is made."""

    def __init__(self, message: str, entry: dict | None = None):
        super().__init__(message)
        self.entry = entry  # the blocklist entry that matched (scope, ids, reason, since); None: list unreadable


class BlocklistError(ValueError):
    """The blocklist document is not one `ai-margin publish` writes."""


@dataclass(frozen=True)
class _Snapshot:
    version: str
    fetched_at: float  # time.monotonic() of the last successful read (or 304)
    ttl: float
    entries: tuple[dict, ...]


def parse(document: bytes) -> tuple[str, float, tuple[dict, ...]]:
    """(version, ttl seconds, blocked entries) of a blocklist document; BlocklistError if malformed."""
    try:
        data = json.loads(document)
        version, ttl, blocked = str(data["version"]), float(data["ttl_seconds"]), data["blocked"]
        entries = tuple({"scope": e["scope"], "customer_id": e.get("customer_id"), "feature": e.get("feature"),
                         "reason": str(e.get("reason", "")), "since": e.get("since"), "until": e.get("until")}
                        for e in blocked)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise BlocklistError(f"not a blocklist: {exc!r}") from exc
    if ttl <= 0 or any(e["scope"] not in SCOPES for e in entries):
        raise BlocklistError("not a blocklist: bad ttl_seconds or scope")
    return version, ttl, entries


def matches(entry: dict, customer_id: str | None, feature: str | None) -> bool:
    """Whether the entry covers this call; an entry ends with its budget period (`until`, UTC). The date is
    read only for an entry that covers the call, so an allowed call reads no clock."""
    scope = entry["scope"]
    covers = (scope == "org"
              or (scope == "customer" and entry["customer_id"] == customer_id)
              or (scope == "feature" and entry["feature"] == feature)
              or (scope == "customer_feature" and entry["customer_id"] == customer_id
                  and entry["feature"] == feature))
    return covers and (entry["until"] is None or entry["until"] >= datetime.now(timezone.utc).date().isoformat())


class Blocklist:
    """A cached blocklist from `url` (HTTP, with ETag) or `path` (a local file)."""

    def __init__(self, url: str | None = None, path: str | Path | None = None, fail_open: bool = True,
                 ttl: float | None = None, max_age: float | None = None, timeout: float = 2.0,
                 background: bool = True):
        if (url is None) == (path is None):
            raise ValueError("give exactly one of url or path")
        self.url, self.path, self.fail_open = url, Path(path) if path else None, fail_open
        self._ttl_override, self._max_age, self.timeout = ttl, max_age, timeout
        self._snapshot: _Snapshot | None = None
        self._etag: str | None = None
        self.last_error: str | None = None
        self._refresh_lock = threading.Lock()
        self._stop = threading.Event()
        self._background = background
        self.refresh()  # once, here: never on the hot path
        self._start_refreshing()
        _instances.add(self)

    def _start_refreshing(self) -> None:
        if self._background:
            threading.Thread(target=self._refresh_forever, name="ai-margin-blocklist", daemon=True).start()

    def _after_fork(self) -> None:
        """In a forked child (gunicorn, Celery, multiprocessing): threads do not survive a fork, and the
        lock may have been copied while held."""
        self._refresh_lock = threading.Lock()
        self._start_refreshing()

    # -- the hot path -------------------------------------------------------------------------------

    def check(self, customer_id: str | None = None, feature: str | None = None) -> None:
        """Raise BudgetExceeded if a blocking budget covers this customer and feature."""
        snapshot = self._snapshot  # one read of an immutable object: no lock needed
        if snapshot is None or time.monotonic() - snapshot.fetched_at > self._max_age_for(snapshot):
            if self.fail_open:
                return
            raise BudgetExceeded(f"budget blocklist unavailable ({self.last_error or 'never read'}); failing closed")
        for entry in snapshot.entries:
            if matches(entry, customer_id, feature):
                raise BudgetExceeded(f"blocked by budget ({entry['scope']}"
                                     f"{': ' + entry['customer_id'] if entry['customer_id'] else ''}"
                                     f"{' / ' + entry['feature'] if entry['feature'] else ''}): {entry['reason']}"
                                     f" since {entry['since']}", entry)

    def guard(self, customer_id: str | None = None, feature: str | None = None):
        """A context manager and decorator that checks before the guarded code runs."""
        return _Guard(self, customer_id, feature)

    # -- refreshing ---------------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Read the list now; True if a good copy is held afterwards. Errors are kept in last_error."""
        with self._refresh_lock:
            try:
                document = self._read()
                now = time.monotonic()
                if document is None:  # not modified
                    self._snapshot = _Snapshot(self._snapshot.version, now, self._snapshot.ttl, self._snapshot.entries)
                else:
                    version, ttl, entries = parse(document)
                    self._snapshot = _Snapshot(version, now, self._ttl_override or ttl, entries)
                self.last_error = None
            except (OSError, BlocklistError, urllib.error.URLError, http.client.HTTPException) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
            return self._snapshot is not None

    def close(self) -> None:
        self._stop.set()

    @property
    def version(self) -> str | None:
        return self._snapshot.version if self._snapshot else None

    def _max_age_for(self, snapshot: _Snapshot) -> float:
        return self._max_age if self._max_age is not None else 3 * snapshot.ttl

    def _read(self) -> bytes | None:
        """The document, or None when it has not changed since the copy held."""
        if self.path is not None:
            return self.path.read_bytes()
        request = urllib.request.Request(self.url, headers={"If-None-Match": self._etag} if self._etag and
                                         self._snapshot else {})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
                parse(body)  # the ETag is kept only for a document that parses: else a 304 would hide it
                self._etag = response.headers.get("ETag")
                return body
        except urllib.error.HTTPError as exc:
            if exc.code == 304 and self._snapshot is not None:
                return None
            raise

    def _refresh_forever(self) -> None:
        while not self._stop.wait(self._ttl_override or (self._snapshot.ttl if self._snapshot else 30)):
            try:
                self.refresh()
            except Exception as exc:  # noqa: BLE001 (the thread must outlive any one bad answer)
                self.last_error = f"{type(exc).__name__}: {exc}"


_instances: weakref.WeakSet[Blocklist] = weakref.WeakSet()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: [blocklist._after_fork() for blocklist in list(_instances)])


class _Guard(contextlib.ContextDecorator):
    def __init__(self, blocklist: Blocklist, customer_id: str | None, feature: str | None):
        self.blocklist, self.customer_id, self.feature = blocklist, customer_id, feature

    def __enter__(self):
        self.blocklist.check(self.customer_id, self.feature)
        return self

    def __exit__(self, *exc) -> bool:
        return False

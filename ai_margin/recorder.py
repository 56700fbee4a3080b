"""Record AI calls as usage events (and revenue as revenue events) from inside the application.

    from ai_margin.recorder import Recorder

    recorder = Recorder("/data/ai/usage")   # <data-dir>/usage; revenue goes to <data-dir>/revenue
    response = client.chat.completions.create(...)
    recorder.record(response, customer_id="acme", feature="chat", prompt_version="v3")
    recorder.track_revenue("acme", 4900, "USD", service_period_start="2026-12-01", service_period_end="2026-12-31")

Standard library only. `record` reads the token usage of the response object and nothing else: never a
prompt or a completion. It reads:
- `openai`: Chat Completions (and the last chunk of a stream with `stream_options={"include_usage": True}`),
  the Responses API and embeddings. OpenAI counts cached tokens inside the input tokens, as our contract does.
- `anthropic`: messages. Anthropic counts cache reads and writes outside `input_tokens`; they are added in,
  and cache writes are split by TTL (5 minutes, 1 hour).
- Bedrock Converse and Gemini `generateContent` responses, as dicts (camelCase).

Events are appended as JSON lines to `<folder>/<prefix>-<host>-<pid>-<time>.jsonl.part`, one file per
process (a forked child opens its own) behind a lock (so threads never interleave a line). A file is
closed and renamed to `.jsonl` (an atomic rename) at the first write after it reaches `max_bytes` or
`max_seconds`, at `close()` and at exit; the loader reads only complete `.jsonl` files. A process that
died without finishing its file (killed, or a fork that left by os._exit) leaves a `.part` file: the next
Recorder on the same host and folder finishes it.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path


def _get(obj, *path, default=None):
    """obj.a.b or obj["a"]["b"], whichever the object is (SDK models or dicts); `default` if missing."""
    for key in path:
        if obj is None:
            return default
        obj = obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
    return default if obj is None else obj


def usage_of(response, provider: str | None = None, model: str | None = None) -> dict:
    """The contract's usage fields of one response: provider, model, operation, tokens and the request id."""
    kind = _get(response, "object") or _get(response, "type")
    usage = _get(response, "usage")
    if kind == "message" or (provider == "anthropic" and usage is not None):  # Anthropic Messages
        cache_read = _get(usage, "cache_read_input_tokens", default=0)
        cache_write = _get(usage, "cache_creation_input_tokens", default=0)
        return {"provider": provider or "anthropic", "model": model or _get(response, "model"), "operation": "chat",
                "request_id": _get(response, "id"),
                "input_tokens": _get(usage, "input_tokens", default=0) + cache_read + cache_write,
                "output_tokens": _get(usage, "output_tokens", default=0),
                "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": cache_write,
                "cache_creation_1h_input_tokens": _get(usage, "cache_creation", "ephemeral_1h_input_tokens",
                                                       default=0)}
    if kind == "response":  # OpenAI Responses API
        return {"provider": provider or "openai", "model": model or _get(response, "model"), "operation": "chat",
                "request_id": _get(response, "id"),
                "input_tokens": _get(usage, "input_tokens", default=0),
                "output_tokens": _get(usage, "output_tokens", default=0),
                "cache_read_input_tokens": _get(usage, "input_tokens_details", "cached_tokens", default=0),
                "reasoning_output_tokens": _get(usage, "output_tokens_details", "reasoning_tokens", default=0)}
    if kind in ("chat.completion", "chat.completion.chunk"):  # OpenAI Chat Completions, streamed or not
        if usage is None:
            raise ValueError("this chunk carries no usage: record the stream's last chunk, with "
                             "stream_options={'include_usage': True}")
        return {"provider": provider or "openai", "model": model or _get(response, "model"), "operation": "chat",
                "request_id": _get(response, "id"),
                "input_tokens": _get(usage, "prompt_tokens", default=0),
                "output_tokens": _get(usage, "completion_tokens", default=0),
                "cache_read_input_tokens": _get(usage, "prompt_tokens_details", "cached_tokens", default=0),
                "reasoning_output_tokens": _get(usage, "completion_tokens_details", "reasoning_tokens", default=0)}
    if kind == "list" and usage is not None:  # OpenAI embeddings
        return {"provider": provider or "openai", "model": model or _get(response, "model"),
                "operation": "embeddings", "input_tokens": _get(usage, "prompt_tokens", default=0), "output_tokens": 0}
    if _get(response, "usage", "inputTokens") is not None:  # Bedrock Converse (the model is not in the response)
        if not model:
            raise ValueError("a Bedrock Converse response does not name its model: pass model=")
        cache_read = _get(response, "usage", "cacheReadInputTokens", default=0)
        cache_write = _get(response, "usage", "cacheWriteInputTokens", default=0)
        return {"provider": provider or "aws.bedrock", "model": model, "operation": "chat",
                "request_id": _get(response, "ResponseMetadata", "RequestId"),
                "input_tokens": _get(response, "usage", "inputTokens", default=0) + cache_read + cache_write,
                "output_tokens": _get(response, "usage", "outputTokens", default=0),
                "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": cache_write}
    if _get(response, "usageMetadata") is not None:  # Gemini generateContent
        meta = _get(response, "usageMetadata")
        thoughts = _get(meta, "thoughtsTokenCount", default=0)
        return {"provider": provider or "gcp.gemini", "model": model or _get(response, "modelVersion"),
                "operation": "chat", "request_id": _get(response, "responseId"),
                "input_tokens": _get(meta, "promptTokenCount", default=0),
                "output_tokens": _get(meta, "candidatesTokenCount", default=0) + thoughts,
                "cache_read_input_tokens": _get(meta, "cachedContentTokenCount", default=0),
                "reasoning_output_tokens": thoughts}
    raise ValueError(f"cannot read usage from a {type(response).__name__} (object={kind!r})")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _service_tier(response) -> str | None:
    """The tier the provider served the call at, named as the usage contract names it."""
    tier = _get(response, "service_tier") or _get(response, "usage", "service_tier")
    return {"default": "standard", "auto": None}.get(tier, tier) if isinstance(tier, str) else None


class JsonLinesFiles:
    """Appends lines to rotating JSON Lines files in `directory`: `<prefix>-<host>-<pid>-<time>.jsonl.part`
    while open, renamed to `.jsonl` (atomically) when finished. Safe under threads and processes."""

    def __init__(self, directory: str | Path, prefix: str = "events", max_bytes: int = 50_000_000,
                 max_seconds: float = 300):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix, self.max_bytes, self.max_seconds = prefix, max_bytes, max_seconds
        self._lock = threading.Lock()
        self._file = None
        self._path: Path | None = None
        self._pid = os.getpid()
        self._opened = 0.0
        self._finish_orphans()
        atexit.register(self.close)

    def write(self, line: str) -> None:
        """Append one line (it must end with a newline)."""
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the open file is its parent's to finish
                if self._file is not None:
                    self._file.close()  # this process's copy only (every line was flushed already)
                self._file, self._path, self._pid = None, None, os.getpid()
            if self._file is not None and (self._file.tell() + len(line) > self.max_bytes
                                           or time.monotonic() - self._opened > self.max_seconds):
                self._finish()
            if self._file is None:
                stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
                self._path = self.directory / f"{self.prefix}-{socket.gethostname()}-{os.getpid()}-{stamp}.jsonl.part"
                self._file = open(self._path, "a", encoding="utf-8")
                self._opened = time.monotonic()
            self._file.write(line)
            self._file.flush()

    def close(self) -> None:
        """Finish the open file: it becomes a complete `.jsonl` the loader reads."""
        with self._lock:
            self._finish()

    def _finish_orphans(self) -> None:
        """Finish the `.part` files of this host's processes that no longer run."""
        host = socket.gethostname()
        for part in self.directory.glob(f"{self.prefix}-{host}-*.jsonl.part"):
            pid = part.name[len(f"{self.prefix}-{host}-"):].split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
                os.replace(part, part.with_suffix(""))

    def _finish(self) -> None:
        if self._file is None or self._pid != os.getpid():
            return
        self._file.close()
        os.replace(self._path, self._path.with_suffix(""))  # .jsonl.part -> .jsonl, atomically
        self._file, self._path = None, None


class Recorder:
    """Appends usage and revenue events to rotating JSON Lines files in `directory`."""

    def __init__(self, directory: str | Path, revenue_directory: str | Path | None = None, prefix: str = "events",
                 max_bytes: int = 50_000_000, max_seconds: float = 300, environment: str | None = None):
        self.directory = Path(directory)
        self.revenue_directory = Path(revenue_directory) if revenue_directory else self.directory.parent / "revenue"
        self.environment = environment
        self._usage = JsonLinesFiles(self.directory, prefix, max_bytes, max_seconds)
        self._revenue_args = (self.revenue_directory, prefix, max_bytes, max_seconds)  # opened at first use
        self._revenue: JsonLinesFiles | None = None
        self._lock = threading.Lock()

    def record(self, response, customer_id: str, feature: str, provider: str | None = None, model: str | None = None,
               prompt_version: str | None = None, workflow_id: str | None = None, event_id: str | None = None,
               **attributes: str) -> dict:
        """Write one usage event for `response`; returns it. Extra keyword arguments become `attributes`."""
        event = {"event_id": event_id or str(uuid.uuid4()),
                 "occurred_at": datetime.now(timezone.utc).isoformat(),
                 "customer_id": customer_id, "feature": feature, **usage_of(response, provider, model),
                 "service_tier": _service_tier(response),
                 "prompt_version": prompt_version, "workflow_id": workflow_id, "environment": self.environment,
                 "attributes": {k: str(v) for k, v in attributes.items()} or None}
        self._usage.write(_json_line(event))
        return event

    def track_revenue(self, customer_id: str, amount_minor: int, currency: str, kind: str = "charge",
                      event_id: str | None = None, feature: str | None = None,
                      service_period_start: str | None = None, service_period_end: str | None = None) -> dict:
        """Write one revenue event (the revenue contract) to `revenue_directory` (default: the usage folder's
        sibling `revenue/`, where `ai-margin load --data-dir` looks)."""
        event = {"event_id": event_id or str(uuid.uuid4()), "occurred_at": datetime.now(timezone.utc).isoformat(),
                 "customer_id": customer_id, "amount_minor": int(amount_minor), "currency": currency.upper(),
                 "kind": kind, "feature": feature, "service_period_start": service_period_start,
                 "service_period_end": service_period_end}
        with self._lock:
            if self._revenue is None:
                self._revenue = JsonLinesFiles(*self._revenue_args)
        self._revenue.write(_json_line(event))
        return event

    def close(self) -> None:
        """Finish the open files: they become complete `.jsonl` files the loader reads."""
        self._usage.close()
        if self._revenue is not None:
            self._revenue.close()


def _json_line(event: dict) -> str:
    return json.dumps({k: v for k, v in event.items() if v is not None}, separators=(",", ":")) + "\n"

"""Write OpenTelemetry spans to files as the Collector's file exporter does: OTLP JSON, one export
request per line. For applications that run no Collector; with one, point its `file` exporter at the
same folder instead.

    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from ai_margin.otel import OtlpJsonFileExporter

    tracer_provider.add_span_processor(BatchSpanProcessor(OtlpJsonFileExporter("/data/ai/usage/otel")))

Files rotate like the recorder's (ai_margin/recorder.py): written as `.jsonl.part`, renamed to
`.jsonl` when finished; `ai-margin load` reads `usage/otel/` as spans. Needs `opentelemetry-sdk` and
`opentelemetry-exporter-otlp-proto-common` (`pip install 'ai-margin[otel]'`).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Sequence

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from ai_margin.recorder import JsonLinesFiles

_ID_FIELDS = ("traceId", "spanId", "parentSpanId")


def _hex_ids(node):
    """OTLP JSON writes trace and span ids as hex, where protobuf's JSON mapping writes base64."""
    if isinstance(node, dict):
        return {k: base64.b64decode(v).hex() if k in _ID_FIELDS and isinstance(v, str) else _hex_ids(v)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_hex_ids(v) for v in node]
    return node


class OtlpJsonFileExporter(SpanExporter):
    """A span exporter writing OTLP JSON lines (the official protobuf encoding, in the JSON form of
    the OTLP specification: hex ids, enums as numbers) to rotating files in `directory`."""

    def __init__(self, directory: str | Path, prefix: str = "spans", max_bytes: int = 50_000_000,
                 max_seconds: float = 300):
        self._files = JsonLinesFiles(directory, prefix, max_bytes, max_seconds)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        request = MessageToDict(encode_spans(spans), use_integers_for_enums=True)
        self._files.write(json.dumps(_hex_ids(request), separators=(",", ":")) + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self._files.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # every export is written and flushed before it returns

"""Usage from where applications already record it (pipelines/usage_formats.py): OpenTelemetry spans
made by the real instrumentation around the real `openai` SDK, exported by the real OTel SDK, loaded
and priced like the SDK recorder's events; hand-made OTLP, LiteLLM and Langfuse records for what
must be mapped, quarantined or counted once."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from ai_margin.recorder import Recorder
from conftest import run_cli

PROMPT = "the customer's confidential contract text"
COMPLETION = "a confidential summary"


class _OpenAI(BaseHTTPRequestHandler):
    """Chat Completions and embeddings in OpenAI's shapes, usage without cached tokens (the official
    instrumentation does not record cached tokens of Chat Completions: docs/inputs.md)."""

    def do_POST(self):  # noqa: N802
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/v1/chat/completions":
            body = {"id": f"chatcmpl-{time.monotonic_ns()}", "object": "chat.completion", "created": int(time.time()),
                    "model": "gpt-4o-mini-2024-07-18", "service_tier": "default",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": COMPLETION},
                                 "logprobs": None, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1200 + len(request["messages"]), "completion_tokens": 300,
                              "total_tokens": 1500 + len(request["messages"])}}
        elif self.path == "/v1/embeddings":
            body = {"object": "list", "model": "text-embedding-3-small",
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
                    "usage": {"prompt_tokens": 8, "total_tokens": 8}}
        else:
            return self.send_error(404)
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def openai_client():
    import openai
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield openai.OpenAI(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", api_key="sk-test", max_retries=0)
    server.shutdown()
    server.server_close()


def test_spans_of_the_real_instrumentation_cost_what_the_recorder_records(openai_client, tmp_path):
    from opentelemetry import baggage, context
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    from opentelemetry.processor.baggage import ALLOW_ALL_BAGGAGE_KEYS, BaggageSpanProcessor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from ai_margin.otel import OtlpJsonFileExporter

    usage = tmp_path / "data" / "usage"
    tracer_provider = TracerProvider()
    # the application's customer and feature travel as baggage and are copied onto every span
    tracer_provider.add_span_processor(BaggageSpanProcessor(ALLOW_ALL_BAGGAGE_KEYS))
    tracer_provider.add_span_processor(BatchSpanProcessor(OtlpJsonFileExporter(usage / "otel")))
    OpenAIInstrumentor().instrument(tracer_provider=tracer_provider)
    recorder = Recorder(usage / "recorded")
    try:
        for customer, feature, turns in (("acme", "chat", 1), ("acme", "chat", 3), ("globex", "summarize", 2)):
            token = context.attach(baggage.set_baggage("user.id", customer, baggage.set_baggage("feature", feature)))
            try:
                messages = [{"role": "user", "content": PROMPT}] * turns
                recorder.record(openai_client.chat.completions.create(model="gpt-4o-mini", messages=messages),
                                customer_id=customer, feature=feature)
                recorder.record(openai_client.embeddings.create(model="text-embedding-3-small", input=PROMPT),
                                customer_id=customer, feature=feature)
            finally:
                context.detach(token)
    finally:
        OpenAIInstrumentor().uninstrument()
        tracer_provider.shutdown()
        recorder.close()
    span_files = list((usage / "otel").glob("*.jsonl"))
    assert span_files and not any(PROMPT in f.read_text() or COMPLETION in f.read_text() for f in span_files)

    warehouse = tmp_path / "wh.duckdb"
    run_cli("run", "--data-dir", str(tmp_path / "data"), "--warehouse", str(warehouse), "--quiet",
            "--only", "model_prices", "--only", "usage_events")
    con = duckdb.connect(str(warehouse), read_only=True)
    by_origin = con.execute("""
        select split_part(events.source_file, '/', 1) as origin, priced.customer_id, priced.feature, priced.operation,
               count(*), sum(priced.input_tokens), sum(priced.output_tokens), sum(priced.estimated_cost_usd)
        from staging.stg_usage__events as events join intermediate.int_usage_events_priced as priced using (event_id)
        group by all order by customer_id, feature, operation, origin
    """).fetchall()
    assert con.execute("select coalesce(sum(rows_quarantined), 0) from raw_usage.usage_files").fetchone()[0] == 0
    con.close()
    spans = [row[1:] for row in by_origin if row[0] == "otel"]
    recorded = [row[1:] for row in by_origin if row[0] == "recorded"]
    assert len(spans) == 4 and spans == recorded
    assert all(cost > 0 for *_, cost in spans)


def _attribute(key, value):
    kind = "intValue" if isinstance(value, int) else "stringValue"
    return {"key": key, "value": {kind: str(value) if isinstance(value, int) else value}}


def _span(span_id, attributes, trace_id="5b8efff798038103d269b633813fc60c", status=None, start_ns=1_764_000_000_000_000_000):
    return {"traceId": trace_id, "spanId": span_id, "name": "chat", "kind": 3,
            "startTimeUnixNano": str(start_ns), "endTimeUnixNano": str(start_ns + 1_500_000_000),
            "attributes": [_attribute(k, v) for k, v in attributes.items() if v is not None], "status": status or {}}


def _export_request(*spans, resource=None):
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [_attribute(k, v) for k, v in (resource or {}).items()]},
        "scopeSpans": [{"scope": {"name": "app"}, "spans": list(spans)}]}]})


def test_otlp_spans_are_mapped_quarantined_and_counted_once(tmp_path):
    claude = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
              "gen_ai.request.model": "claude-sonnet-4-5", "gen_ai.response.model": "claude-sonnet-4-5-20250929",
              "gen_ai.usage.input_tokens": 7100, "gen_ai.usage.output_tokens": 50,
              "gen_ai.usage.cache_read.input_tokens": 5000, "gen_ai.usage.cache_creation.input_tokens": 2000,
              "tenant.id": "acme", "feature": "draft", "gen_ai.response.id": "msg_01"}
    lines = [
        _export_request(
            _span("00f067aa0ba902b7", claude),
            _span("00f067aa0ba902b8", {"http.request.method": "POST"}),  # not a model call
            # an agent span sums its calls' tokens: counting it would count them twice
            _span("00f067aa0ba902b9", {**claude, "gen_ai.operation.name": "invoke_agent"}),
            resource={"deployment.environment.name": "staging"}),
        "{not json",
        _export_request(
            _span("00f067aa0ba902c1", {**claude, "tenant.id": None, "gen_ai.input.messages": PROMPT}),
            _span("00f067aa0ba902c2", {**claude, "gen_ai.usage.output_tokens": -5}),
            _span("00f067aa0ba902c3", {**claude, "gen_ai.usage.input_tokens": "many"}),
            _span("00f067aa0ba902c4", {**claude, "gen_ai.response.id": "msg_02"}, status={"code": 2})),
    ]
    otel = tmp_path / "data" / "usage" / "otel"
    otel.mkdir(parents=True)
    (otel / "a.jsonl").write_text("\n".join(lines) + "\n")
    (otel / "b.jsonl").write_text(lines[0] + "\n")  # the same spans exported again
    warehouse = tmp_path / "wh.duckdb"
    run_cli("load", "--data-dir", str(tmp_path / "data"), "--warehouse", str(warehouse), "--only", "usage_events",
            env={"SOURCES__USAGE_EVENTS__ATTRIBUTE_NAMES": json.dumps({"customer_id": ["tenant.id", "user.id"]})})
    con = duckdb.connect(str(warehouse), read_only=True)
    events = con.execute("""
        select event_id, customer_id, feature, provider, model, input_tokens, output_tokens, cache_read_input_tokens,
               cache_creation_input_tokens, status, environment, workflow_id, request_id, source_row, latency_ms
        from raw_usage.usage_events order by event_id""").fetchall()
    trace = "5b8efff798038103d269b633813fc60c"
    assert events == [
        (f"{trace}-00f067aa0ba902b7", "acme", "draft", "anthropic", "claude-sonnet-4-5-20250929", 7100, 50, 5000, 2000,
         "ok", "staging", trace, "msg_01", 1, 1500.0),
        (f"{trace}-00f067aa0ba902c4", "acme", "draft", "anthropic", "claude-sonnet-4-5-20250929", 7100, 50, 5000, 2000,
         "error", "production", trace, "msg_02", 6, 1500.0)]
    quarantined = dict(con.execute("select source_row, reason from raw_usage.usage_quarantine "
                                   "where source_file = 'otel/a.jsonl'").fetchall())
    assert quarantined == {2: "not an OTLP JSON export request", 3: "missing customer_id",
                           4: "negative output_tokens; reasoning_output_tokens exceed output_tokens",
                           5: "cache tokens exceed input_tokens; input_tokens is not an integer"}
    raw_texts = " ".join(r[0] for r in con.execute("select raw_text from raw_usage.usage_quarantine").fetchall())
    assert PROMPT not in raw_texts and "gen_ai.usage.input_tokens" in raw_texts
    files = {r[0]: r[1:] for r in con.execute("""
        select source_file, rows_read, rows_loaded, rows_quarantined, duplicates_across_files, content_fields_dropped,
               records_not_usage from raw_usage.usage_files""").fetchall()}
    assert files == {"otel/a.jsonl": (6, 2, 4, 0, 1, 2), "otel/b.jsonl": (1, 0, 0, 1, 0, 2)}
    con.close()

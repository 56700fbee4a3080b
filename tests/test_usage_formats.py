"""Usage from where applications already record it (pipelines/usage_formats.py): OpenTelemetry spans
made by the real instrumentation around the real `openai` SDK, exported by the real OTel SDK, loaded
and priced like the SDK recorder's events; hand-made OTLP, LiteLLM and Langfuse records for what
must be mapped, quarantined or counted once."""

import json
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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


def _load(tmp_path, *only: str, build: bool = False) -> duckdb.DuckDBPyConnection:
    warehouse = tmp_path / "wh.duckdb"
    if build:
        run_cli("run", "--data-dir", str(tmp_path / "data"), "--warehouse", str(warehouse), "--quiet", "--no-publish",
                "--only", "model_prices", "--only", "usage_events")
    else:
        run_cli("load", "--data-dir", str(tmp_path / "data"), "--warehouse", str(warehouse), "--only", "usage_events")
    return duckdb.connect(str(warehouse), read_only=True)


def test_litellm_payloads_are_mapped_and_their_reported_cost_wins(tmp_path):
    fixture = Path(__file__).parent / "fixtures" / "litellm" / "standard_logging_payloads.jsonl"
    payloads = [json.loads(line) for line in fixture.read_text().splitlines()]
    for payload in payloads:  # the application passed who and what with the call: metadata={...}
        payload["metadata"]["requester_metadata"] = {"customer_id": "acme", "feature": "answer"}
    folder = tmp_path / "data" / "usage" / "litellm"
    folder.mkdir(parents=True)
    (folder / "gcs-batch.jsonl").write_text("\n".join(json.dumps(p) for p in payloads[1:]) + "\n")
    (folder / "s3-object.json").write_text(json.dumps(payloads[0], indent=2))  # the S3 logger: one per file
    con = _load(tmp_path, build=True)
    events = con.execute("""
        select event_id, customer_id, feature, provider, model, operation, input_tokens, output_tokens,
               cache_read_input_tokens, cache_creation_input_tokens, reasoning_output_tokens, status,
               reported_cost, reported_cost_currency
        from raw_usage.usage_events order by source_file, source_row""").fetchall()
    ids = [p["litellm_call_id"] for p in payloads]
    assert events == [
        (ids[1], "acme", "answer", "anthropic", "claude-sonnet-4-5-20250929", "chat", 2060, 9, 0, 2048, 0, "ok",
         Decimal("0.007851"), "USD"),
        (ids[2], "acme", "answer", "openai", "text-embedding-3-small", "embeddings", 5, 0, 0, 0, 0, "ok",
         Decimal("1E-7"), "USD"),
        (ids[3], "acme", "answer", "openai", "gpt-4o-2024-08-06", "chat", 0, 0, 0, 0, 0, "error", Decimal("0"), "USD"),
        (ids[4], "acme", "answer", "anthropic", "claude-sonnet-4-5-20250929", "chat", 2060, 9, 0, 2048, 0, "ok",
         Decimal("0.007851"), "USD"),
        (ids[0], "acme", "answer", "openai", "gpt-4o-2024-08-06", "chat", 2100, 150, 1920, 0, 64, "ok",
         Decimal("0.00435"), "USD")]
    assert con.execute("select sum(rows_quarantined) from raw_usage.usage_files").fetchone()[0] == 0
    assert con.execute("select sum(content_fields_dropped) from raw_usage.usage_files").fetchone()[0] == 5
    # the reported cost wins over the catalog's, flagged; the catalog's split stays beside it
    priced = con.execute("""
        select event_id, estimated_cost_usd, reported_cost_usd,
               coalesce(uncached_input_cost_usd, 0) + coalesce(cache_read_cost_usd, 0) + coalesce(cache_write_5m_cost_usd, 0)
               + coalesce(cache_write_1h_cost_usd, 0) + coalesce(output_cost_usd, 0) + coalesce(reasoning_cost_usd, 0)
               + request_and_unit_cost_usd as catalog_cost_usd
        from intermediate.int_usage_events_priced""").fetchall()
    for event_id, estimated, reported, catalog in priced:
        assert estimated == reported and (event_id == ids[3] or catalog > 0), (event_id, estimated, reported, catalog)
    waterfall = con.execute("select sum(estimated_usage_cost_usd), sum(reported_usage_cost_usd) "
                            "from marts.fct_margin_waterfall").fetchone()
    assert waterfall == (Decimal("0.0200521"), Decimal("0.0200521"))
    assert "Capital of France" not in json.dumps(con.execute("select * from raw_usage.usage_events").fetchall(),
                                                 default=str)
    con.close()


def _langfuse_generation(style: str, **extra) -> dict:
    """The same OpenAI generation (2,100 prompt tokens of which 1,920 cached, 150 completion) as
    Langfuse's UI export (camelCase) or blob-storage export (snake_case) writes it."""
    usage = {"input": 180, "input_cached_tokens": 1920, "output": 150, "output_reasoning_tokens": 0, "total": 2250}
    messages = [{"role": "user", "content": PROMPT}]
    if style == "ui":
        record = {"id": "obs-ui", "traceId": "trace-1", "type": "GENERATION", "name": "OpenAI-generation",
                  "startTime": "2026-12-01T12:34:56.789Z", "endTime": "2026-12-01T12:34:58.102Z",
                  "environment": "default", "level": "DEFAULT", "model": "gpt-4o-2024-08-06",
                  "usageDetails": usage, "costDetails": {"total": 0.00435}, "providedCostDetails": {},
                  "userId": "acme", "traceName": "answer", "promptName": "answer-prompt", "promptVersion": 3,
                  "metadata": {"ls_source": "openai-wrapper"}, "input": messages, "output": {"content": COMPLETION}}
    else:
        record = {"id": "obs-blob", "trace_id": "trace-2", "type": "GENERATION", "name": "OpenAI-generation",
                  "start_time": "2026-12-01 12:34:56.789", "end_time": "2026-12-01 12:34:58.102",
                  "environment": "production", "level": "DEFAULT", "provided_model_name": "gpt-4o-2024-08-06",
                  "usage_details": {k: str(v) for k, v in usage.items()},  # an older ClickHouse quotes UInt64
                  "cost_details": {"total": 0.00435}, "total_cost": 0.00435,
                  "metadata": {"customer_id": "globex", "feature": "answer"},
                  "input": json.dumps(messages), "output": json.dumps({"content": COMPLETION})}
    return {**record, **extra}


def test_langfuse_exports_in_every_style_give_the_same_usage(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "data" / "usage" / "langfuse"
    folder.mkdir(parents=True)
    ui, blob = _langfuse_generation("ui"), _langfuse_generation("blob")
    lines = [ui, {**ui, "id": "obs-span", "type": "SPAN", "usageDetails": {}},
             _langfuse_generation("ui", id="obs-llama", model="llama-3.1-70b"),  # no provider to be found
             _langfuse_generation("ui", id="obs-gateway", providedCostDetails={"total": 0.004},
                                  level="ERROR", metadata={"provider": "openai", "customer_id": "initech"}),
             _langfuse_generation("ui", id="obs-bad", usageDetails={"input": "lots", "output": 1})]
    (folder / "ui-export.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    (folder / "observations" / "blob.jsonl").parent.mkdir()
    (folder / "observations" / "blob.jsonl").write_text(json.dumps(blob) + "\n")
    parquet = {**blob, "id": "obs-parquet", "usage_details": {k: int(v) for k, v in blob["usage_details"].items()}}
    table = pa.table({k: [v] for k, v in parquet.items() if k not in ("usage_details", "metadata", "cost_details")})
    for key in ("usage_details", "metadata"):
        table = table.append_column(key, pa.array([list(parquet[key].items())], pa.map_(pa.string(), pa.string()
                                    if key == "metadata" else pa.uint64())))
    pq.write_table(table, folder / "observations" / "blob.parquet")
    csv_row = {**ui, "id": "obs-csv", "startTime": '"2026-12-01T12:34:56.789Z"', "endTime": '"2026-12-01T12:34:58.102Z"'}
    with open(folder / "ui-export.csv", "w", newline="") as fh:
        import csv
        writer = csv.DictWriter(fh, fieldnames=list(csv_row))
        writer.writeheader()
        writer.writerow({k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in csv_row.items()})
    con = _load(tmp_path)
    events = con.execute("""
        select event_id, customer_id, feature, provider, model, operation, input_tokens, output_tokens,
               cache_read_input_tokens, status, environment, prompt_version, workflow_id, occurred_at, latency_ms,
               reported_cost
        from raw_usage.usage_events order by event_id""").fetchall()
    at = datetime(2026, 12, 1, 12, 34, 56, 789000, tzinfo=timezone.utc)
    same = ("openai", "gpt-4o-2024-08-06", "chat", 2100, 150, 1920)
    assert [e[:3] + e[3:9] + e[9:] for e in events] == [
        ("obs-blob", "globex", "answer", *same, "ok", "production", None, "trace-2", at, 1313.0, None),
        ("obs-csv", "acme", "answer", *same, "ok", "production", "answer-prompt@3", "trace-1", at, 1313.0, None),
        ("obs-gateway", "initech", "answer", *same, "error", "production", "answer-prompt@3", "trace-1", at, 1313.0,
         Decimal("0.004")),
        ("obs-parquet", "globex", "answer", *same, "ok", "production", None, "trace-2", at, 1313.0, None),
        ("obs-ui", "acme", "answer", *same, "ok", "production", "answer-prompt@3", "trace-1", at, 1313.0, None)]
    quarantine = dict(con.execute("select source_row, reason from raw_usage.usage_quarantine "
                                  "where source_file = 'langfuse/ui-export.jsonl'").fetchall())
    assert quarantine == {3: "missing provider", 5: "input_tokens is not an integer"}
    files = dict(con.execute("select source_file, records_not_usage from raw_usage.usage_files").fetchall())
    assert files["langfuse/ui-export.jsonl"] == 1
    raw_texts = " ".join(r[0] for r in con.execute("select raw_text from raw_usage.usage_quarantine").fetchall())
    assert PROMPT not in raw_texts and "obs-llama" in raw_texts
    con.close()


def test_older_token_names_spans_without_usage_and_broken_lines_never_leak(tmp_path):
    usage = tmp_path / "data" / "usage"
    (usage / "otel").mkdir(parents=True)
    (usage / "langfuse").mkdir()
    base = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
            "user.id": "acme", "feature": "chat", "gen_ai.prompt.version": "v7"}
    (usage / "otel" / "spans.jsonl").write_text(_export_request(
        # OpenLLMetry's older names; gen_ai.prompt.version is a version, not a prompt
        _span("00f067aa0ba902d1", {**base, "gen_ai.usage.prompt_tokens": 120, "gen_ai.usage.completion_tokens": 30}),
        # a call span that says nothing of its tokens would cost nothing
        _span("00f067aa0ba902d2", base)) + "\n")
    import csv
    import io
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "traceId", "type", "startTime", "model", "usageDetails", "userId", "traceName", "input",
                     "output"])
    for i in range(1, 40):  # a file big enough that one broken line stays under the quarantine share
        writer.writerow([f"obs-{i}", "t1", "GENERATION", "2026-12-01T10:00:00Z", "gpt-4o-mini",
                         json.dumps({"input": 10, "output": 2}), "acme", "chat", PROMPT, COMPLETION])
    lines = out.getvalue().splitlines(keepends=True)
    lines.insert(20, f'obs-x,t1,GENERATION,2026-12-01T10:00:00Z,gpt-4o-mini,"{{}}",acme,chat,{PROMPT},{COMPLETION},?\n')
    (usage / "langfuse" / "export.csv").write_text("".join(lines))  # a line with one column too many
    con = _load(tmp_path)
    events = con.execute("select event_id, input_tokens, output_tokens, prompt_version from raw_usage.usage_events "
                         "order by event_id").fetchall()
    assert events[0] == ("5b8efff798038103d269b633813fc60c-00f067aa0ba902d1", 120, 30, "v7")
    assert len(events) == 40 and events[1] == ("obs-1", 10, 2, None)
    quarantine = con.execute("select source_file, reason, raw_text from raw_usage.usage_quarantine").fetchall()
    assert ("otel/spans.jsonl", "no gen_ai.usage token counts") in {(f, r) for f, r, _ in quarantine}
    assert any(f == "langfuse/export.csv" for f, _, _ in quarantine)
    assert not any(PROMPT in (raw or "") or COMPLETION in (raw or "") for _, _, raw in quarantine)
    files = dict(con.execute("select source_file, content_fields_dropped from raw_usage.usage_files").fetchall())
    assert files["otel/spans.jsonl"] == 0  # gen_ai.prompt.version carries no content
    con.close()

"""The usage recorder (ai_margin.recorder) on real response objects: built by the real `openai` and
`anthropic` SDKs from a local server on 127.0.0.1 that answers in the providers' own shapes. Then threads,
processes, rotation, no prompt or completion on disk, and the files loaded by the real pipeline."""

import json
import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from ai_margin.recorder import Recorder, usage_of
from conftest import run_cli

PROMPT = "the customer's confidential contract text"
COMPLETION = "a confidential summary"


def _chat(model="gpt-4o-mini-2024-07-18"):
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": COMPLETION, "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
                      "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
                      "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}}}


class _Provider(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/v1/chat/completions" and request.get("stream"):
            chunks = [{"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
                       "choices": [{"index": 0, "delta": {"role": "assistant", "content": COMPLETION},
                                    "finish_reason": None}]},
                      {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                      {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
                       "choices": [], "usage": {"prompt_tokens": 50, "completion_tokens": 7, "total_tokens": 57}}]
            body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks).encode() + b"data: [DONE]\n\n"
            return self._send(body, "text/event-stream")
        if self.path == "/v1/chat/completions":
            return self._send(json.dumps(_chat()).encode())
        if self.path == "/v1/responses":
            return self._send(json.dumps({
                "id": "resp_1", "object": "response", "created_at": 1, "status": "completed", "model": "o4-mini",
                "output": [{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                            "content": [{"type": "output_text", "text": COMPLETION, "annotations": []}]}],
                "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
                "usage": {"input_tokens": 2000, "input_tokens_details": {"cached_tokens": 500},
                          "output_tokens": 900, "output_tokens_details": {"reasoning_tokens": 600},
                          "total_tokens": 2900}}).encode())
        if self.path == "/v1/embeddings":
            return self._send(json.dumps({"object": "list", "model": "text-embedding-3-small",
                                          "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
                                          "usage": {"prompt_tokens": 8, "total_tokens": 8}}).encode())
        if self.path == "/v1/messages":
            return self._send(json.dumps({
                "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
                "content": [{"type": "text", "text": COMPLETION}], "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": 100, "cache_creation_input_tokens": 2000, "cache_read_input_tokens": 5000,
                          "output_tokens": 50,
                          "cache_creation": {"ephemeral_5m_input_tokens": 1500, "ephemeral_1h_input_tokens": 500}},
            }).encode())
        self.send_error(404)

    def _send(self, body: bytes, content_type: str = "application/json"):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def clients():
    import anthropic
    import openai

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield (openai.OpenAI(base_url=f"{base}/v1", api_key="sk-test", max_retries=0),
           anthropic.Anthropic(base_url=base, api_key="sk-ant-test", max_retries=0))
    server.shutdown()
    server.server_close()


@pytest.mark.filterwarnings("ignore:The model .* is deprecated")
def test_usage_is_read_from_each_sdk_response(clients):
    oa, an = clients
    message = [{"role": "user", "content": PROMPT}]
    chat = usage_of(oa.chat.completions.create(model="gpt-4o-mini", messages=message))
    assert chat == {"provider": "openai", "model": "gpt-4o-mini-2024-07-18", "operation": "chat",
                    "request_id": "chatcmpl-1", "input_tokens": 1200, "output_tokens": 300,
                    "cache_read_input_tokens": 1024, "reasoning_output_tokens": 0}
    *_, last = oa.chat.completions.create(model="gpt-4o-mini", messages=message, stream=True,
                                          stream_options={"include_usage": True})
    assert usage_of(last)["input_tokens"] == 50 and usage_of(last)["output_tokens"] == 7
    responses = usage_of(oa.responses.create(model="o4-mini", input=PROMPT))
    assert (responses["input_tokens"], responses["cache_read_input_tokens"], responses["output_tokens"],
            responses["reasoning_output_tokens"]) == (2000, 500, 900, 600)
    embeddings = usage_of(oa.embeddings.create(model="text-embedding-3-small", input=PROMPT))
    assert embeddings["operation"] == "embeddings" and embeddings["input_tokens"] == 8
    claude = usage_of(an.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=message))
    # Anthropic counts cache reads and writes outside input_tokens; our contract counts them inside
    assert claude == {"provider": "anthropic", "model": "claude-sonnet-4-5-20250929", "operation": "chat",
                      "request_id": "msg_01", "input_tokens": 7100, "output_tokens": 50,
                      "cache_read_input_tokens": 5000, "cache_creation_input_tokens": 2000,
                      "cache_creation_1h_input_tokens": 500}
    # Bedrock Converse and Gemini, as the dicts their clients return
    bedrock = usage_of({"usage": {"inputTokens": 10, "outputTokens": 5, "cacheReadInputTokens": 90,
                                  "cacheWriteInputTokens": 0}, "ResponseMetadata": {"RequestId": "r1"}},
                       model="anthropic.claude-3-5-haiku-20241022-v1:0")
    assert (bedrock["provider"], bedrock["input_tokens"], bedrock["cache_read_input_tokens"]) == ("aws.bedrock", 100, 90)
    gemini = usage_of({"modelVersion": "gemini-2.5-flash", "responseId": "g1",
                       "usageMetadata": {"promptTokenCount": 40, "candidatesTokenCount": 10, "thoughtsTokenCount": 30,
                                         "cachedContentTokenCount": 20}})
    assert (gemini["output_tokens"], gemini["reasoning_output_tokens"], gemini["cache_read_input_tokens"]) == (40, 30, 20)
    with pytest.raises(ValueError, match="no usage"):
        usage_of({"object": "chat.completion.chunk", "id": "c", "choices": []})


def _record_many(directory: str, n: int) -> None:
    recorder = Recorder(directory)
    for i in range(n):
        recorder.record({"object": "list", "model": "text-embedding-3-small", "usage": {"prompt_tokens": i}},
                        customer_id="acme", feature="search")
    recorder.close()


def test_threads_processes_and_rotation_never_lose_or_mix_a_line(tmp_path, clients):
    oa, _ = clients
    usage = tmp_path / "data" / "usage"
    recorder = Recorder(usage, max_bytes=4_000)
    response = oa.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}])
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: recorder.record(response, customer_id=f"c{i % 5}", feature="chat", team="core"),
                      range(400)))
    assert list(usage.glob("*.part"))  # the current file is still being written
    recorder.close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_record_many, args=(str(usage), 50)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    files = sorted(usage.glob("*.jsonl"))
    assert not list(usage.glob("*.part")) and len(files) > 3  # rotated, every file finished
    lines = [line for f in files for line in f.read_text().splitlines()]
    events = [json.loads(line) for line in lines]
    assert len(events) == 500 and len({e["event_id"] for e in events}) == 500
    assert not any(PROMPT in f.read_text() or COMPLETION in f.read_text() for f in files)
    assert {e["attributes"]["team"] for e in events if e["feature"] == "chat"} == {"core"}

    recorder = Recorder(usage)
    recorder.track_revenue("c1", 4900, "usd", feature="chat", service_period_start="2026-12-01",
                           service_period_end="2026-12-31")
    recorder.close()
    warehouse = tmp_path / "wh.duckdb"
    run_cli("load", "--data-dir", str(tmp_path / "data"), "--warehouse", str(warehouse),
            "--only", "usage_events", "--only", "revenue_events")
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from raw_usage.usage_events").fetchone()[0] == 500
    assert con.execute("select coalesce(sum(rows_quarantined), 0) from raw_usage.usage_files").fetchone()[0] == 0
    assert con.execute("select count(*) from raw_revenue.revenue_events").fetchone()[0] == 1
    con.close()


@pytest.mark.filterwarnings("ignore:The model .* is deprecated")
def test_recorded_calls_are_priced_as_genai_prices_prices_them(clients, tmp_path):
    from decimal import Decimal

    from genai_prices import Usage, calc_price

    oa, an = clients
    message = [{"role": "user", "content": PROMPT}]
    recorder = Recorder(tmp_path / "data" / "usage")
    events = [recorder.record(response, customer_id="acme", feature="chat") for response in (
        oa.chat.completions.create(model="gpt-4o-mini", messages=message),            # cached input
        oa.responses.create(model="o4-mini", input=PROMPT),                           # cached, reasoning
        an.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=message),  # cache writes 5m, 1h
    )]
    recorder.close()
    warehouse = tmp_path / "wh.duckdb"
    run_cli("run", "--data-dir", str(tmp_path / "data"), "--warehouse", str(warehouse), "--quiet",
            "--only", "model_prices", "--only", "usage_events")
    con = duckdb.connect(str(warehouse), read_only=True)
    priced = dict(con.execute("select event_id, estimated_cost_usd from intermediate.int_usage_events_priced").fetchall())
    con.close()
    for event in events:
        usage = Usage(input_tokens=event["input_tokens"], output_tokens=event["output_tokens"],
                      cache_read_tokens=event.get("cache_read_input_tokens", 0),
                      cache_write_tokens=event.get("cache_creation_input_tokens", 0),
                      cache_write_5m_tokens=event.get("cache_creation_input_tokens", 0)
                      - event.get("cache_creation_1h_input_tokens", 0),
                      cache_write_1h_tokens=event.get("cache_creation_1h_input_tokens", 0),
                      output_reasoning_tokens=event.get("reasoning_output_tokens", 0))
        expected = calc_price(usage, event["model"], provider_id=event["provider"]).total_price
        assert priced[event["event_id"]] == Decimal(expected).quantize(Decimal("1e-10")), event

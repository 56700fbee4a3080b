"""Budgets end to end, and the SDK guard (ai_margin.sdk) against a real HTTP server: ETag caching, a
server that is down, slow or answers garbage, fail-open and fail-closed, and the real `openai` SDK
stopped before its request leaves."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from ai_margin.publish import blocklist_document, current_snapshot
from ai_margin.recorder import Recorder
from ai_margin.sdk import Blocklist, BudgetExceeded
from ai_margin.serve import make_server
from conftest import run_cli

BLOCKED = [{"scope": "customer", "customer_id": "acme", "feature": None, "budget_id": "acme_monthly",
            "reason": "monthly budget acme_monthly of 100.00 USD exceeded", "since": "2026-12-01"},
           {"scope": "customer_feature", "customer_id": "beta", "feature": "agent", "budget_id": "beta_agent",
            "reason": "daily budget exceeded", "since": "2026-12-06"}]


class _Served:
    """ai-margin serve's server on a free port, in a thread, serving `path`; counts what it answered."""

    def __init__(self, path):
        self.server = make_server(path, port=0)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/blocklist.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served(tmp_path):
    path = tmp_path / "blocklist.json"
    path.write_text(blocklist_document(BLOCKED, "2026-12-06T00:00:00Z"))
    server = _Served(path)
    yield server, path
    server.stop()


def test_guard_blocks_what_the_list_names_and_nothing_else(served):
    server, _ = served
    blocklist = Blocklist(url=server.url, background=False)
    with pytest.raises(BudgetExceeded, match="acme_monthly") as raised:
        with blocklist.guard(customer_id="acme", feature="chat"):
            pytest.fail("the guarded block ran")
    assert raised.value.entry["since"] == "2026-12-01"
    with blocklist.guard(customer_id="beta", feature="chat"):
        pass  # beta is blocked for the agent feature only
    with pytest.raises(BudgetExceeded):
        blocklist.check(customer_id="beta", feature="agent")

    calls = []

    @blocklist.guard(customer_id="acme")
    def summarize():
        calls.append(1)

    with pytest.raises(BudgetExceeded):
        summarize()
    assert calls == []


def test_an_unchanged_list_is_not_downloaded_again(served):
    server, path = served
    blocklist = Blocklist(url=server.url, background=False)
    version = blocklist.version
    seen = []
    original = blocklist._read
    blocklist._read = lambda: seen.append(original()) or seen[-1]
    assert blocklist.refresh() and seen == [None]  # 304: nothing downloaded
    path.write_text(blocklist_document(BLOCKED[:1], "2026-12-06T01:00:00Z"))
    assert blocklist.refresh() and seen[-1] is not None and blocklist.version != version
    blocklist.check(customer_id="beta", feature="agent")  # no longer blocked


def test_a_background_refresh_picks_up_a_new_list(tmp_path):
    path = tmp_path / "blocklist.json"
    path.write_text(blocklist_document([], "t0"))
    blocklist = Blocklist(path=path, ttl=0.05)
    blocklist.check(customer_id="acme")
    path.write_text(blocklist_document(BLOCKED, "t1"))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            blocklist.check(customer_id="acme")
        except BudgetExceeded:
            break
        time.sleep(0.02)
    else:
        pytest.fail("the new blocklist was never picked up")
    blocklist.close()


def test_down_slow_or_garbage_keeps_the_last_good_list_then_fails_as_configured(tmp_path):
    state = {"mode": "ok"}
    good = blocklist_document(BLOCKED, "t0").encode()

    class Flaky(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if state["mode"] == "slow":
                time.sleep(1.5)
            body = b"<html>502 Bad Gateway</html>" if state["mode"] == "garbage" else good
            try:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except BrokenPipeError:
                pass  # the guard gave up waiting, as it should

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/blocklist.json"
    open_guard = Blocklist(url=url, background=False, timeout=0.5, max_age=1.0)
    closed_guard = Blocklist(url=url, background=False, timeout=0.5, max_age=1.0, fail_open=False)
    for mode in ("garbage", "slow"):
        state["mode"] = mode
        started = time.monotonic()
        assert open_guard.refresh()  # still holds the last good copy
        assert time.monotonic() - started < 1.4  # the timeout, not the server, decides
        assert open_guard.last_error
        with pytest.raises(BudgetExceeded):
            open_guard.check(customer_id="acme")  # the last good list still applies
    server.shutdown()
    server.server_close()
    assert not open_guard.refresh() or open_guard.last_error  # down
    time.sleep(1.1)  # the last good copy is now older than max_age
    open_guard.check(customer_id="acme")  # fail open: allowed
    with pytest.raises(BudgetExceeded, match="unavailable"):
        closed_guard.refresh()
        closed_guard.check(customer_id="someone")
    never = Blocklist(url=url, background=False, timeout=0.2, fail_open=False)
    with pytest.raises(BudgetExceeded, match="never read|unavailable"):
        never.check(customer_id="acme")


def test_the_guard_costs_microseconds(served):
    server, _ = served
    blocklist = Blocklist(url=server.url, background=False)
    reads = []
    original = blocklist._read
    blocklist._read = lambda: reads.append(1) or original()
    n = 100_000
    started = time.perf_counter()
    for _ in range(n):
        blocklist.check(customer_id="someone", feature="chat")
    per_call_us = (time.perf_counter() - started) / n * 1e6
    assert reads == []  # no network on the hot path: checks read the copy in memory
    print(f"\nguard check: {per_call_us:.2f} µs per call (2 entries, no network)")  # a figure, not a test


class _OpenAI(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions in OpenAI's shape, 100M input tokens a call; counts per customer."""
    received: dict[str, int] = {}

    def do_POST(self):  # noqa: N802
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        customer = request.get("user", "")
        _OpenAI.received[customer] = _OpenAI.received.get(customer, 0) + 1
        body = json.dumps({
            "id": f"chatcmpl-{sum(_OpenAI.received.values())}", "object": "chat.completion",
            "created": int(time.time()), "model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_test",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok", "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100_000_000, "completion_tokens": 1_000, "total_tokens": 100_001_000,
                      "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                      "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                    "accepted_prediction_tokens": 0,
                                                    "rejected_prediction_tokens": 0}},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_over_budget_customer_is_stopped_before_the_openai_request(tmp_path):
    import openai

    api = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAI)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{api.server_address[1]}/v1", api_key="sk-test-not-a-key",
                           max_retries=0)

    recorder = Recorder(tmp_path / "data" / "usage")  # the application records each call's usage

    def call(customer: str) -> None:
        response = client.chat.completions.create(model="gpt-4o", user=customer,
                                                  messages=[{"role": "user", "content": "summarise this"}])
        recorder.record(response, customer_id=customer, feature="summarize")

    # cust_newbig's budget (seeds/budgets.csv): 1,000 USD a month, block. Five calls of 100M input
    # tokens at gpt-4o's 2.50 USD per million: 1,250 USD.
    for customer in ["cust_newbig"] * 5 + ["cust_small"]:
        call(customer)
    recorder.close()
    warehouse = tmp_path / "wh.duckdb"
    run_cli("run", "--data-dir", str(tmp_path / "data"), "--warehouse", str(warehouse), "--quiet",
            "--only", "model_prices", "--only", "usage_events")
    con = duckdb.connect(str(current_snapshot(warehouse)), read_only=True)
    status, spend = con.execute("select status, spend_usd from marts.fct_budget_status "
                                "where budget_id = 'newbig_monthly'").fetchone()
    con.close()
    assert status == "exceeded" and spend >= 1250

    blocklist_server = _Served(current_snapshot(warehouse).parent / "blocklist.json")
    blocklist = Blocklist(url=blocklist_server.url, background=False)
    before = dict(_OpenAI.received)
    with pytest.raises(BudgetExceeded, match="newbig_monthly"):
        with blocklist.guard(customer_id="cust_newbig", feature="summarize"):
            call("cust_newbig")
    assert _OpenAI.received == before  # the request never left
    with blocklist.guard(customer_id="cust_small", feature="summarize"):
        call("cust_small")
    assert _OpenAI.received["cust_small"] == before["cust_small"] + 1
    blocklist_server.stop()
    api.shutdown()
    api.server_close()


def test_an_entry_ends_with_its_budget_period_and_a_bad_file_is_not_served(tmp_path):
    path = tmp_path / "blocklist.json"
    ended = dict(BLOCKED[0], until="2020-01-31")  # a budget period that is over
    path.write_text(blocklist_document([ended, BLOCKED[1]], "t0"))
    blocklist = Blocklist(path=path, background=False)
    blocklist.check(customer_id="acme", feature="chat")  # no longer blocked
    with pytest.raises(BudgetExceeded):
        blocklist.check(customer_id="beta", feature="agent")
    path.write_text("{}")
    server = _Served(path)
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(server.url, timeout=5)
    assert answer.value.code == 503
    server.stop()

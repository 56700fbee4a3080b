"""Margin floors, the `ai-margin check` gate and the alerts, on the real demo data and on clean data.

The demo (the same data `make demo` builds: 200 customers, 90 days, every scenario) must raise each
scenario's alert on the day the scenario starts and next to nothing on the clean days before; its
floors are breached (the chat assistant goes red), so the gate fails. A clean data set ending
yesterday (fresh sources, no scenarios) passes the gate, and fails it once a tie-out is broken or a
floor exception expires.
"""

from __future__ import annotations

import json
import shutil
import threading
from datetime import date, timedelta

import duckdb
import pytest

from conftest import query_warehouse, run_cli
from local_server import JsonHandler, LocalServer


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("clean") / "data"
    warehouse = data_dir.parent / "clean.duckdb"
    yesterday = date.today() - timedelta(days=1)
    run_cli("generate", "--data-dir", str(data_dir), "--end-date", yesterday.isoformat())
    run_cli("run", "--data-dir", str(data_dir), "--warehouse", str(warehouse), "--quiet")
    return warehouse


_rows = query_warehouse


def _altered_copy(warehouse, tmp_path, sql, params=None):
    """A copy of the warehouse with one statement applied, as if someone had changed the data."""
    copy = tmp_path / f"altered_{warehouse.name}"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute(sql, params or [])
    con.close()
    return copy


def _alerts(warehouse, alert_date, alert_type):
    return {r[0] for r in _rows(warehouse, "select entity_id from marts.fct_margin_alerts "
                                           "where alert_date = ? and alert_type = ?", [alert_date, alert_type])}


def test_each_scenario_raises_its_alert_on_the_day_it_starts(demo):
    wh, m = demo["warehouse"], demo["manifest"]
    days = {name: date.fromisoformat(d) for name, d in m["scenarios"].items()}
    # the provider bills 25% more for Sonnet than the catalog says: billed cost leaves the estimate
    assert "anthropic" in _alerts(wh, days["price_change"], "provider_billing_residual")
    # a new enterprise customer on a deep discount costs more than it pays from its first day
    assert "cust_newbig" in _alerts(wh, days["unprofitable_customer"], "new_customer_unprofitable")
    # prompt v2 adds 40% input tokens to the chat assistant
    assert "chat_assistant / prompt v2" in _alerts(wh, days["prompt_change"], "prompt_version_cost_up")
    # summarize moves to a model that costs about three times as much per request
    assert "summarize" in _alerts(wh, days["model_upgrade"], "model_mix_shift")
    assert "summarize" in _alerts(wh, days["model_upgrade"], "feature_cost_per_request_up")
    # one customer's research agent starts looping
    assert m["agent_loop_customer"] in _alerts(wh, days["agent_loop"], "agent_loop")
    # ... and the feature's cost spike names that customer as what moved
    driver = _rows(wh, "select primary_cost_driver from marts.fct_margin_alerts where alert_date = ? "
                       "and alert_type = 'cost_spike' and entity_id = 'research_agent'", [days["agent_loop"]])
    assert driver == [(f"customer: {m['agent_loop_customer']}",)]
    # nor is any of them raised the day before it starts
    for name, alert_type, entity in [("price_change", "provider_billing_residual", "anthropic"),
                                     ("prompt_change", "prompt_version_cost_up", "chat_assistant / prompt v2"),
                                     ("model_upgrade", "model_mix_shift", "summarize"),
                                     ("agent_loop", "agent_loop", m["agent_loop_customer"])]:
        assert entity not in _alerts(wh, days[name] - timedelta(days=1), alert_type)


def test_clean_days_raise_no_more_than_a_handful(demo):
    first_scenario = min(demo["manifest"]["scenarios"].values())
    baseline = _rows(demo["warehouse"], "select alert_date, alert_type, entity_id from marts.fct_margin_alerts "
                                        "where alert_date < ?", [first_scenario])
    days = (date.fromisoformat(first_scenario) - date.fromisoformat(demo["manifest"]["start_date"])).days
    assert len(baseline) <= 5, f"{len(baseline)} alerts over {days} clean days: {baseline}"


def test_floor_breach_is_reported_by_the_build_and_stored(demo):
    # the run (load + dbt build) succeeds, says which floor tests failed, and stores the failing rows
    assert "Margin floors breached" in demo["run_output"] and "margin_floor_red_3d" in demo["run_output"]
    stored = _rows(demo["warehouse"], "select feature, points_below_floor from dbt_test__audit.margin_floor_red_3d")
    assert stored and {f for f, _ in stored} == {"chat_assistant"}
    assert all(points > 0 for _, points in stored)


def test_check_fails_on_a_floor_breach(demo):
    proc = run_cli("check", "--warehouse", str(demo["warehouse"]), "--json", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    verdict = json.loads(proc.stdout[proc.stdout.index("{"):proc.stdout.rindex("}") + 1])
    tests = next(g for g in verdict["gates"] if g["name"] == "dbt data tests")
    assert tests["status"] == "fail"
    assert any(d.startswith("margin_floor_red_3d: fail") for d in tests["details"])


def test_check_passes_on_clean_data_and_fails_once_a_tie_out_breaks(clean, tmp_path):
    proc = run_cli("check", "--warehouse", str(clean), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Check passed" in proc.stdout
    assert "PASS  great expectations checkpoint" in proc.stdout

    broken = _altered_copy(clean, tmp_path, "update marts.fct_margin_waterfall set revenue_usd = revenue_usd + 1 "
                           "where customer_id = (select min(customer_id) from marts.fct_margin_waterfall "
                           "where revenue_usd > 0)")
    proc = run_cli("check", "--warehouse", str(broken), check=False)
    assert proc.returncode == 1
    assert "assert_margin_revenue_ties_to_recognized_revenue: fail" in proc.stdout


def test_check_catches_repeats_and_broken_rows(clean, tmp_path):
    broken = tmp_path / "broken.duckdb"
    shutil.copy(clean, broken)
    con = duckdb.connect(str(broken))
    for sql in ["insert into marts.fct_margin_waterfall select * from marts.fct_margin_waterfall limit 1",
                "update marts.fct_margin_waterfall set gross_margin_usd = gross_margin_usd + 1 "
                "where customer_id = (select max(customer_id) from marts.fct_margin_waterfall)",
                "insert into intermediate.int_usage_events_priced "
                "select * from intermediate.int_usage_events_priced limit 1",
                # more cache reads than input tokens (stg_usage__events' uncached_input_tokens < 0)
                "update raw_usage.usage_events set cache_read_input_tokens = input_tokens + 1 "
                "where event_id = (select max(event_id) from raw_usage.usage_events)",
                # a day's estimated inference cost no longer ties to its priced events
                "update marts.fct_margin_waterfall set estimated_usage_cost_usd = estimated_usage_cost_usd + 1 "
                "where customer_id = (select min(customer_id) from marts.fct_margin_waterfall)"]:
        con.execute(sql)
    con.close()
    proc = run_cli("check", "--warehouse", str(broken), check=False)
    assert proc.returncode == 1
    failed = {line.split(": fail")[0].strip() for line in proc.stdout.splitlines() if ": fail" in line}
    for prefix in ["unique_combination_fct_margin_waterfall_",
                   "adds_up_fct_margin_waterfall_total_cost_usd__gross_margin_usd",
                   "unique_int_usage_events_priced_event_id",
                   "non_negative_stg_usage__events_uncached_input_tokens"]:
        assert any(name.startswith(prefix) for name in failed), (prefix, proc.stdout)
    assert "assert_margin_cost_ties_to_priced_events_by_day" in failed


def test_check_fails_when_a_floor_exception_is_past_its_review_date(clean, tmp_path):
    expired = _altered_copy(clean, tmp_path, "update seeds.features set floor_exception_reason = 'launch pricing', "
                            "floor_exception_review_date = date '2020-01-31' where feature = 'summarize'")
    proc = run_cli("check", "--warehouse", str(expired), check=False)
    assert proc.returncode == 1
    assert "floor_exception_not_expired" in proc.stdout


def test_a_price_change_for_a_model_in_use_raises_an_alert(clean, tmp_path):
    # a negotiated price for gpt-4o-mini (summarize) takes effect five days before the end
    day = date.today() - timedelta(days=5)
    repriced = _altered_copy(clean, tmp_path, "insert into seeds.model_price_overrides (provider, model, valid_from, "
                             "valid_to, input_usd_per_mtok, output_usd_per_mtok, reason) values ('openai', "
                             "'gpt-4o-mini', ?, date '9999-12-31', 0.12, 0.48, 'committed-use rate')", [day])
    run_cli("build", "--warehouse", str(repriced), "--select", "int_model_prices_resolved+", "--quiet")
    alerts = _rows(repriced, "select alert_date, metric_value, baseline_value from marts.fct_margin_alerts "
                             "where alert_type = 'model_price_change' and entity_id = 'openai/gpt-4o-mini (standard)'")
    assert [(d, float(v), float(b)) for d, v, b in alerts] == [(day, 0.48, 0.6)]


class Hook(JsonHandler):
    """A webhook receiver that records each POSTed document."""
    server_ref: LocalServer
    received: list = []
    keys: list = []  # the Idempotency-Key of every attempt, refused ones included
    lock = threading.Lock()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.keys.append(self.headers.get("Idempotency-Key"))
        fault = self.server_ref.next_fault(self.path)
        if fault:
            self.send_json(fault, {"error": "try again"})
            return
        with self.lock:
            self.received.append(body)
        self.send_json(200, {"ok": True})


def test_alerts_print_as_text_and_json_and_post_each_alert_once(demo):
    wh, m = demo["warehouse"], demo["manifest"]
    day = m["scenarios"]["agent_loop"]
    text = run_cli("alerts", "--warehouse", str(wh), "--date", day).stdout
    assert "CRITICAL agent_loop" in text and m["agent_loop_customer"] in text
    listed = json.loads(run_cli("alerts", "--warehouse", str(wh), "--date", day, "--json").stdout)
    assert listed["as_of_date"] == day
    assert {"agent_loop", "cost_spike"} <= {a["alert_type"] for a in listed["alerts"]}

    Hook.received, Hook.keys = [], []
    server = LocalServer(Hook)
    Hook.server_ref = server
    with server:
        url = f"{server.url}/hooks/T0KEN-s3cret"
        server.fail("/hooks/", 503)  # first attempt refused: retried
        first = run_cli("alerts", "--warehouse", str(wh), "--date", day, "--webhook", url)
        again = run_cli("alerts", "--warehouse", str(wh), "--date", day, "--webhook", url)
    # one document per alert, each alert once
    assert [len(doc["alerts"]) for doc in Hook.received] == [1] * len(listed["alerts"])
    assert sorted(doc["alerts"][0]["alert_id"] for doc in Hook.received) == \
        sorted(a["alert_id"] for a in listed["alerts"])
    # every attempt carries the alert id as its key, the refused one and its retry alike: a receiver
    # that processed an attempt we timed out on can drop the repeat
    assert Hook.keys[0] == Hook.keys[1] == Hook.received[0]["alerts"][0]["alert_id"]
    assert Hook.keys[1:] == [doc["alerts"][0]["alert_id"] for doc in Hook.received]
    assert f"sent {len(listed['alerts'])} new alert(s)" in first.stdout
    assert "nothing new to send" in again.stdout
    for out in (first.stdout + first.stderr, again.stdout + again.stderr):
        assert "s3cret" not in out
    stored = _rows(wh, "select * from alerting.sent_alerts")
    assert len(stored) == len(listed["alerts"]) and not any("s3cret" in str(v) for row in stored for v in row)

    # a second delivery while one runs says so, and sends nothing
    import fcntl
    with open(wh.with_name(wh.name + ".alerts.lock"), "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        busy = run_cli("alerts", "--warehouse", str(wh), "--date", day, "--webhook", url, check=False)
    assert busy.returncode == 1 and "another `ai-margin alerts --webhook` is delivering" in busy.stderr

"""Wrong-but-plausible input is quarantined with its reason instead of loaded (issue: one bad record must
never overflow a sum, stretch every date range or shift a day): fractional and absurd token counts,
timestamps without their offset, in the future (a Unix-milliseconds value read as seconds) or long past;
configurable bounds; revenue timestamps independent of the machine's time zone."""

import json
from datetime import datetime, timezone

import duckdb

from conftest import run_cli


def _event(event_id: str, **fields) -> dict:
    return {"event_id": event_id, "occurred_at": "2026-11-01T10:00:00Z", "customer_id": "acme", "feature": "chat",
            "provider": "openai", "model": "gpt-4o-mini", "input_tokens": 1000, "output_tokens": 100, **fields}


def test_out_of_bounds_usage_is_quarantined_with_its_reason(tmp_path):
    usage = tmp_path / "data" / "usage"
    usage.mkdir(parents=True)
    lines = [
        _event("ok"),
        _event("day-only", occurred_at="2026-11-01"),  # a date alone is a UTC day
        _event("offset", occurred_at="2026-11-01T10:00:00+02:00"),
        _event("fraction", input_tokens=12.7),
        _event("huge", input_tokens=10**15),
        _event("configured", output_tokens=5000),  # above the bound configured below
        _event("naive", occurred_at="2026-11-01T10:00:00"),
        _event("millis", occurred_at=1_762_000_000_000),  # Unix milliseconds where seconds are expected
        _event("far-future", occurred_at="9999-12-31T00:00:00Z"),
        _event("long-past", occurred_at="2001-01-01T00:00:00Z"),
    ]
    (usage / "calls.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    warehouse = tmp_path / "wh.duckdb"
    out = run_cli("load", "--data-dir", str(tmp_path / "data"), "--warehouse", str(warehouse), "--only", "usage_events",
                  env={"SOURCES__USAGE_EVENTS__MAX_TOKENS_PER_CALL": "2000"}).stdout
    assert "7 quarantined" in out
    con = duckdb.connect(str(warehouse), read_only=True)
    loaded = dict(con.execute("select event_id, occurred_at from raw_usage.usage_events").fetchall())
    reasons = dict(con.execute("select source_row, reason from raw_usage.usage_quarantine").fetchall())
    con.close()
    assert loaded == {"ok": datetime(2026, 11, 1, 10, tzinfo=timezone.utc),
                      "day-only": datetime(2026, 11, 1, tzinfo=timezone.utc),
                      "offset": datetime(2026, 11, 1, 8, tzinfo=timezone.utc)}
    assert reasons == {
        4: "input_tokens is not an integer",
        5: "input_tokens above 2,000",
        6: "output_tokens above 2,000",
        7: "occurred_at has no UTC offset",
        8: "occurred_at in the future",
        9: "occurred_at in the future",
        10: "occurred_at before 2015-01-01",
    }


def test_revenue_timestamps_do_not_depend_on_the_machine_time_zone(tmp_path):
    revenue = tmp_path / "data" / "revenue"
    revenue.mkdir(parents=True)
    rows = [{"event_id": "epoch", "occurred_at": 1785000000, "customer_id": "acme", "amount_minor": 100,
             "currency": "USD"},
            {"event_id": "naive", "occurred_at": "2026-08-01T10:00:00", "customer_id": "acme", "amount_minor": 100,
             "currency": "USD"}]
    (revenue / "revenue.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    warehouse = tmp_path / "wh.duckdb"
    run_cli("load", "--data-dir", str(tmp_path / "data"), "--warehouse", str(warehouse), "--only", "revenue_events",
            env={"TZ": "America/Los_Angeles"})
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    loaded = con.execute("select event_id, occurred_at from raw_revenue.revenue_events").fetchall()
    reasons = con.execute("select event_id, reason from (select json_extract_string(raw_text, '$.event_id') "
                          "as event_id, reason from raw_revenue.revenue_quarantine)").fetchall()
    con.close()
    assert loaded == [("epoch", datetime.fromtimestamp(1785000000, tz=timezone.utc))]
    assert reasons == [("naive", "occurred_at has no UTC offset")]

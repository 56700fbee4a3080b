"""Revenue events outside Stripe: exact minor units, quarantine with reasons, idempotent reruns."""

import json

import duckdb

from ai_margin.load import load_all


def test_revenue_events_load_exactly_and_quarantine_bad_records(tmp_path):
    folder = tmp_path / "revenue"
    folder.mkdir()
    good = [
        {"event_id": "r1", "occurred_at": "2026-07-31T23:00:00Z", "customer_id": "c1", "amount": "12.34",
         "currency": "usd", "feature": "doc_extract"},
        {"event_id": "r2", "occurred_at": 1785000000, "customer_id": "c2", "amount": "1000", "currency": "JPY"},
        {"event_id": "r3", "occurred_at": "2026-08-01", "customer_id": "c1", "amount_minor": 250,
         "currency": "EUR", "kind": "refund"},
    ]
    bad = [
        {"event_id": "b1", "occurred_at": "2026-08-01", "customer_id": "c1", "amount": "1.005", "currency": "USD"},
        {"event_id": "b2", "occurred_at": "2026-08-01", "customer_id": "c1", "amount": "5"},
        {"event_id": "b3", "occurred_at": "2026-08-01", "customer_id": "c1", "amount": "5", "currency": "USD",
         "kind": "gift"},
    ]
    lines = [json.dumps(r) for r in good + bad] + ["{broken", json.dumps(good[0])]  # last: re-delivered r1
    (folder / "billing.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "extra.csv").write_text("event_id,occurred_at,customer_id,amount_minor,currency\n"
                                      "r4,2026-08-02T00:00:00Z,c3,999,GBP\n")
    warehouse = tmp_path / "wh" / "w.duckdb"
    for _ in range(2):  # a rerun changes nothing
        load_all(tmp_path, warehouse, only=["revenue_events"], say=lambda m: None)
    con = duckdb.connect(str(warehouse), read_only=True)
    events = dict(con.execute("select event_id, amount_minor from raw_revenue.revenue_events").fetchall())
    assert events == {"r1": 1234, "r2": 1000, "r3": 250, "r4": 999}
    reasons = dict(con.execute("select source_row, reason from raw_revenue.revenue_quarantine").fetchall())
    assert reasons == {4: "amount has more decimals than USD allows", 5: "missing currency",
                       6: "unknown kind 'gift'", 7: "not a JSON object"}

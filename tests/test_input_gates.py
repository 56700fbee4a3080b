"""Input that would give plausible but wrong margins fails the build by name or is quarantined, and every mart
still builds."""

import json
from datetime import datetime, timedelta, timezone

import duckdb

from conftest import run_cli


def test_an_unknown_model_fails_by_name_and_a_call_from_the_future_is_quarantined(tmp_path):
    now = datetime.now(timezone.utc)
    base = {"customer_id": "acme", "feature": "chat", "provider": "openai", "input_tokens": 1000, "output_tokens": 10}
    events = [dict(base, event_id="ok", occurred_at=now.isoformat(), model="gpt-4o"),
              dict(base, event_id="unknown", occurred_at=now.isoformat(), model="acme-llm-9"),
              # a Unix-milliseconds timestamp read as seconds lands tens of thousands of years ahead;
              # a mistyped year is enough here
              dict(base, event_id="future", occurred_at=(now + timedelta(days=400)).isoformat(), model="gpt-4o")]
    usage = tmp_path / "data" / "usage"
    usage.mkdir(parents=True)
    (usage / "calls.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    warehouse = tmp_path / "wh.duckdb"
    proc = run_cli("run", "--data-dir", str(tmp_path / "data"), "--warehouse", str(warehouse), "--quiet",
                   "--only", "model_prices", "--only", "usage_events", check=False)
    assert proc.returncode == 1
    assert "assert_every_called_model_is_priced" in proc.stderr
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from marts.fct_margin_waterfall").fetchone()[0] > 0
    # the call from the future never reaches the marts: the loader's bounds quarantine it
    # (tests/sql/assert_no_usage_from_the_future.sql stays as a gate on what is already loaded)
    assert con.execute("select event_id, reason from (select raw_text::json ->> 'event_id' as event_id, reason "
                       "from raw_usage.usage_quarantine)").fetchall() == [("future", "occurred_at in the future")]
    con.close()

"""The usage-events dlt pipeline on real-shaped files: formats, aliases, duplicates, bad records,
privacy, schema drift and idempotent reruns. Exact counts everywhere."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ai_margin.load import load_all

SECRET = "SECRET-PROMPT-TEXT-do-not-store"


def event(i: int, **over) -> dict:
    base = {"event_id": f"e{i}", "occurred_at": "2026-07-01T10:00:00+02:00", "customer_id": "c1",
            "feature": "summarize", "provider": "openai", "model": "gpt-4o-mini", "input_tokens": 1000,
            "output_tokens": 200, "cache_read_input_tokens": 100}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def write_fixture(root: Path) -> None:
    usage = root / "usage"
    (usage / "nested" / "deeper").mkdir(parents=True)
    lines = [
        json.dumps(event(1, attributes={"plan": "pro"})),                        # valid
        json.dumps({"event_id": "e2", "occurred_at": 1782900000, "customer_id": "c2", "feature": "chat",
                    "gen_ai.provider.name": "anthropic", "gen_ai.response.model": "claude-haiku-4-5",
                    "gen_ai.usage.input_tokens": 500, "gen_ai.usage.output_tokens": 50,
                    "gen_ai.usage.cache_read.input_tokens": 100,
                    "gen_ai.usage.cache_creation.input_tokens": 200,
                    "gen_ai.usage.reasoning.output_tokens": 10}),                # valid, OpenTelemetry names
        json.dumps(event(1)),                                                    # duplicate id in the same file
        "{not json at all",                                                      # malformed
        json.dumps(event(3, output_tokens=-5)),                                  # negative tokens
        json.dumps(event(4, customer_id=None)),                                  # missing required field
        json.dumps(event(5, prompt=SECRET, messages=[{"role": "user", "content": SECRET}])),  # content: dropped
        json.dumps(event(6, input_tokens=50, cache_read_input_tokens=80)),       # invariant broken
        json.dumps(event(7, occurred_at="yesterday-ish")),                       # unparseable timestamp
        json.dumps(event(8, team_region="emea", attributes={"team": "core"})),   # schema drift
        '{"event_id": "e9", "prompt": "' + SECRET + '", broken',                 # malformed, names content
        "",                                                                      # blank line: ignored
    ]
    (usage / "a.jsonl").write_text("\n".join(lines) + "\n")
    with gzip.open(usage / "nested" / "b.jsonl.gz", "wt") as fh:
        fh.write(json.dumps(event(10)) + "\n" + json.dumps(event(11)) + "\n" + json.dumps(event(1)) + "\n")
    with open(usage / "nested" / "deeper" / "c.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["event_id", "occurred_at", "customer_id", "feature", "provider", "model", "input_tokens",
                    "output_tokens", "is_retry"])
        w.writerow(["e20", "2026-07-02T00:00:00Z", "c1", "summarize", "openai", "gpt-4o", "10", "5", "true"])
        w.writerow(["e21", "2026-07-02T00:00:01Z", "c1", "summarize", "openai", "gpt-4o", "-1", "5", "false"])
        w.writerow(["e22", "2026-07-02T00:00:02Z", "c1", "summarize", "openai", "gpt-4o", "12", "x5", "false"])
    pq.write_table(pa.table({
        "event_id": ["e30", "e31", "e10"],  # e10 repeats an id from b.jsonl.gz
        "occurred_at": pa.array([1782950400_000_000, 1782950401_000_000, 1782950402_000_000],
                                pa.timestamp("us", tz="UTC")),
        "customer_id": ["c3", "c3", "c3"], "feature": ["search"] * 3, "provider": ["openai"] * 3,
        "model": ["text-embedding-3-small"] * 3, "operation": ["embeddings"] * 3,
        "input_tokens": pa.array([40, 50, 60], pa.int64()),
        "completion": [SECRET, None, None],  # content column: dropped
    }), usage / "d.parquet")


# valid: e1, e2, e5, e8 (a) + e10, e11 (b) + e20 (c) + e30, e31 (d) = 9 distinct event ids
# quarantined: a: malformed, negative, missing customer, invariant, timestamp, malformed-with-content = 6
#              c: negative, non-integer = 2
EXPECTED_EVENTS = 9
EXPECTED_QUARANTINE = 8


@pytest.fixture
def loaded(tmp_path):
    write_fixture(tmp_path)
    warehouse = tmp_path / "wh" / "w.duckdb"
    result = load_all(tmp_path, warehouse, only=["usage_events"], say=lambda m: None)
    return tmp_path, warehouse, result.usage_report


def q(warehouse: Path, sql: str):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_exact_counts_in_events_and_quarantine(loaded):
    _, warehouse, report = loaded
    assert q(warehouse, "select count(*), count(distinct event_id) from raw_usage.usage_events")[0] == \
        (EXPECTED_EVENTS, EXPECTED_EVENTS)
    assert sorted(r[0] for r in q(warehouse, "select event_id from raw_usage.usage_events")) == \
        ["e1", "e10", "e11", "e2", "e20", "e30", "e31", "e5", "e8"]
    assert q(warehouse, "select count(*) from raw_usage.usage_quarantine")[0][0] == EXPECTED_QUARANTINE
    assert report.total("rows_quarantined") == EXPECTED_QUARANTINE
    assert report.total("duplicates_in_file") == 1  # e1 twice inside a.jsonl
    assert report.total("duplicates_across_files") == 2  # e1 again in b.jsonl.gz, e10 again in d.parquet
    # e5 (prompt, messages) and the d.parquet row (completion); the malformed e9 line is withheld in quarantine
    assert report.total("content_fields_dropped") == 2


def test_quarantine_rows_carry_file_row_and_reason(loaded):
    _, warehouse, _ = loaded
    rows = dict(((f, r), reason) for f, r, reason in q(
        warehouse, "select source_file, source_row, reason from raw_usage.usage_quarantine"))
    assert rows[("a.jsonl", 4)] == "not a JSON object"
    assert rows[("a.jsonl", 5)].startswith("negative output_tokens")
    assert rows[("a.jsonl", 6)] == "missing customer_id"
    assert rows[("a.jsonl", 8)] == "cache tokens exceed input_tokens"
    assert rows[("a.jsonl", 9)] == "occurred_at is not a timestamp"
    assert rows[("a.jsonl", 11)] == "not a JSON object"
    assert rows[("nested/deeper/c.csv", 3)].startswith("negative input_tokens")
    assert rows[("nested/deeper/c.csv", 4)] == "output_tokens is not an integer"


def test_aliases_timestamps_and_types(loaded):
    _, warehouse, _ = loaded
    row = q(warehouse, """select provider, model, input_tokens, output_tokens, cache_read_input_tokens,
                                 cache_creation_input_tokens, reasoning_output_tokens, occurred_at
                          from raw_usage.usage_events where event_id = 'e2'""")[0]
    assert row[:7] == ("anthropic", "claude-haiku-4-5", 500, 50, 100, 200, 10)
    assert row[7].isoformat().startswith("2026-07-01T10:00:00")  # unix seconds 1782900000, UTC
    e1 = q(warehouse, "select occurred_at, operation, status, environment from raw_usage.usage_events where event_id='e1'")[0]
    assert e1[0].isoformat().startswith("2026-07-01T08:00:00")  # +02:00 stored as UTC
    assert e1[1:] == ("chat", "ok", "production")  # contract defaults
    assert q(warehouse, "select is_retry from raw_usage.usage_events where event_id='e20'")[0][0] is True


def test_content_never_reaches_the_warehouse(loaded):
    _, warehouse, _ = loaded
    columns = {r[0] for r in q(warehouse, """select column_name from information_schema.columns
                                              where table_schema = 'raw_usage'""")}
    assert not columns & {"prompt", "messages", "completion", "content", "input", "output"}
    raw = q(warehouse, "select string_agg(raw_text, '|') from raw_usage.usage_quarantine")[0][0]
    assert SECRET not in raw
    assert "[withheld: malformed line names a content field]" in raw
    con = duckdb.connect(str(warehouse))
    con.execute("checkpoint")
    con.close()
    assert SECRET.encode() not in warehouse.read_bytes()


def test_unknown_fields_land_in_extra_fields_not_columns(loaded):
    _, warehouse, _ = loaded
    extra, attributes = q(warehouse, "select extra_fields, attributes from raw_usage.usage_events where event_id='e8'")[0]
    assert json.loads(extra) == {"team_region": "emea"}
    assert json.loads(attributes) == {"team": "core"}
    columns = {r[0] for r in q(warehouse, "select column_name from information_schema.columns where table_name='usage_events'")}
    assert "team_region" not in columns


def test_rerun_changes_nothing(loaded):
    root, warehouse, _ = loaded
    before = q(warehouse, "select count(*), sum(input_tokens) from raw_usage.usage_events")
    quarantined = q(warehouse, "select count(*) from raw_usage.usage_quarantine")
    report = load_all(root, warehouse, only=["usage_events"], say=lambda m: None).usage_report
    assert report.files_skipped == 4 and report.files == []
    assert q(warehouse, "select count(*), sum(input_tokens) from raw_usage.usage_events") == before
    assert q(warehouse, "select count(*) from raw_usage.usage_quarantine") == quarantined


def test_changed_file_reloads_without_double_counting(loaded):
    root, warehouse, _ = loaded
    path = root / "usage" / "nested" / "deeper" / "c.csv"
    text = path.read_text().replace(",-1,5,", ",7,5,")  # the provider fixed the negative count
    path.write_text(text)
    report = load_all(root, warehouse, only=["usage_events"], say=lambda m: None).usage_report
    assert [f.path for f in report.files] == ["nested/deeper/c.csv"]
    assert q(warehouse, "select count(*) from raw_usage.usage_events")[0][0] == EXPECTED_EVENTS + 1
    assert q(warehouse, "select input_tokens from raw_usage.usage_events where event_id='e21'")[0][0] == 7
    # the file's quarantine now holds only its remaining bad row
    assert q(warehouse, """select count(*) from raw_usage.usage_quarantine
                           where source_file = 'nested/deeper/c.csv'""")[0][0] == 1


def test_redelivered_ids_across_runs_count_once(loaded):
    root, warehouse, _ = loaded
    (root / "usage" / "late.jsonl").write_text(json.dumps(event(1, input_tokens=1000)) + "\n" +
                                               json.dumps(event(40)) + "\n")
    load_all(root, warehouse, only=["usage_events"], say=lambda m: None)
    assert q(warehouse, "select count(*) from raw_usage.usage_events where event_id = 'e1'")[0][0] == 1
    assert q(warehouse, "select count(*) from raw_usage.usage_events")[0][0] == EXPECTED_EVENTS + 1


def test_a_fresh_working_folder_resumes_from_the_warehouse(loaded):
    # another machine, CI, or a copied warehouse: dlt's local folder is gone, its state is in the warehouse
    import shutil

    from ai_margin.paths import dlt_dir

    root, warehouse, _ = loaded
    shutil.rmtree(dlt_dir(warehouse))
    (root / "usage" / "late.jsonl").write_text(json.dumps(event(1, input_tokens=1000)) + "\n")
    report = load_all(root, warehouse, only=["usage_events"], say=lambda m: None).usage_report
    assert report.files_skipped == 4 and [f.path for f in report.files] == ["late.jsonl"]
    assert q(warehouse, "select count(*) from raw_usage.usage_events where event_id = 'e1'")[0][0] == 1
    assert q(warehouse, "select count(*) from raw_usage.usage_events")[0][0] == EXPECTED_EVENTS


def test_a_malformed_csv_line_in_a_file_with_a_prompt_column_is_withheld(tmp_path):
    usage = tmp_path / "usage"
    usage.mkdir()
    header = "event_id,occurred_at,customer_id,feature,provider,model,input_tokens,prompt\n"
    good = f'e1,2026-07-02T00:00:00Z,c1,chat,openai,gpt-4o,10,"{SECRET}"\n'
    ragged = f'e2,2026-07-02T00:00:01Z,c1,chat,openai,gpt-4o,10,"{SECRET}",one too many\n'
    (usage / "with_prompts.csv").write_text(header + good + ragged)
    warehouse = tmp_path / "wh" / "w.duckdb"
    load_all(tmp_path, warehouse, only=["usage_events"], say=lambda m: None)
    rows = q(warehouse, "select raw_text, reason from raw_usage.usage_quarantine")
    assert len(rows) == 1 and rows[0][0] == "[withheld: malformed line of a file with content columns]"
    assert rows[0][1].startswith("malformed CSV line")
    assert q(warehouse, "select count(*) from raw_usage.usage_events")[0][0] == 1

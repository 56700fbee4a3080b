"""A fuzz corpus: every class of bad input a messy export produces, all at once beside a clean data set,
through `ai-margin run`. No crash; every bad record or file quarantined with its reason, or reported by a
named failing data test and a data-quality alert; the good data's totals those of a clean run."""

import gzip
import json
import random
import re
import shutil

import duckdb

from conftest import run_cli

FUZZ_CUSTOMER = "fuzz_customer"  # every fuzz call is this customer's, so the others' totals must not move
PROMPT = "SECRET PROMPT never stored"


def _call(event_id: str, **fields) -> dict:
    return {"event_id": event_id, "occurred_at": "2026-09-15T12:00:00Z", "customer_id": FUZZ_CUSTOMER,
            "feature": "chat_assistant", "provider": "openai", "model": "gpt-4o-mini", "input_tokens": 1200,
            "output_tokens": 80, **fields}


# (event_id, the line; None: the record is loaded) -> expected quarantine reason, or None when it loads
RECORDS = [
    (_call("fz-ok"), None),
    (_call("fz-ok"), None),  # the same call delivered twice: counted once
    (_call("fz-empty-key", **{"": 1}), None),
    (_call("fz-quote-key", **{'we"ird': 1}), None),
    (_call("fz-content", messages=[{"role": "user", "content": PROMPT}]), None),  # content dropped
    (_call("fz-unknown-model", model="acme-llm-9"), None),  # loads; assert_every_called_model_is_priced fails
    (_call("fz-huge-tokens", input_tokens=10**15), "input_tokens above"),
    (_call("fz-year-9999", occurred_at="9999-12-31T00:00:00Z"), "occurred_at in the future"),
    (_call("fz-millis", occurred_at=1_789_000_000_000), "occurred_at in the future"),
    (_call("fz-fraction", output_tokens=12.7), "output_tokens is not an integer"),
    (_call("fz-naive", occurred_at="2026-09-15T12:00:00"), "occurred_at has no UTC offset"),
    (_call("fz-negative", input_tokens=-5), "negative input_tokens"),
    (_call("fz-no-customer", customer_id=""), "missing customer_id"),
    ({k: v for k, v in _call("fz-no-model").items() if k != "model"}, "missing model"),  # a dropped column
    (_call("fz-cache", cache_read_input_tokens=5000), "cache tokens exceed input_tokens"),
]
BROKEN_LINES = [
    ('{"event_id": "fz-cut", "customer_id": "fuzz_customer", "inpu', "not a JSON object"),
    ('{"event_id": "fz-cut-prompt", "messages": [{"content": "' + PROMPT, "not a JSON object"),
    ("[1, 2, 3]", "not a JSON object"),
]


def _write(path, content: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())


def _mutants(count: int, seed: int = 24) -> dict[str, bytes]:
    """Good JSON lines with random damage: a cut, a byte flipped or dropped, a line repeated."""
    rng = random.Random(seed)
    mutants = {}
    for m in range(count):
        lines = [json.dumps(_call(f"fz-mutant-{m}-{i}", input_tokens=rng.randint(1, 5000))) for i in range(20)]
        text = bytearray("\n".join(lines).encode() + b"\n")
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text))
            kind = rng.choice(["cut", "flip", "drop", "repeat"])
            if kind == "cut":
                text = text[:at]
            elif kind == "flip":
                text[at] = rng.randrange(256)
            elif kind == "drop":
                del text[at]
            else:
                text += text[:at]
        mutants[f"usage/fuzz/mutant-{m:02d}.jsonl"] = bytes(text)
    return mutants


def _totals(warehouse) -> dict:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            "revenue": con.execute("select sum(revenue_usd) from marts.fct_margin_waterfall").fetchone()[0],
            "usage cost by customer": dict(con.execute(
                "select customer_id, sum(estimated_usage_cost_usd) from marts.fct_margin_waterfall "
                f"where customer_id <> '{FUZZ_CUSTOMER}' group by 1 having sum(estimated_usage_cost_usd) <> 0")
                .fetchall()),
            "stripe rows": con.execute("select count(*) from raw_stripe.invoice_line_items").fetchone()[0],
            "revenue events": con.execute("select count(*) from raw_revenue.revenue_events "
                                          f"where customer_id <> '{FUZZ_CUSTOMER}'").fetchone()[0],
        }
    finally:
        con.close()


def test_the_fuzz_corpus_is_quarantined_or_named_and_the_good_data_is_untouched(small_dataset, built_warehouse,
                                                                                tmp_path):
    data = tmp_path / "data"
    shutil.copytree(small_dataset, data)
    files: dict[str, bytes | str] = {
        "usage/fuzz/records.jsonl": "\n".join([json.dumps(r) for r, _ in RECORDS] + [line for line, _ in BROKEN_LINES]
                                              + [""]) + "\n",
        "usage/fuzz/ragged.csv": ("event_id,occurred_at,customer_id,feature,provider,model,input_tokens,output_tokens\n"
                                  f"fz-csv-ok,2026-09-15T12:00:00Z,{FUZZ_CUSTOMER},chat_assistant,openai,gpt-4o-mini,10,2\n"
                                  f"fz-csv-long,2026-09-15T12:00:00Z,{FUZZ_CUSTOMER},chat_assistant,openai,gpt-4o-mini,10,2,{PROMPT}\n"
                                  f"fz-csv-short,2026-09-15T12:00:00Z,{FUZZ_CUSTOMER}\n"),
        "usage/fuzz/latin1.csv": ("event_id,occurred_at,customer_id,feature,provider,model,input_tokens,output_tokens\n"
                                  f"fz-café,2026-09-15T12:00:00Z,{FUZZ_CUSTOMER},chat_assistant,openai,gpt-4o-mini,10,2\n"
                                  ).encode("latin-1"),
        "usage/fuzz/huge-field.jsonl": json.dumps(_call("fz-huge-field", note="x" * 20_000_000)) + "\n",
        # a CSV cell past DuckDB's longest line: the file is quarantined, and the reason quotes no content
        "usage/fuzz/huge-cell.csv": "event_id,occurred_at,customer_id,feature,provider,model,note\n"
                                    f"fz-huge-cell,2026-09-15T12:00:00Z,{FUZZ_CUSTOMER},chat,openai,gpt-4o-mini,"
                                    f"{PROMPT}{'x' * 3_000_000}\n",
        "usage/fuzz/empty.parquet": b"",
        "usage/fuzz/cut.jsonl.gz": gzip.compress(json.dumps(_call("fz-gz")).encode() * 40)[:60],
        "stripe/invoices/empty-page.json": b"",
        "stripe/invoices/no-id.json": json.dumps({"object": "list", "data": [{"object": "invoice", "customer": "cus_x"}]}),
        "providers/openai/abc.json": json.dumps({"object": "page", "has_more": False, "data": [{
            "object": "bucket", "start_time": 1789430400, "end_time": 1789516800, "results": [{
                "object": "organization.costs.result", "amount": {"value": "abc", "currency": "usd"}}]}]}),
        "providers/openai/nan.json": '{"object": "page", "data": [{"object": "bucket", "start_time": 1789430400, '
                                     '"end_time": 1789516800, "results": [{"object": "organization.costs.result", '
                                     '"amount": {"value": NaN, "currency": "usd"}}]}]}',
        "providers/focus/copy of bedrock_focus_1.2.csv": (small_dataset / "providers" / "focus" / "bedrock_focus_1.2.csv").read_bytes(),
        "providers/focus/ragged.csv": "BilledCost,ChargePeriodStart\n1,2026-09-01,extra\n",
        "providers/focus/abc-amount.csv": "BilledCost,ChargePeriodStart,ChargePeriodEnd,BillingCurrency\n"
                                          "abc,2026-09-01,2026-09-02,USD\n",
        "providers/focus/xyz-currency.csv": "BilledCost,ChargePeriodStart,ChargePeriodEnd,BillingCurrency,ServiceName\n"
                                            "1.00,2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,XYZ,Amazon Bedrock\n",
        "providers/focus/no-cost-column.csv": "ChargePeriodStart,ChargePeriodEnd,BillingCurrency,ServiceName\n"
                                              "2026-09-01,2026-09-02,USD,Amazon Bedrock\n",  # a dropped column
        "revenue/fuzz.jsonl": "\n".join([
            json.dumps({"event_id": "fz-rev-naive", "occurred_at": "2026-09-15T12:00:00", "customer_id": FUZZ_CUSTOMER,
                        "amount": "1.00", "currency": "USD"}),
            json.dumps({"event_id": "fz-rev-abc", "occurred_at": "2026-09-15T12:00:00Z", "customer_id": FUZZ_CUSTOMER,
                        "amount": "abc", "currency": "USD"}),
            json.dumps({"event_id": "fz-rev-xyz", "occurred_at": "2026-09-15T12:00:00Z", "customer_id": FUZZ_CUSTOMER,
                        "amount": "1.00", "currency": "XYZ"}),
            "{not json",
        ]) + "\n",
        "overhead/duplicate.csv": "period_start,period_end,cost_pool,amount,currency\n"
                                  "2026-09-01,2026-09-30,infrastructure,369.00,USD\n",
        "overhead/chf.csv": "\ufeffperiod_start,period_end,cost_pool,amount,currency\n"  # a BOM, read fine
                            "2026-09-01,2026-09-30,legal,50.00,CHF\n",
        **_mutants(12),
    }
    for name, content in files.items():
        _write(data / name, content)

    warehouse = tmp_path / "wh.duckdb"
    run = run_cli("run", "--data-dir", str(data), "--warehouse", str(warehouse), "--no-publish", check=False)
    output = run.stdout + run.stderr
    assert "Traceback" not in output and run.returncode == 1, output
    # the failures are named, and they are exactly the input gates the corpus trips
    failed = set(re.findall(r"Failure in test (\w+)", run.stdout)) - {"margin_floor_red_3d"}  # as in a clean run
    assert failed == {
        "assert_every_input_file_is_readable", "assert_every_called_model_is_priced",
        "assert_no_bill_export_loaded_twice", "assert_one_cost_pool_row_per_period",
        "assert_every_cost_pool_converts_to_usd",
        # revenue in a currency without a rate (XYZ) is loaded, and named
        "not_null_int_revenue_recognized_daily_fx_rate", "not_null_int_revenue_recognized_daily_revenue_usd",
        # and so is a bill in one
        "not_null_int_provider_costs_daily_effective_cost_usd",
    }, failed

    con = duckdb.connect(str(warehouse), read_only=True)
    loaded = {r[0] for r in con.execute("select event_id from raw_usage.usage_events "
                                        "where starts_with(event_id, 'fz-') and not starts_with(event_id, 'fz-mutant')").fetchall()}
    assert loaded == {r["event_id"] for r, reason in RECORDS if reason is None} | {"fz-csv-ok", "fz-huge-field"}, loaded
    quarantined = con.execute("select source_file, source_row, raw_text, reason from raw_usage.usage_quarantine "
                              "where source_file = 'fuzz/records.jsonl' order by source_row").fetchall()
    expected = [(i + 1, reason) for i, (_, reason) in enumerate(RECORDS + BROKEN_LINES) if reason]
    assert len(quarantined) == len(expected), quarantined
    for (_, row, _, reason), (expected_row, expected_reason) in zip(quarantined, expected):
        assert row == expected_row and expected_reason in reason, (row, reason, expected_reason)
    csv_reasons = dict(con.execute("select source_row, reason from raw_usage.usage_quarantine "
                                   "where source_file = 'fuzz/ragged.csv'").fetchall())
    assert set(csv_reasons) == {3, 4}, csv_reasons
    # every quarantined record says where it came from, and no prompt reached the warehouse anywhere
    assert con.execute("select count(*) from raw_usage.usage_quarantine "
                       "where source_file is null or source_row is null or reason is null").fetchone()[0] == 0
    text_columns = con.execute("select schema_name, table_name, column_name from duckdb_columns() "
                               "where data_type = 'VARCHAR' and not internal").fetchall()
    assert text_columns and not [c for c in text_columns if con.execute(
        f'select count(*) from "{c[0]}"."{c[1]}" where contains("{c[2]}", ?)', [PROMPT]).fetchone()[0]]
    con.close()

    con = duckdb.connect(str(warehouse), read_only=True)
    # every usage file is accounted for, line by line, or quarantined whole with its reason
    for name, read, accounted, error in con.execute(
            "select source_file, rows_read, rows_loaded + rows_quarantined + duplicates_in_file "
            "+ duplicates_across_files + records_not_usage, file_error from raw_usage.usage_files "
            "where starts_with(source_file, 'fuzz/')").fetchall():
        assert error or read == accounted, (name, read, accounted)
    unreadable = {r[0] for r in con.execute("select source || '/' || source_file from staging.stg_input_files__unreadable")
                  .fetchall()}
    for file in unreadable:  # the load said which file, and why
        assert f"file quarantined: {file}: " in run.stdout, file
    assert {"usage_events/fuzz/empty.parquet", "usage_events/fuzz/cut.jsonl.gz", "usage_events/fuzz/huge-cell.csv", "stripe/invoices/empty-page.json",
            "stripe/invoices/no-id.json",
            "provider_costs/openai/abc.json", "provider_costs/openai/nan.json",
            "provider_costs/focus/ragged.csv", "provider_costs/focus/no-cost-column.csv",
            "provider_costs/focus/abc-amount.csv"} <= unreadable, unreadable
    revenue = dict(con.execute("select source_row, reason from raw_revenue.revenue_quarantine "
                               "where source_file = 'fuzz.jsonl'").fetchall())
    assert set(revenue) == {1, 2, 4} and all(revenue.values()), revenue  # the naive time, "abc", the broken line
    # data quality reaches the alerts too
    alerts = {(t, e) for t, e in con.execute("select alert_type, entity_id from marts.fct_margin_alerts "
                                             "where alert_type in ('input_file_unreadable', 'model_unpriced')").fetchall()}
    assert ("model_unpriced", "openai/acme-llm-9") in alerts
    assert {e for t, e in alerts if t == "input_file_unreadable"} == unreadable
    con.close()

    # the good data: the same revenue, usage cost per customer and rows as a clean run
    assert _totals(warehouse) == _totals(built_warehouse)

import hashlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from ai_margin.generate import SCENARIOS, Options, catalog_price, generate


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path):
    a = generate(Options(out_dir=tmp_path / "a", seed=3, customers=15, days=20, events=3000))
    b = generate(Options(out_dir=tmp_path / "b", seed=3, customers=15, days=20, events=3000))
    assert a == b
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    c = generate(Options(out_dir=tmp_path / "c", seed=4, customers=15, days=20, events=3000))
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    assert c["events"] != a["events"] or _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_writes_whole_input_layout(small_dataset):
    for sub in ["usage", "stripe/customers", "stripe/invoices", "stripe/subscriptions", "stripe/products",
                "stripe/prices", "providers/openai", "providers/anthropic", "providers/focus", "overhead"]:
        assert (small_dataset / sub).is_dir(), sub
    page = json.loads(next((small_dataset / "stripe" / "invoices").glob("*.json")).read_text())
    assert page["object"] == "list" and page["data"][0]["object"] == "invoice"
    assert page["data"][0]["lines"]["data"][0]["object"] == "line_item"
    costs = json.loads(next((small_dataset / "providers" / "openai").glob("*.json")).read_text())
    assert costs["object"] == "page" and costs["data"][0]["object"] == "bucket"
    report = json.loads(next((small_dataset / "providers" / "anthropic").glob("*.json")).read_text())
    amount = report["data"][0]["results"][0]["amount"]
    assert isinstance(amount, str) and Decimal(amount) > 0  # decimal string, cents


def _usage(data_dir: Path):
    con = duckdb.connect()
    con.execute(f"create view u as select * from read_parquet('{data_dir}/usage/**/*.parquet')")
    return con


def test_usage_shapes_are_realistic(small_dataset):
    con = _usage(small_dataset)
    plans = dict(con.execute("select attributes['plan'], count(distinct customer_id) from u group by 1").fetchall())
    assert set(plans) == {"free", "pro", "enterprise"}
    features = con.execute("select count(distinct feature), count(distinct model) from u").fetchone()
    assert features[0] >= 5 and features[1] >= 5
    # heavy tail: the top tenth of customers make a large share of calls
    share = con.execute("""
        with c as (select customer_id, count(*) n from u group by 1),
             r as (select n, ntile(10) over (order by n desc) t from c)
        select sum(n) filter (where t = 1) / sum(n) from r
    """).fetchone()[0]
    assert share > 0.3
    bad = con.execute("""select count(*) from u where cache_read_input_tokens + cache_creation_input_tokens > input_tokens
                         or reasoning_output_tokens > output_tokens
                         or cache_creation_1h_input_tokens > cache_creation_input_tokens""").fetchone()[0]
    assert bad == 0


def test_scenarios_show_up_on_their_day(small_dataset):
    manifest = json.loads((small_dataset / "manifest.json").read_text())
    assert set(manifest["scenarios"]) == set(SCENARIOS)
    con = _usage(small_dataset)
    day = date.fromisoformat(manifest["scenarios"]["model_upgrade"])
    models = con.execute("""select cast(occurred_at as date) >= ?, list(distinct model) from u
                            where feature = 'summarize' group by 1""", [day]).fetchall()
    by_period = {after: set(m) for after, m in models}
    assert by_period[False] == {"gpt-4o-mini"} and by_period[True] == {"gpt-4.1-mini"}

    day = date.fromisoformat(manifest["scenarios"]["prompt_change"])
    before, after = con.execute("""select avg(input_tokens) filter (where cast(occurred_at as date) < ?),
                                          avg(input_tokens) filter (where cast(occurred_at as date) >= ?)
                                   from u where feature = 'chat_assistant' and customer_id <> 'cust_newbig'""",
                                [day, day]).fetchone()
    assert 1.25 < after / before < 1.6
    assert con.execute("select count(*) from u where prompt_version = 'v2' and cast(occurred_at as date) < ?",
                       [day]).fetchone()[0] == 0

    day = date.fromisoformat(manifest["scenarios"]["agent_loop"])
    who = manifest["agent_loop_customer"]
    base, spike = con.execute("""select count(*) filter (where cast(occurred_at as date) between ? - 7 and ? - 1) / 7,
                                        count(*) filter (where cast(occurred_at as date) = ?)
                                 from u where customer_id = ?""", [day, day, day, who]).fetchone()
    assert spike > 20 * base

    day = date.fromisoformat(manifest["scenarios"]["unprofitable_customer"])
    first = con.execute("select min(cast(occurred_at as date)) from u where customer_id = 'cust_newbig'").fetchone()[0]
    assert first == day


def test_provider_bill_agrees_with_usage(small_dataset):
    """OpenAI's bill is the usage at list price plus the small share the app never logged."""
    con = _usage(small_dataset)
    rows = con.execute("""
        select model, sum(input_tokens - cache_read_input_tokens - cache_creation_input_tokens),
               sum(cache_read_input_tokens), sum(output_tokens)
        from u where provider = 'openai' and not app_cache_hit and service_tier = 'standard' group by 1
    """).fetchall()
    expected = Decimal(0)
    for model, uncached, cached, output in rows:
        p = catalog_price("openai", model)
        expected += (uncached * p["input_mtok"] + cached * p["cache_read_mtok"] + output * p["output_mtok"]) / 10**6
    billed = Decimal(0)
    for page in (small_dataset / "providers" / "openai").glob("*.json"):
        for bucket in json.loads(page.read_text(), parse_float=Decimal)["data"]:
            billed += sum(r["amount"]["value"] for r in bucket["results"])
    assert abs(billed / expected - Decimal("1.02")) < Decimal("0.001")


def test_parquet_timestamps_are_utc(small_dataset):
    f = next((small_dataset / "usage").rglob("*.parquet"))
    assert str(pq.read_schema(f).field("occurred_at").type) == "timestamp[us, tz=UTC]"


def test_large_datasets_are_made_a_chunk_of_days_at_a_time(tmp_path, monkeypatch):
    # chunks of at most ~1,500 events: every event once, ids 1..n across chunks, files numbered on within a
    # month, and what is built from the whole usage (bills, add-on revenue) covers every chunk
    from ai_margin import generate as gen

    whole = generate(Options(out_dir=tmp_path / "whole", seed=5, customers=20, days=40, events=6000,
                             scenarios=tuple(SCENARIOS)))
    monkeypatch.setattr(gen, "MAX_EVENTS_PER_CHUNK", 1500)
    chunks = gen._day_chunks(__import__("numpy").array([600, 700, 900, 2000, 100]), 1500)
    assert chunks == [(0, 2), (2, 3), (3, 4), (4, 5)]
    out = tmp_path / "chunked"
    chunked = generate(Options(out_dir=out, seed=5, customers=20, days=40, events=6000, scenarios=tuple(SCENARIOS)))
    assert chunked["events"] == len(list(pq.ParquetDataset(out / "usage").read(columns=["event_id"])["event_id"]))
    con = duckdb.connect()
    n, lo, hi, distinct = con.execute(f"""
        select count(*), min(cast(substr(event_id, 5) as bigint)), max(cast(substr(event_id, 5) as bigint)),
               count(distinct event_id)
        from read_parquet('{out}/usage/*/*.parquet')""").fetchone()
    assert (n, lo, hi, distinct) == (chunked["events"], 1, chunked["events"], chunked["events"])
    assert len(list((out / "usage").rglob("*.parquet"))) > len(list((tmp_path / "whole" / "usage").rglob("*.parquet")))
    # the same days and scenarios; add-on revenue for every month with add-on calls
    assert chunked["start_date"] == whole["start_date"] and chunked["scenarios"] == whole["scenarios"]
    assert chunked["agent_loop_customer"] is not None
    months = con.execute(f"""
        select count(distinct date_trunc('month', cast(occurred_at as date)))
        from read_parquet('{out}/usage/*/*.parquet') where feature = 'doc_extract'
            and map_extract_value(attributes, 'plan') = 'enterprise' and environment = 'production'""").fetchone()[0]
    charges = [json.loads(line) for line in (out / "revenue" / "marketplace.jsonl").read_text().splitlines()]
    assert months > 1 and len({(c["customer_id"], c["service_period_start"]) for c in charges
                                if c["kind"] == "charge"}) >= months

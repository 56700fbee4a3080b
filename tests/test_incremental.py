"""Incremental builds: after new usage (a new day, late events for an old day, a re-delivered event) and
then a price correction, plain `ai-margin build`s (int_usage_events_priced incremental, dbt's
delete+insert) give the same marts, row for row, as `ai-margin build --full-refresh` of the same data."""

import shutil

import duckdb

from ai_margin.bench import _add_day
from conftest import assert_staging_reads_every_raw_table, run_cli

LATE_EVENTS = 50


def _tables(con, schema: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = ? order by 1", [schema]).fetchall()]


def _differences(a: str, b: str, tables: list[str]) -> dict[str, tuple[int, int]]:
    """Rows of each table in warehouse `a` missing from `b` and the reverse (EXCEPT ALL both ways)."""
    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")
    out = {}
    for t in tables:
        # when a row was priced differs by design
        rows = "select columns(lambda c: c not in ('priced_at', 'priced_through')) from {}.{}"
        only_a = con.execute(f"select count(*) from ({rows.format('a', t)} except all {rows.format('b', t)})").fetchone()[0]
        only_b = con.execute(f"select count(*) from ({rows.format('b', t)} except all {rows.format('a', t)})").fetchone()[0]
        if only_a or only_b:
            out[t] = (only_a, only_b)
    con.close()
    return out


def _rows_priced(warehouse) -> int:
    """The rows of int_usage_events_priced the last build priced (its priced_at)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select count(*) from intermediate.int_usage_events_priced "
                           "where priced_at = (select max(priced_at) from intermediate.int_usage_events_priced)"
                           ).fetchone()[0]
    finally:
        con.close()


def test_incremental_build_equals_full_refresh(built_warehouse, small_dataset, tmp_path):
    # the session's loaded and built warehouse, copied with its data: loads skip the files already in it
    data_dir, incremental, full = tmp_path / "data", tmp_path / "inc" / built_warehouse.name, tmp_path / "full.duckdb"
    shutil.copytree(small_dataset, data_dir)
    # with dlt's working folder (from a fresh one, the loader's first run appends instead of upserting)
    shutil.copytree(built_warehouse.parent / ".dlt", incremental.parent / ".dlt")
    shutil.copy2(built_warehouse, incremental)
    before = tmp_path / "before.duckdb"
    shutil.copy2(incremental, before)

    # new usage: one more day, plus late events for the day 30 days before it
    new_day, added = _add_day(data_dir, late_events=LATE_EVENTS)
    # and an event of the first day delivered again, now ten days later (the loader upserts on event_id)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"""
        copy (select * replace (occurred_at + interval 10 day as occurred_at)
              from read_parquet('{data_dir}/usage/20*/*.parquet') order by occurred_at, event_id limit 1)
        to '{data_dir}/usage/incremental/redelivered.parquet' (format parquet)
    """)
    moved_id = con.execute(
        f"select event_id from read_parquet('{data_dir}/usage/incremental/redelivered.parquet')").fetchone()[0]
    con.close()
    run_cli("load", "--data-dir", str(data_dir), "--warehouse", str(incremental), "--only", "usage_events")
    # a plain build prices the new files' events and nothing else: no day is re-priced whole
    assert "--full-refresh" not in run_cli("build", "--warehouse", str(incremental), "--quiet").stdout
    assert _rows_priced(incremental) == added + 1

    # then a price correction: the catalog now says gpt-4o-mini input costs double
    con = duckdb.connect(str(incremental))
    assert con.execute("""update raw_model_prices.model_prices set input_mtok = input_mtok * 2
                          where provider_id = 'openai' and model_id = 'gpt-4o-mini'""").fetchone()[0] > 0
    con.close()
    run_cli("build", "--warehouse", str(incremental), "--quiet")
    assert_staging_reads_every_raw_table(incremental)
    con = duckdb.connect(str(incremental), read_only=True)
    # every event of the days with gpt-4o-mini calls was priced again, and only those
    assert _rows_priced(incremental) == con.execute("""
        select count(*) from intermediate.int_usage_events_priced
        where usage_date in (select usage_date from intermediate.int_usage_events_priced
                             where model like 'gpt-4o-mini%')""").fetchone()[0]
    con.close()
    shutil.copy2(incremental, full)
    run_cli("build", "--warehouse", str(full), "--quiet", "--full-refresh")

    con = duckdb.connect(str(full), read_only=True)
    marts = [f"marts.{t}" for t in _tables(con, "marts") if t.startswith(("fct_", "dim_"))]
    con.close()
    assert len(marts) >= 8
    priced = "intermediate.int_usage_events_priced"
    assert _differences(str(incremental), str(full), [*marts, priced, "intermediate.int_inference_cost_daily",
                                                       "intermediate.int_inference_cost_reconciled",
                                                       "intermediate.int_overhead_allocated_daily",
                                                       "intermediate.int_usage_cost_drivers_daily",
                                                       "alerts.alert_conditions",
                                                       "intermediate.int_customers"]) == {}

    # and the increment was not vacuous: the new day, the late events and the re-priced days all changed
    con = duckdb.connect(str(incremental), read_only=True)
    assert con.execute(f"select count(*) from {priced} where usage_date = ?", [new_day]).fetchone()[0] > 0
    assert con.execute(f"select count(*) from {priced} where event_id like '%-late-%'").fetchone()[0] == LATE_EVENTS
    # the re-delivered event moved to its new day and left its old one
    assert con.execute(f"select count(*), min(usage_date) - (select min(usage_date) from {priced}) from {priced} "
                       "where event_id = ?", [moved_id]).fetchone() == (1, 10)
    assert con.execute(f"select count(*) from {priced}").fetchone()[0] == \
        con.execute("select count(*) from raw_usage.usage_events").fetchone()[0]
    con.close()
    assert "marts.fct_model_daily" in _differences(str(before), str(incremental), ["marts.fct_model_daily"])
    con = duckdb.connect()
    con.execute(f"attach '{before}' as before (read_only)")
    con.execute(f"attach '{incremental}' as after (read_only)")
    # an early gpt-4o-mini day was re-priced at the corrected price
    old, new = con.execute(f"""
        select (select sum(estimated_cost_usd) from before.{priced} where model = 'gpt-4o-mini' and usage_date = d),
               (select sum(estimated_cost_usd) from after.{priced} where model = 'gpt-4o-mini' and usage_date = d)
        from (select min(usage_date) as d from before.{priced} where model = 'gpt-4o-mini')
    """).fetchone()
    assert new > old

"""Incremental builds: after new usage (a new day, late events for an old day, a re-delivered event) and
then a price correction, incremental `ai-margin build`s give the same marts, row for row, as
`ai-margin build --full-refresh` of the same data."""

import json
import shutil
from datetime import date

import duckdb

from ai_margin.bench import _add_day
from ai_margin.build import VACUUM_EVERY, build_args, defers_vacuum
from ai_margin.paths import dbt_target_dir
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
        only_a = con.execute(f"select count(*) from (from a.{t} except all from b.{t})").fetchone()[0]
        only_b = con.execute(f"select count(*) from (from b.{t} except all from a.{t})").fetchone()[0]
        if only_a or only_b:
            out[t] = (only_a, only_b)
    con.close()
    return out


def test_incremental_build_equals_full_refresh(built_warehouse, small_dataset, tmp_path):
    # the session's loaded and built warehouse, copied with its data: loads skip the files already in it
    data_dir, incremental, full = tmp_path / "data", tmp_path / "inc" / built_warehouse.name, tmp_path / "full.duckdb"
    shutil.copytree(small_dataset, data_dir)
    # with dlt's working folder (from a fresh one, the loader's first run appends instead of upserting) and
    # the dbt state of its last build (what a routine build compares with)
    shutil.copytree(built_warehouse.parent / ".dlt", incremental.parent / ".dlt")
    shutil.copytree(built_warehouse.parent / ".dbt", incremental.parent / ".dbt")
    shutil.copy2(built_warehouse, incremental)
    # built once more, so that the dbt state has seen every load other tests made into the shared warehouse
    run_cli("build", "--warehouse", str(incremental), "--quiet")
    before = tmp_path / "before.duckdb"
    shutil.copy2(incremental, before)

    # new usage: one more day, plus late events for the day 30 days before it
    new_day, added = _add_day(data_dir, late_events=LATE_EVENTS)
    # and an event of the first day delivered again, now ten days later (the loader upserts on event_id)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    moved_id = con.execute(f"""
        copy (select * replace (occurred_at + interval 10 day as occurred_at)
              from read_parquet('{data_dir}/usage/20*/*.parquet') order by occurred_at, event_id limit 1)
        to '{data_dir}/usage/incremental/redelivered.parquet' (format parquet)
    """).fetchone() and con.execute(
        f"select event_id from read_parquet('{data_dir}/usage/incremental/redelivered.parquet')").fetchone()[0]
    con.close()
    run_cli("load", "--data-dir", str(data_dir), "--warehouse", str(incremental), "--only", "usage_events")
    # built on its own first, as a routine build of what the new usage touches: new and late events are
    # priced one by one, no day is re-priced whole
    args, routine = build_args(incremental, select=None, vars_yaml=None, full_refresh=False, everything=False)
    assert routine and "source:usage+" in args and not [a for a in args if a.startswith("source:stripe")]
    # the project has not changed since the last build: dbt neither compares it with the last build's
    # manifest (state:modified) nor writes its own; the CLI writes the results
    assert "--no-write-json" in args and "--state" not in args
    # nor re-creates its views, since the raw columns they select are those of the last build: a new
    # column (here, as if the last build had seen other columns) re-creates them
    assert "config.materialized:view" in args
    kept_columns = dbt_target_dir(incremental) / "last_build" / "raw_columns.sha256"
    kept = kept_columns.read_text()
    kept_columns.write_text("other columns")
    assert "config.materialized:view" not in build_args(incremental, None, None, False, False)[0]
    kept_columns.write_text(kept)
    # a routine build defers vacuuming to every VACUUM_EVERY-th routine build (macros/vacuum.sql)
    builds_since_vacuum = dbt_target_dir(incremental) / "last_build" / "builds_since_vacuum"
    builds_since_vacuum.write_text(str(VACUUM_EVERY - 1))
    assert not defers_vacuum(incremental, routine=True)
    builds_since_vacuum.write_text(str(VACUUM_EVERY - 2))
    assert defers_vacuum(incremental, routine=True) and not defers_vacuum(incremental, routine=False)
    run_results = dbt_target_dir(incremental) / "target" / "run_results.json"
    run_results.unlink()
    assert "routine" in run_cli("build", "--warehouse", str(incremental), "--quiet").stdout
    results = json.loads(run_results.read_text())["results"]
    built = [r["unique_id"] for r in results]
    assert [r["compiled_code"] for r in results if r["unique_id"].endswith("on-run-start-0")] == \
        ["set global max_vacuum_tasks = 0"]
    assert builds_since_vacuum.read_text() == str(VACUUM_EVERY - 1)
    assert "model.ai_margin.int_usage_events_priced" in built
    # the views were left as they were, but the tests on them checked the new data
    assert "model.ai_margin.stg_usage__files" not in built
    assert [n for n in built if n.startswith("test.ai_margin.quarantine_share_below_stg_usage__files")]
    # fct_margin_alerts kept the primary cost drivers of the alerts far enough from a changed day, and
    # looked up the others: the same drivers as looking them all up
    con = duckdb.connect(str(incremental), read_only=True)
    kept, alerts = con.execute("select (select count(*) from marts.fct_margin_alerts__drivers_kept), "
                               "(select count(*) from marts.fct_margin_alerts)").fetchone()
    con.close()
    assert 0 < kept < alerts
    looked_up = tmp_path / "looked_up.duckdb"
    shutil.copy2(incremental, looked_up)
    run_cli("build", "--warehouse", str(looked_up), "--quiet", "--select", "fct_margin_alerts", "--full-refresh")
    assert _differences(str(incremental), str(looked_up), ["marts.fct_margin_alerts"]) == {}
    con = duckdb.connect(str(incremental), read_only=True)
    late_day = con.execute("select distinct usage_date from intermediate.int_usage_events_priced "
                           "where event_id like '%-late-%'").fetchall()
    assert len(late_day) == 1
    assert set(con.execute("select day from intermediate.int_usage_events_priced__days_built").fetchall()) == \
        {(date.fromisoformat(new_day),), late_day[0], con.execute(
            "select usage_date from intermediate.int_usage_events_priced where event_id = ?", [moved_id]).fetchone(),
         con.execute("select min(usage_date) from intermediate.int_usage_events_priced").fetchone()}
    con.close()
    # then a price correction: the catalog now says gpt-4o-mini input costs double
    con = duckdb.connect(str(incremental))
    assert con.execute("""update raw_model_prices.model_prices set input_mtok = input_mtok * 2
                          where provider_id = 'openai' and model_id = 'gpt-4o-mini'""").fetchone()[0] > 0
    con.close()

    # edited by hand, so no dlt load says the prices changed: --all (incremental models stay incremental)
    assert not [a for a in build_args(incremental, None, None, False, False)[0] if a.startswith("source:")]
    run_cli("build", "--warehouse", str(incremental), "--quiet", "--all")
    assert_staging_reads_every_raw_table(incremental)
    # not a routine build: it vacuums
    assert [r["compiled_code"] for r in json.loads(run_results.read_text())["results"]
            if r["unique_id"].endswith("on-run-start-0")] == ["reset global max_vacuum_tasks"]
    assert builds_since_vacuum.read_text() == "0"
    shutil.copy2(incremental, full)
    run_cli("build", "--warehouse", str(full), "--quiet", "--full-refresh")

    con = duckdb.connect(str(full), read_only=True)
    # the models themselves, not their bookkeeping tables (<model>__days_built differs by design)
    marts = [f"marts.{t}" for t in _tables(con, "marts") if t.startswith(("fct_", "dim_")) and "__" not in t]
    con.close()
    assert len(marts) >= 8
    priced = "intermediate.int_usage_events_priced"
    assert _differences(str(incremental), str(full), [*marts, priced, "intermediate.int_inference_cost_daily",
                                                       "intermediate.int_inference_cost_reconciled",
                                                       "intermediate.int_overhead_allocated_daily",
                                                       "intermediate.int_usage_cost_drivers_daily",
                                                       "intermediate.int_alert_conditions",
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


def test_routine_build_only_when_the_warehouse_still_has_its_views(built_warehouse, tmp_path):
    """A routine build skips unchanged views and seeds, so it must not be chosen for a warehouse that lost
    them (a replaced or cleaned warehouse file beside the same dbt state)."""
    warehouse = tmp_path / built_warehouse.name
    shutil.copy2(built_warehouse, warehouse)
    shutil.copytree(built_warehouse.parent / ".dbt", tmp_path / ".dbt")
    args, routine = build_args(warehouse, select=None, vars_yaml=None, full_refresh=False, everything=False)
    assert routine and "unit_test" in args
    assert not build_args(warehouse, None, "{usage_lookback_days: 2}", False, False)[1]  # other vars: everything
    assert not build_args(warehouse, None, None, True, False)[1]
    assert not build_args(warehouse, None, None, False, True)[1]

    con = duckdb.connect(str(warehouse))
    con.execute("drop view staging.stg_usage__events")
    con.close()
    args, routine = build_args(warehouse, select=None, vars_yaml=None, full_refresh=False, everything=False)
    assert not routine and args == ["build"]

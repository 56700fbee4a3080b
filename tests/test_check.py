"""`ai-margin check` says what failed: each feature below its floor with its day, margin and floor; each
stale source with its age and threshold; what to do next. Freshness is judged only for the sources that
hold loaded rows, and generated demo data (fixed dates, months old) as of its own last day.

On the small generated data set of the session (a demo: every scenario, dates ending 2026-09-30), the
gate fails on the designed breach only: chat_assistant's 3-day margin below its floor.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import duckdb
import pytest

from conftest import run_cli


def _copy(warehouse, folder):
    """A copy of the session's warehouse: `check` runs dbt test on it, which rewrites the stored failures."""
    copy = folder / warehouse.name
    shutil.copy(warehouse, copy)
    wal = warehouse.with_name(warehouse.name + ".wal")
    if wal.exists():
        shutil.copy(wal, copy.with_name(copy.name + ".wal"))
    return copy


def _rows(warehouse, sql):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _gate(verdict, name):
    return next(g for g in verdict["gates"] if g["name"] == name)


@pytest.fixture(scope="module")
def warehouse(built_warehouse, tmp_path_factory):
    return _copy(built_warehouse, tmp_path_factory.mktemp("check"))


@pytest.fixture(scope="module")
def demo_check(warehouse, small_dataset):
    """`ai-margin check` on the generated data, told where it was loaded from."""
    return run_cli("check", "--warehouse", str(warehouse), "--data-dir", str(small_dataset), check=False)


def test_check_fails_on_the_demo_floor_breach_naming_feature_day_margin_and_floor(demo_check, warehouse):
    out = demo_check.stdout
    assert demo_check.returncode == 1, out + demo_check.stderr
    # only the data tests fail: the checkpoint and freshness pass
    assert re.search(r"^Check FAILED: dbt data tests in ", out, re.M), out
    assert "PASS  great expectations checkpoint" in out and "FAIL  dbt data tests" in out

    stored = _rows(warehouse, "select feature, margin_date, margin_pct, margin_floor_pct, points_below_floor "
                              "from dbt_test__audit.margin_floor_red_3d order by margin_date desc, feature")
    assert stored and {feature for feature, *_ in stored} == {"chat_assistant"}
    assert f"margin_floor_red_3d: fail ({len(stored)} rows, stored in dbt_test__audit.margin_floor_red_3d)" in out
    # one line per failing row (up to 10), latest day first, with the numbers the test stored
    for feature, day, margin, floor, short in stored[:10]:
        line = (f"{feature} on {day.isoformat()}: 3-day margin {margin:.1f}% < floor {float(floor):.1f}% "
                f"(short {short:.1f} pts)")
        assert line in out, (line, out)
    shown = re.findall(r"^ +chat_assistant on (\d{4}-\d\d-\d\d): 3-day margin", out, re.M)
    assert shown == [day.isoformat() for _, day, *_ in stored[:10]]
    if len(stored) > 10:
        assert f"... and {len(stored) - 10} more" in out
    # and what to do about it
    assert re.search(r"next: raise the margin of chat_assistant, .*seeds/features\.csv.*"
                     r"select \* from dbt_test__audit\.margin_floor_red_3d", out), out


def test_generated_data_is_fresh_as_of_its_own_last_day(demo_check, small_dataset):
    out = demo_check.stdout
    last_day = json.loads((small_dataset / "manifest.json").read_text())["end_date"]
    freshness = out[out.index("source freshness\n"):out.index("FAIL  dbt data tests")]
    assert freshness.startswith("source freshness\n        as of the end of "
                                f"{last_day}, the last day of the generated data in"), freshness
    assert "PASS  source freshness" in out
    assert re.search(r"^ +(\d+) of \1 source tables fresh$", freshness, re.M), freshness
    assert "ai-margin run" not in out  # no stale source to reload


def test_real_data_is_judged_against_now_with_each_finding_as_fields(warehouse, tmp_path):
    # a data folder without generate's manifest.json: the warehouse is judged as real data, against now
    proc = run_cli("check", "--warehouse", str(warehouse), "--data-dir", str(tmp_path), "--json", check=False)
    assert proc.returncode == 1
    verdict = json.loads(proc.stdout)  # stdout is the JSON document alone; progress went to stderr
    assert verdict["passed"] is False and "Checking" in proc.stderr

    freshness = _gate(verdict, "source freshness")
    usage = next(f for f in freshness["findings"] if f["name"] == "usage.usage_events")
    fields = usage["rows"][0]
    assert fields["as_of_basis"] == "now"
    as_of = datetime.fromisoformat(fields["as_of"])
    assert abs(as_of - datetime.now(timezone.utc)) < timedelta(minutes=15)
    newest = datetime.fromisoformat(fields["max_loaded_at"])
    assert newest.date() == date(2026, 9, 30)
    assert fields["age_seconds"] == pytest.approx((as_of - newest).total_seconds(), abs=1)
    assert fields["error_after"] == {"count": 7, "period": "day"}
    stale = fields["age_seconds"] > 7 * 86400
    assert usage["status"] == ("error" if stale else "pass" if fields["age_seconds"] <= 2 * 86400 else "warn")
    if stale:  # the data set ends 2026-09-30: against a later clock it is stale, and the gate says so
        assert freshness["status"] == "fail"
        assert re.fullmatch(r"usage\.usage_events: error, newest row \(occurred_at\) \d+d \d+h old, "
                            r"error after 7d \(warn after 2d\)", usage["summary"]), usage["summary"]
        assert "ai-margin run" in usage["next_step"] and "--only usage_events" in usage["next_step"]
        assert usage["next_step"] in freshness["next_steps"]

    tests = _gate(verdict, "dbt data tests")
    assert tests["status"] == "fail"
    assert any(d.startswith("margin_floor_red_3d: fail") for d in tests["details"])
    floor = next(f for f in tests["findings"] if f["name"] == "margin_floor_red_3d")
    assert floor["stored_in"] == "dbt_test__audit.margin_floor_red_3d"
    assert floor["rows"] and len(floor["rows"]) == len(floor["lines"]) <= 10
    for row, line in zip(floor["rows"], floor["lines"]):
        assert row["feature"] == "chat_assistant" and row["window_days"] == 3 and row["zone"] == "red"
        floor_pct = Decimal(row["margin_floor_pct"])  # decimals come as strings: every digit
        assert row["margin_pct"] < floor_pct == 60
        assert row["points_below_floor"] == pytest.approx(float(floor_pct) - row["margin_pct"])
        assert line.startswith(f"chat_assistant on {row['margin_date']}: 3-day margin ")
    assert "seeds/features.csv" in floor["next_step"] and floor["next_step"] in tests["next_steps"]


def test_a_project_without_stripe_is_not_failed_on_stripe_freshness(small_dataset, tmp_path):
    # the same data without Stripe (billing elsewhere): nothing is ever loaded into raw_stripe
    data_dir = tmp_path / "no_stripe"
    shutil.copytree(small_dataset, data_dir, ignore=shutil.ignore_patterns("stripe"))
    warehouse = tmp_path / "no_stripe.duckdb"
    run_cli("run", "--data-dir", str(data_dir), "--warehouse", str(warehouse), "--quiet",
            env={"STRIPE_API_KEY": ""})
    assert not _rows(warehouse, "select * from duckdb_tables() where schema_name = 'raw_stripe'")

    proc = run_cli("check", "--warehouse", str(warehouse), "--json", check=False,
                   env={"AI_MARGIN_DATA_DIR": str(data_dir)})
    verdict = json.loads(proc.stdout)
    freshness = _gate(verdict, "source freshness")
    assert freshness["status"] == "pass", freshness
    assert "stripe: not configured, skipped (nothing loaded into raw_stripe)" in freshness["details"]
    assert [f["status"] for f in freshness["findings"] if f["name"].startswith("stripe")] == ["skipped"]
    judged = {f["name"]: f for f in freshness["findings"] if f["status"] != "skipped"}
    assert "usage.usage_events" in judged and not any(name.startswith("stripe.") for name in judged)
    assert all(f["status"] == "pass" and f["rows"][0]["as_of_basis"] == "generated" for f in judged.values())

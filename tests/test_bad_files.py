"""One file that cannot be read never stops the rest: it is quarantined as a file (path, size,
fingerprint, reason) and every other file and source loads exactly what a clean load does."""

import gzip
import json
import re
import shutil

import duckdb

from conftest import run_cli

RAW_TABLES = """
    select table_schema || '.' || table_name from information_schema.tables
    where table_schema like 'raw_%' and table_name not like '_dlt%' and table_schema not like '%_staging'
      and table_name not in ('source_files', 'usage_files', 'usage_quarantine', 'revenue_quarantine')
"""


def _counts(warehouse) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [r[0] for r in con.execute(RAW_TABLES).fetchall()]
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
    finally:
        con.close()


def test_unreadable_files_are_quarantined_and_the_rest_loads(small_dataset, built_warehouse, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(small_dataset, data)
    bad = {
        ("raw_usage", "usage_files", "broken.parquet"): b"",                       # 0 bytes
        ("raw_usage", "usage_files", "cut.jsonl.gz"): gzip.compress(b'{"event_id": "x"}\n' * 50)[:40],  # truncated
        ("raw_provider_costs", "source_files", "openai/empty-page.json"): b"",
        ("raw_provider_costs", "source_files", "openai/abc-amount.json"): json.dumps({  # a cost that is no number
            "object": "page", "has_more": False, "next_page": None, "data": [{
                "object": "bucket", "start_time": 1730419200, "end_time": 1730505600, "results": [{
                    "object": "organization.costs.result", "amount": {"value": "abc", "currency": "usd"},
                    "line_item": None, "project_id": None}]}]}).encode(),
        ("raw_provider_costs", "source_files", "focus/latin1.csv"): "BilledCost,ChargePeriodStart\n1,é\n".encode("latin-1"),
        ("raw_stripe", "source_files", "customers/half.json"): b'{"object": "list", "data": [',
        ("raw_overhead", "source_files", "no-amount.csv"): b"period_start,period_end,cost_pool,currency\n",
        ("raw_revenue", "source_files", "latin1.jsonl"): '{"event_id": "é"}\n'.encode("latin-1"),
    }
    folders = {"raw_usage": "usage", "raw_provider_costs": "providers", "raw_stripe": "stripe",
               "raw_overhead": "overhead", "raw_revenue": "revenue"}
    for (schema, _, name), content in bad.items():
        path = data / folders[schema] / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    warehouse = tmp_path / "wh.duckdb"
    out = run_cli("load", "--data-dir", str(data), "--warehouse", str(warehouse)).stdout
    for _, _, name in bad:  # the load names each file and why
        assert f"/{name}: " in out, (name, out)
    con = duckdb.connect(str(warehouse), read_only=True)
    for (schema, table, name), content in bad.items():
        column = "file_error" if table == "usage_files" else "reason"
        # (a provider folder is read by two resources, costs and usage: the one that failed says why)
        row = con.execute(f"select max(size_bytes), max(file_fingerprint), max({column}) from {schema}.{table} "
                          "where source_file = ?", [name]).fetchone()
        assert row is not None and row[0] == len(content) and row[1] and row[2], (name, row)
    con.close()
    # everything else loaded exactly as a clean load does
    assert _counts(warehouse) == _counts(built_warehouse)
    # the build goes on, and a named test says which files were not read
    build = run_cli("build", "--warehouse", str(warehouse), "--quiet", "--no-publish", check=False)
    assert build.returncode == 1 and "assert_every_input_file_is_readable" in build.stderr
    con = duckdb.connect(str(warehouse), read_only=True)
    unreadable = {r[0] for r in con.execute("select source_file from staging.stg_input_files__unreadable").fetchall()}
    assert unreadable == {name for _, _, name in bad}
    assert con.execute("select count(*) from marts.fct_margin_alerts").fetchone()[0] > 0
    con.close()


def test_a_failing_data_test_never_holds_back_the_alerts(small_dataset, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(small_dataset, data)
    (data / "overhead" / "extra.csv").write_text("period_start,period_end,cost_pool,amount,currency,allocation_basis\n"
                                                 "2026-09-01,2026-09-30,support_desk,10.00,USD,by_magic\n")
    warehouse = tmp_path / "wh.duckdb"
    run = run_cli("run", "--data-dir", str(data), "--warehouse", str(warehouse), "--quiet", "--no-publish",
                  check=False)
    # the unknown allocation basis fails its test by name; the models dbt skipped after it are built anyway
    assert run.returncode == 1 and "accepted_values_stg_overhead__cost_pools" in run.stderr
    assert "a failing data test held back" in run.stdout
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from marts.fct_margin_alerts").fetchone()[0] > 0
    assert con.execute("select count(*) from marts.fct_margin_waterfall").fetchone()[0] > 0
    con.close()


def test_semicolon_exports_load_and_a_copied_export_fails_by_name(tmp_path):
    import csv
    from pathlib import Path

    fixtures = Path(__file__).parent / "fixtures" / "focus"
    focus = tmp_path / "data" / "providers" / "focus"
    focus.mkdir(parents=True)
    original = fixtures / "commitment_discount_usage_scenario_1.csv"
    shutil.copy(original, focus / "march.csv")
    shutil.copy(original, focus / "march (1).csv")  # the same export downloaded twice
    shutil.copy(fixtures / "simple_saas_agreements_a1.csv", focus / "dollars.csv")  # "$10,000.00 "
    with open(fixtures / "simple_saas_agreements_a1.csv", newline="") as fh:
        rows = list(csv.reader(fh))

    def european(cell: str) -> str:  # "$10,000.00 " -> "10.000,00": "." groups thousands, "," marks decimals
        if not re.fullmatch(r"\$?[\d,]+\.\d+\s*", cell):
            return cell
        whole, decimals = cell.strip().lstrip("$").replace(",", "").split(".")
        return f"{int(whole):,}".replace(",", ".") + "," + decimals

    with open(focus / "semicolons.csv", "w", newline="") as fh:  # a locale whose separator is ";"
        csv.writer(fh, delimiter=";").writerows([rows[0], *([european(c) for c in row] for row in rows[1:])])
    assert "10.000,00" in (focus / "semicolons.csv").read_text()
    warehouse = tmp_path / "wh.duckdb"
    run_cli("load", "--data-dir", str(tmp_path / "data"), "--warehouse", str(warehouse), "--only", "provider_costs")
    con = duckdb.connect(str(warehouse), read_only=True)
    loaded = dict(con.execute("select _source_file, (count(*), count(billed_cost), sum(cast(billed_cost as decimal(38, 10))), "
                              "sum(cast(effective_cost as decimal(38, 10)))) from raw_provider_costs.focus_costs "
                              "group by 1").fetchall())
    con.close()
    # the same amounts whatever the separators: the decimal comma is read as one
    assert loaded["focus/semicolons.csv"] == loaded["focus/dollars.csv"]
    assert loaded["focus/semicolons.csv"][:2] == (len(rows) - 1, len(rows) - 1)
    assert loaded["focus/semicolons.csv"][2] >= 10000  # "10.000,00" is ten thousand, not ten
    build = run_cli("build", "--warehouse", str(warehouse), "--quiet", "--no-publish", check=False)
    assert build.returncode == 1 and "assert_no_bill_export_loaded_twice" in build.stderr

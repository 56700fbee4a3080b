"""Provider billing on the standards' own samples: FOCUS 1.2 example exports and OpenAI's example
Costs API response, loaded by the real pipeline and normalised by the real staging models."""

from __future__ import annotations

import csv
import re
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ai_margin.load import load_all
from conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures"


def expected_focus_totals() -> dict[str, tuple[Decimal, Decimal]]:
    """Billed and effective cost by charge category, read from the CSVs with Python's csv module."""
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])

    def amount(text: str) -> Decimal:
        text = re.sub(r"[$,\s]", "", text or "")
        return Decimal(text) if text and text.upper() != "NULL" else Decimal(0)

    for path in sorted((FIXTURES / "focus").glob("*.csv")):
        with open(path, newline="") as fh:
            for row in csv.DictReader(fh):
                category = row["ChargeCategory"].strip().lower()
                totals[category][0] += amount(row["BilledCost"])
                totals[category][1] += amount(row.get("EffectiveCost") or row["BilledCost"])
    return {k: (v[0], v[1]) for k, v in totals.items()}


@pytest.fixture(scope="module")
def provider_warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("providers")
    shutil.copytree(FIXTURES / "focus", root / "providers" / "focus")
    shutil.copytree(FIXTURES / "openai", root / "providers" / "openai")
    shutil.copytree(FIXTURES / "aws_cur", root / "providers" / "aws_cur")
    warehouse = root / "wh" / "w.duckdb"
    load_all(root, warehouse, only=["provider_costs"], say=lambda m: None)
    run_cli("build", "--warehouse", str(warehouse), "--quiet",
            "--select", "stg_provider_costs__focus stg_provider_costs__openai stg_provider_costs__aws_cur")
    return warehouse


def q(warehouse: Path, sql: str):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_focus_sample_row_is_loaded(provider_warehouse):
    rows = sum(sum(1 for _ in csv.DictReader(open(p, newline=""))) for p in (FIXTURES / "focus").glob("*.csv"))
    assert q(provider_warehouse, "select count(*) from raw_provider_costs.focus_costs")[0][0] == rows
    assert q(provider_warehouse, "select count(*) from staging.stg_provider_costs__focus")[0][0] == rows


def test_focus_totals_by_charge_category_are_exact(provider_warehouse):
    got = {c: (b, e) for c, b, e in q(provider_warehouse, """
        select charge_category, coalesce(sum(billed_cost), 0), coalesce(sum(effective_cost), 0)
        from staging.stg_provider_costs__focus group by 1""")}
    assert got == expected_focus_totals()
    assert set(got) >= {"usage", "purchase"}


def test_messy_values_are_parsed_not_dropped(provider_warehouse):
    # "$10,000.00 " amounts and M/D/YY dates from the spec's SaaS examples
    assert q(provider_warehouse, """select count(*) from staging.stg_provider_costs__focus
                                    where billed_cost is null or charge_period_start is null""")[0][0] == 0
    assert q(provider_warehouse, """select max(billed_cost) from staging.stg_provider_costs__focus""")[0][0] \
        >= Decimal("10000.00")


def test_openai_costs_example(provider_warehouse):
    assert q(provider_warehouse, """select sum(billed_cost), any_value(billing_currency), min(charge_period_start)
                                    from staging.stg_provider_costs__openai""")[0] == \
        (Decimal("0.06"), "USD", __import__("datetime").datetime(2024, 11, 1, 0, 0))


def test_aws_cur_totals_by_provider_and_charge_category(provider_warehouse):
    """Hand-checked against tests/fixtures/aws_cur/cur2_sample.csv: Bedrock usage 1.20 + 0.80 billed,
    1.08 + 0.72 after the negotiated discount; an EDP discount, a credit and tax; EC2 stays `aws`."""
    got = {(p, c): (b, e, lst) for p, c, b, e, lst in q(provider_warehouse, """
        select provider, charge_category, sum(billed_cost), sum(effective_cost), sum(list_cost)
        from staging.stg_provider_costs__aws_cur group by 1, 2""")}
    D = Decimal
    assert got == {
        ("aws.bedrock", "usage"): (D("2.0"), D("1.80"), D("2.0")),
        ("aws.bedrock", "adjustment"): (D("-0.2"), D("-0.2"), D("0")),
        ("aws.bedrock", "credit"): (D("-0.5"), D("-0.5"), D("0")),
        ("aws.bedrock", "tax"): (D("0.3"), D("0.3"), D("0")),
        ("aws", "usage"): (D("3.9168"), D("3.9168"), D("3.9168")),
    }

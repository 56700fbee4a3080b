"""Provider billing on the standards' own samples: FOCUS 1.2 example exports and OpenAI's example
Costs API response, loaded by the real pipeline and normalised by the real staging models."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ai_margin.load import load_all
from conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures"
# A usage_report/messages page in the field layout of the Admin API reference (no official sample
# response exists; see shared/reference/anthropic), grouped by model.
ANTHROPIC_USAGE_PAGE = {"data": [{"starting_at": "2026-09-01T00:00:00Z", "ending_at": "2026-09-02T00:00:00Z",
                                  "results": [{"uncached_input_tokens": 1200, "cache_read_input_tokens": 3000,
                                               "cache_creation": {"ephemeral_5m_input_tokens": 400,
                                                                  "ephemeral_1h_input_tokens": 100},
                                               "output_tokens": 800, "server_tool_use": {"web_search_requests": 2},
                                               "api_key_id": None, "workspace_id": None,
                                               "model": "claude-sonnet-4-5-20250929", "service_tier": "standard",
                                               "context_window": "0-200k", "inference_geo": None}]}],
                         "has_more": False, "next_page": None}


def expected_focus_totals() -> dict[str, tuple[Decimal, Decimal]]:
    """Billed and effective cost by charge category, read from the CSVs with Python's csv module."""
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])

    def amount(text: str) -> Decimal:
        text = re.sub(r"[$,\s]", "", text or "")
        return Decimal(text) if text and text.upper() != "NULL" else Decimal(0)

    for path in sorted((FIXTURES / "focus").glob("*.csv")):  # the spec's samples (Azure rows checked apart)
        with open(path, newline="") as fh:
            for row in csv.DictReader(fh):
                category = row["ChargeCategory"].strip().lower()
                totals[category][0] += amount(row["BilledCost"])
                totals[category][1] += amount(row.get("EffectiveCost") or row["BilledCost"])
    return {k: (v[0], v[1]) for k, v in totals.items()}


AZURE_ROWS = [  # Azure OpenAI billed under "Azure AI Services", as Microsoft's FOCUS 1.0 export does
    {"ChargeCategory": "Usage", "ServiceName": "Azure AI Services", "x_SkuDescription": "gpt-4o-0806-Inp-glbl 1K Tokens",
     "BilledCost": "12.50", "EffectiveCost": "12.50", "ListCost": "12.50"},
    {"ChargeCategory": "Usage", "ServiceName": "Azure AI Services", "x_SkuDescription": "gpt-4o-0806-Outp-glbl 1K Tokens",
     "BilledCost": "7.25", "EffectiveCost": "7.25", "ListCost": "7.25"},
    {"ChargeCategory": "Usage", "ServiceName": "Virtual Machines", "x_SkuDescription": "D4s v5",
     "BilledCost": "3.10", "EffectiveCost": "3.10", "ListCost": "3.10"},
]


def write_azure_focus_export(path: Path) -> None:
    """An export with exactly the columns of Microsoft's FOCUS 1.0 schema (finops-toolkit)."""
    schema = json.loads((FIXTURES / "azure" / "FocusCost_1.0.json").read_text())
    columns = [c["ColumnName"] for c in schema["Columns"]]
    common = {"ProviderName": "Microsoft", "BillingCurrency": "USD", "ChargePeriodStart": "2026-09-01T00:00:00Z",
              "ChargePeriodEnd": "2026-09-02T00:00:00Z"}
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in AZURE_ROWS:
            writer.writerow({c: {**common, **row}.get(c, "") for c in columns})


@pytest.fixture(scope="module")
def provider_warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("providers")
    shutil.copytree(FIXTURES / "focus", root / "providers" / "focus")
    shutil.copytree(FIXTURES / "openai", root / "providers" / "openai")
    shutil.copytree(FIXTURES / "aws_cur", root / "providers" / "aws_cur")
    write_azure_focus_export(root / "providers" / "focus" / "azure_focus_1.0.csv")
    (root / "providers" / "anthropic").mkdir()
    (root / "providers" / "anthropic" / "usage_report.json").write_text(json.dumps(ANTHROPIC_USAGE_PAGE))
    warehouse = root / "wh" / "w.duckdb"
    load_all(root, warehouse, only=["provider_costs"], say=lambda m: None)
    run_cli("build", "--warehouse", str(warehouse), "--quiet",
            "--select", "stg_provider_costs__focus stg_provider_costs__openai stg_provider_costs__aws_cur "
                        "stg_provider_usage")
    return warehouse


def q(warehouse: Path, sql: str):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_focus_sample_row_is_loaded(provider_warehouse):
    rows = sum(sum(1 for _ in csv.DictReader(open(p, newline=""))) for p in (FIXTURES / "focus").glob("*.csv"))
    rows += len(AZURE_ROWS)
    assert q(provider_warehouse, "select count(*) from raw_provider_costs.focus_costs")[0][0] == rows
    assert q(provider_warehouse, "select count(*) from staging.stg_provider_costs__focus")[0][0] == rows


def test_focus_totals_by_charge_category_are_exact(provider_warehouse):
    got = {c: (b, e) for c, b, e in q(provider_warehouse, """
        select charge_category, coalesce(sum(billed_cost), 0), coalesce(sum(effective_cost), 0)
        from staging.stg_provider_costs__focus where invoice_issuer is distinct from 'Microsoft' group by 1""")}
    assert got == expected_focus_totals()
    assert set(got) >= {"usage", "purchase"}


def test_messy_values_are_parsed_not_dropped(provider_warehouse):
    # "$10,000.00 " amounts and M/D/YY dates from the spec's SaaS examples
    assert q(provider_warehouse, """select count(*) from staging.stg_provider_costs__focus
                                    where billed_cost is null or charge_period_start is null""")[0][0] == 0
    assert q(provider_warehouse, """select max(billed_cost) from staging.stg_provider_costs__focus""")[0][0] \
        >= Decimal("10000.00")
    # "4/1/25" is 1 April 2025 (DuckDB's own cast would read the year 4)
    assert q(provider_warehouse, """select count(*) from staging.stg_provider_costs__focus
                                    where year(charge_period_start) < 2000 or year(charge_period_end) < 2000""")[0][0] == 0


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


def test_provider_measured_usage(provider_warehouse):
    """OpenAI's own Usage API examples (completions, embeddings) and an Anthropic usage report page, in the
    usage log's conventions: Anthropic input = uncached + cache reads + cache writes = 4,700."""
    got = {(p, r): row for p, r, *row in q(provider_warehouse, """
        select provider, result_type, input_tokens, cache_read_input_tokens, cache_creation_input_tokens,
               output_tokens, requests
        from staging.stg_provider_usage""")}
    assert got == {
        ("openai", "completions"): [1000, 400, 100, 500, 5],
        ("openai", "embeddings"): [16, 0, 0, 0, 2],
        ("anthropic", "messages"): [4700, 3000, 500, 800, None],
    }


def test_azure_focus_export_maps_azure_openai(provider_warehouse):
    got = dict(((p, c), b) for p, c, b in q(provider_warehouse, """
        select provider, charge_category, sum(billed_cost) from staging.stg_provider_costs__focus
        where invoice_issuer = 'Microsoft' group by 1, 2"""))
    assert got == {("azure.ai.openai", "usage"): Decimal("19.75"), ("microsoft", "usage"): Decimal("3.10")}



def test_bill_rows_are_spread_over_their_charge_period(tmp_path):
    """A FOCUS export through the real pipeline: each row is spread evenly over the days of
    [ChargePeriodStart, ChargePeriodEnd), exactly, the remainder 1e-10 at a time to the first days
    (int_provider_costs_daily). Hand-checked: AWS's month-end credit of -25.00 for September is 30 days,
    25 x 1e10 / 30 leaving 10 units over: 10 days of -0.8333333334 and 20 of -0.8333333333, -25.00 in
    all; an annual EUR 365.00 commitment is 365 days of 1.00 EUR = 1.08 USD; a one-day usage row stays
    on its day."""
    focus = tmp_path / "providers" / "focus"
    focus.mkdir(parents=True)
    common = {"BillingCurrency": "USD", "ProviderName": "AWS", "ServiceName": "Amazon Bedrock"}
    rows = [
        {"ChargeCategory": "Credit", "ChargeDescription": "AWS Activate credit", "BilledCost": "-25.00",
         "ChargePeriodStart": "2026-09-01T00:00:00Z", "ChargePeriodEnd": "2026-10-01T00:00:00Z"},
        {"ChargeCategory": "Purchase", "ChargeDescription": "commitment", "BilledCost": "365.00",
         "BillingCurrency": "EUR", "ChargePeriodStart": "2026-01-01T00:00:00Z",
         "ChargePeriodEnd": "2027-01-01T00:00:00Z"},
        {"ChargeCategory": "Usage", "ChargeDescription": "tokens", "BilledCost": "10.00",
         "ChargePeriodStart": "2026-09-05T00:00:00Z", "ChargePeriodEnd": "2026-09-06T00:00:00Z"},
    ]
    with open(focus / "bedrock.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["BillingCurrency", "ProviderName", "ServiceName", "ChargeCategory",
                                                "ChargeDescription", "BilledCost", "EffectiveCost",
                                                "ChargePeriodStart", "ChargePeriodEnd"])
        writer.writeheader()
        writer.writerows({**common, **row, "EffectiveCost": row["BilledCost"]} for row in rows)
    warehouse = tmp_path / "wh" / "w.duckdb"
    load_all(tmp_path, warehouse, only=["provider_costs"], say=lambda m: None)
    # the model alone: not the tests that tie it to usage, which this warehouse has none of
    run_cli("build", "--warehouse", str(warehouse), "--quiet",
            "--select", "fx_rates stg_provider_costs__focus stg_provider_costs__openai stg_provider_costs__anthropic "
                        "stg_provider_costs__aws_cur int_provider_costs_daily",
            env={"DBT_INDIRECT_SELECTION": "empty"})
    D = Decimal
    got = q(warehouse, """select charge_category, cost_date, billed_cost_usd, effective_cost_usd
                          from intermediate.int_provider_costs_daily order by 1, 2""")
    credit = [(day, billed) for category, day, billed, effective in got if category == "credit" and billed == effective]
    assert credit == [(date(2026, 9, d), D("-0.8333333334") if d <= 10 else D("-0.8333333333")) for d in range(1, 31)]
    assert sum(billed for _, billed in credit) == D("-25")
    purchase = [(day, billed) for category, day, billed, _ in got if category == "purchase"]
    assert len(purchase) == 365 and {billed for _, billed in purchase} == {D("1.08")}
    assert (purchase[0][0], purchase[-1][0]) == (date(2026, 1, 1), date(2026, 12, 31))
    assert [(day, billed) for category, day, billed, _ in got if category == "usage"] == [(date(2026, 9, 5), D("10"))]

"""P95 cost per request and P95 margin beside the mean, on the small generated warehouse: recomputed
here call by call from the priced events and the reconciled costs, in exact rational arithmetic."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import duckdb

from ai_margin.paths import PROJECT_DIR

TEN_DIGITS = Decimal("0.0000000001")


def _round_money(value: Fraction) -> Decimal:
    """To 1e-10, half away from zero (ROUND_HALF_UP on the magnitude, as DuckDB's decimal casts)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(TEN_DIGITS, rounding=ROUND_HALF_UP)


def _expected_p95(query, column: str) -> dict[str, Decimal]:
    """Each production call's estimate x effective / estimated cost of its day, provider and model (the
    reconciliation unit's ratio), and per group the call at rank ceil(0.95 x calls) by cost."""
    ratios = {(day, provider, model): (Fraction(effective) / Fraction(estimated) if estimated else Fraction(1))
              for day, provider, model, estimated, effective in query("""
                  select usage_date, provider, model, sum(estimated_cost_usd), sum(effective_cost_usd)
                  from intermediate.int_inference_cost_reconciled where requests > 0 group by all""")}
    costs: dict[str, list[Fraction]] = defaultdict(list)
    for key, day, provider, model, estimated in query(f"""
            select {column}, usage_date, provider, model, coalesce(estimated_cost_usd, 0)
            from intermediate.int_usage_events_priced where is_production"""):
        costs[key].append(Fraction(estimated) * ratios.get((day, provider, model), Fraction(1)))
    return {key: _round_money(sorted(values)[math.ceil(Decimal("0.95") * len(values)) - 1])
            for key, values in costs.items()}


def test_p95_cost_per_request_is_the_nearest_rank_of_each_calls_effective_cost(query):
    for mart, column in (("fct_feature_margin", "feature"), ("fct_customer_margin", "customer_id")):
        expected = _expected_p95(query, column)
        got = dict(query(f"select {column}, p95_cost_per_request_usd from marts.{mart} where requests > 0"))
        assert got == expected, mart
        # no requests, no cost per request
        assert query(f"""select count(*) from marts.{mart} where requests = 0
                         and coalesce(p95_cost_per_request_usd, mean_usage_cost_per_request_usd, p95_margin_pct) is not null
                      """)[0][0] == 0


def test_p95_margin_is_the_margin_at_the_p95_cost(query):
    """(revenue - overhead - requests x P95 cost) / revenue: the gross margin with every call at the P95
    cost; null where revenue is zero or negative. The demo's scenarios put a tail on the chat assistant."""
    for mart, column in (("fct_feature_margin", "feature"), ("fct_customer_margin", "customer_id")):
        rows = query(f"""
            select mart.revenue_usd, mart.total_cost_usd - usage.usage_cost_usd, mart.requests,
                   usage.usage_cost_usd, mart.mean_usage_cost_per_request_usd, mart.p95_cost_per_request_usd,
                   mart.p95_margin_pct
            from marts.{mart} as mart
            inner join (select {column}, sum(inference_cost_usd + orchestration_usage_cost_usd) as usage_cost_usd
                        from marts.fct_margin_waterfall group by all) as usage using ({column})
            where mart.requests > 0""")
        assert rows
        for revenue, overhead, requests, usage, mean, p95, p95_pct in rows:
            assert mean == (usage / requests).quantize(TEN_DIGITS, rounding="ROUND_DOWN")
            if revenue <= 0:
                assert p95_pct is None
            else:
                assert abs(p95_pct - float((revenue - overhead - requests * p95) / revenue * 100)) < 1e-3
    chat = query("""select gross_margin_pct, p95_margin_pct, mean_usage_cost_per_request_usd, p95_cost_per_request_usd
                    from marts.fct_feature_margin where feature = 'chat_assistant'""")[0]
    assert chat[1] < chat[0] and chat[3] > chat[2]
    assert query("""select count(*) from marts.fct_customer_margin
                    where plan = 'free' and requests > 0 and p95_margin_pct is null""")[0][0] > 0


def _compile_analysis(warehouse: Path, tmp_path: Path, dbt_vars: str | None = None) -> str:
    target = tmp_path / "target"
    env = {**os.environ, "AI_MARGIN_WAREHOUSE": str(warehouse), "DBT_TARGET_PATH": str(target),
           "DBT_LOG_PATH": str(tmp_path / "logs"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run([str(dbt), "--quiet", "compile", "--select", "cost_per_request_percentiles",
                    *(["--vars", dbt_vars] if dbt_vars else []),
                    "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
                   check=True, env=env, capture_output=True, timeout=600)
    return (target / "compiled" / "ai_margin" / "analyses" / "cost_per_request_percentiles.sql").read_text()


def test_any_period_analysis(built_warehouse, query, tmp_path):
    """Over the reporting window the analysis gives the marts' figures; over one month, its own calls."""
    columns = ("feature, requests, mean_usage_cost_per_request_usd, p95_cost_per_request_usd, gross_margin_pct, "
               "p95_margin_pct")
    window = _compile_analysis(built_warehouse, tmp_path)
    marts = set(query(f"select {columns} from marts.fct_feature_margin"))
    assert set(query(f"select {columns} from ({window})")) == marts

    month = _compile_analysis(built_warehouse, tmp_path,
                              "{from_date: '2026-09-01', to_date: '2026-09-30', group_by: [customer_id]}")
    con = duckdb.connect(str(built_warehouse), read_only=True)
    try:
        got = {row[0]: row[1:] for row in con.execute(
            f"select customer_id, from_date, to_date, requests, p95_cost_per_request_usd from ({month})").fetchall()}
    finally:
        con.close()
    requests = dict(query("""select customer_id, sum(requests) from marts.fct_margin_waterfall
                             where margin_date between date '2026-09-01' and date '2026-09-30' group by 1"""))
    assert {customer: row[2] for customer, row in got.items()} == requests
    assert {(row[0].isoformat(), row[1].isoformat()) for row in got.values()} == {("2026-09-01", "2026-09-30")}
    # a month's P95 is its own calls', not the window's
    window_p95 = dict(query("select customer_id, p95_cost_per_request_usd from marts.fct_customer_margin"))
    assert any(row[3] != window_p95[customer] for customer, row in got.items() if row[2] > 0)

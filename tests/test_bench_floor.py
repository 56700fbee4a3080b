"""The bench's floor (ai_margin/floor.py), the hand-written yardstick the project's speed is measured
against, does the same core work as the marts: it prices the same calls to the same cost, and spreads
the same invoices (credit notes, refunds and revenue events aside)."""

from decimal import Decimal

from ai_margin.floor import run_floor
from conftest import query_warehouse


def test_floor_prices_every_call_like_the_marts(small_dataset, built_warehouse):
    floor = run_floor(small_dataset, built_warehouse)
    [(cost, requests, day_rows)] = query_warehouse(built_warehouse, """
        select sum(estimated_usage_cost_usd), sum(requests), count(*) filter (where requests > 0)
        from marts.fct_margin_waterfall""")
    # per call, the floor rounds once and the marts per token type: at most 3e-10 apart per call
    assert abs(Decimal(floor["cost_usd"]) - cost) <= Decimal("3e-10") * requests
    assert floor["usage_rows"] == day_rows
    [(invoiced,)] = query_warehouse(built_warehouse, """
        select sum(revenue_usd) from intermediate.int_revenue_recognized_daily
        where revenue_source = 'invoice_line' and revenue_date in (select margin_date from marts.fct_margin_waterfall)""")
    # the same invoices, within what credit notes and refunds change and the floor's truncation
    assert abs(Decimal(floor["revenue_usd"]) - invoiced) < invoiced * Decimal("0.02")

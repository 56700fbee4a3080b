"""A readable margin summary printed from the marts (amounts rounded for display only)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import duckdb


def _money(value) -> str:
    if value is None:
        return "-"
    return f"{value:,.2f}"


def _pct(value) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _table(say: Callable[[str], None], headers: list[str], rows: list[tuple], widths: list[int]) -> None:
    say("  " + "  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(headers, widths))))
    for row in rows:
        say("  " + "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))))


def print_summary(warehouse: Path, top: int = 8, say: Callable[[str], None] = print) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        total = con.execute("""
            select min(margin_date), max(margin_date), sum(requests), sum(revenue_usd), sum(inference_cost_usd),
                   sum(orchestration_usage_cost_usd + orchestration_overhead_cost_usd), sum(infrastructure_cost_usd),
                   sum(support_cost_usd), sum(other_overhead_cost_usd), sum(gross_margin_usd),
                   sum(reconciliation_residual_usd)
            from marts.fct_margin_waterfall
        """).fetchone()
    except duckdb.CatalogException as exc:
        raise SystemExit(f"ai-margin summary: error: marts not built yet ({exc})") from exc
    first, last, requests, revenue, inference, orchestration, infrastructure, support, other, margin, residual = total
    pct = float(margin) / float(revenue) * 100 if revenue and revenue > 0 else None  # display only
    say("")
    say(f"Margin waterfall, {first} to {last} (USD, {requests:,} requests)")
    for label, value in (("revenue", revenue), ("- inference", inference), ("- orchestration", orchestration),
                         ("- infrastructure", infrastructure), ("- support", support), ("- other overhead", other)):
        say(f"  {label:<18} {_money(value):>14}")
    say(f"  {'= gross margin':<18} {_money(margin):>14}   ({_pct(pct)})")
    say(f"  (usage costs include {_money(residual)} reconciliation residual to match provider bills)")
    say("")
    say("By feature")
    rows = con.execute("""
        select feature, category, requests, revenue_usd, total_cost_usd, gross_margin_usd, gross_margin_pct,
               mean_usage_cost_per_request_usd, p95_cost_per_request_usd, p95_margin_pct
        from marts.fct_feature_margin order by gross_margin_usd desc
    """).fetchall()
    say("  (margin % at the mean cost per request, then at the P95: a tail far below the mean is a tail-cost problem)")
    _table(say, ["feature", "category", "requests", "revenue", "cost", "margin", "margin %", "$/request",
                 "P95 $/req", "P95 margin %"],
           [(f, c, f"{r:,}", _money(rev), _money(cst), _money(m), _pct(p), "-" if cpr is None else f"{cpr:.5f}",
             "-" if p95 is None else f"{p95:.5f}", _pct(p95m))
            for f, c, r, rev, cst, m, p, cpr, p95, p95m in rows], [16, 12, 10, 12, 12, 12, 9, 10, 10, 13])

    say("")
    say(f"Margin floors on {last} (3-day and 7-day rolling margin against each feature's floor)")
    rows = con.execute("""
        select feature, category, margin_floor_pct, margin_pct_3d, zone_3d, margin_pct_7d, zone_7d,
               has_floor_exception
        from marts.fct_feature_margin_daily
        where margin_date = (select max(margin_date) from marts.fct_feature_margin_daily)
        order by feature
    """).fetchall()
    _table(say, ["feature", "category", "floor %", "3-day %", "zone", "7-day %", "zone", "exception"],
           [(f, c, _pct(fl), _pct(m3), z3 or "-", _pct(m7), z7 or "-", "yes" if ex else "")
            for f, c, fl, m3, z3, m7, z7, ex in rows], [16, 10, 9, 9, 7, 9, 7, 9])
    counts = con.execute("""
        select count(*) filter (where alert_date = ?), count(*) from marts.fct_margin_alerts
    """, [last]).fetchall()[0]
    say(f"Alerts: {counts[0]} raised on {last}, {counts[1]} over the period (`ai-margin alerts --since {first}`)")

    say("")
    say("Customers by profitability")
    for label, n, rev, m in con.execute("""
        select profitability, count(*), sum(revenue_usd), sum(gross_margin_usd)
        from marts.fct_customer_margin group by 1 order by 1
    """).fetchall():
        say(f"  {label:<14} {n:>5} customers   revenue {_money(rev):>12}   margin {_money(m):>12}")

    cols = """customer_id, plan, cohort_month, requests, revenue_usd, total_cost_usd, gross_margin_usd,
              gross_margin_pct, profitability"""
    headers = ["customer", "plan", "cohort", "requests", "revenue", "cost", "margin", "margin %", "class"]
    widths = [14, 10, 10, 10, 12, 12, 12, 9, 12]

    def fmt(rows):
        return [(c, p, str(coh)[:7] if coh else "-", f"{r:,}", _money(rev), _money(cst), _money(m), _pct(pc), cl)
                for c, p, coh, r, rev, cst, m, pc, cl in rows]

    say("")
    say(f"Least profitable {top} customers")
    _table(say, headers, fmt(con.execute(
        f"select {cols} from marts.fct_customer_margin where profitability <> 'no_activity' "
        f"order by gross_margin_usd asc limit {int(top)}").fetchall()), widths)
    say("")
    say(f"Most profitable {top} customers")
    _table(say, headers, fmt(con.execute(
        f"select {cols} from marts.fct_customer_margin order by gross_margin_usd desc limit {int(top)}").fetchall()),
        widths)
    say("")

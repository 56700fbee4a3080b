"""`ai-margin simulate swap|shock|change`: the scenario as dbt vars for models/simulations/, and the
result printed as readable tables (amounts rounded for display only)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

import duckdb

from ai_margin.summary import _money, _pct, _table

TIERS = ("frontier", "mid", "budget", "unscored")


def scenario_vars(args: argparse.Namespace) -> dict:
    """The dbt vars of the scenario (vars not given take their dbt_project.yml defaults)."""
    period = {"simulate_from": args.period_from or "", "simulate_to": args.period_to or ""}
    if args.kind == "shock":
        return {**period, "shock_provider": args.provider or "", "shock_model": args.model or "",
                "shock_factor": args.factor, "shock_from": args.since or ""}
    if args.kind == "change":
        return {**period, "change_feature": args.feature, "change_from": args.since or "",
                "change_input_tokens_pct": args.input_tokens_pct, "change_output_tokens_pct": args.output_tokens_pct,
                "change_reasoning_tokens_pct": args.reasoning_tokens_pct, "change_requests_pct": args.requests_pct,
                "change_to_model": args.to_model or "", "change_to_provider": args.to_provider or "",
                "change_model_share_pct": args.model_share_pct}
    return period


def print_scenario(warehouse: Path, args: argparse.Namespace, say: Callable[[str], None] = print) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        {"swap": _print_swap, "shock": _print_shock, "change": _print_change}[args.kind](con, args, say)
    finally:
        con.close()


def _share(margin, revenue) -> float | None:
    """Margin % for display; none where there is no positive revenue (as margin_pct in dbt)."""
    return float(margin) / float(revenue) * 100 if revenue and revenue > 0 else None


def _score(value) -> str:
    return "unscored" if value is None else f"{value:.1f}"


def _print_swap(con: duckdb.DuckDBPyConnection, args: argparse.Namespace, say: Callable[[str], None]) -> None:
    features = [r[0] for r in con.execute(
        "select distinct feature from simulations.sim_model_swap where ? is null or feature = ? order by feature",
        [args.feature, args.feature]).fetchall()]
    if not features:
        raise SystemExit(f"ai-margin simulate: error: no inference calls of {args.feature or 'any feature'} "
                         "in the period")
    period = con.execute("select min(period_from), min(period_to) from simulations.sim_model_swap").fetchone()
    say(f"Model swap, {period[0]} to {period[1]}: each feature's calls re-priced at each candidate's list prices")
    for feature in features:
        rows = con.execute("""
            select candidate_model, tier, score, score_per_dollar, projected_cost_usd, savings_per_quarter_usd,
                   projected_margin_pct, is_comparable, is_current_model, current_model, current_tier, current_score,
                   current_cost_usd, current_margin_pct
            from simulations.sim_model_swap where feature = ?
            order by case tier when 'frontier' then 1 when 'mid' then 2 when 'budget' then 3 else 4 end,
                     projected_cost_usd
        """, [feature]).fetchall()
        current, current_tier, current_score, current_cost, current_margin = rows[0][9:14]
        say("")
        say(f"{feature}: now {current} ({current_tier}, MMLU {_score(current_score)}); "
            f"cost {_money(current_cost)} USD, margin {_pct(current_margin)}")
        shown = [r for r in rows if r[1] == current_tier][:args.top] + \
            [r for r in rows if r[1] != current_tier and r[5] > 0][:args.top]
        _table(say, ["candidate", "tier", "MMLU", "score/$", "cost USD", "saves/quarter", "margin", ""],
               [(r[0], r[1], _score(r[2]), "-" if r[3] is None else f"{r[3]:,.1f}", _money(r[4]), _money(r[5]),
                 _pct(r[6]), "current" if r[8] else "comparable" if r[7] else "") for r in shown],
               [28, 9, 8, 10, 12, 14, 8, 10])
        best = con.execute("""
            select candidate_model, savings_usd, savings_per_quarter_usd from simulations.sim_model_swap
            where feature = ? and is_comparable and not is_current_model and savings_usd > 0
            order by savings_usd desc limit 1""", [feature]).fetchone()
        if best is None:
            say(f"  No comparable ({current_tier}-tier) model is cheaper for {feature}.")
            continue
        say(f"  Cheapest comparable: {best[0]}, saving {_money(best[2])} USD a quarter "
            f"({_money(best[1])} over the period). Most affected customers:")
        customers = con.execute("""
            select customer_id, current_cost_usd, projected_cost_usd, savings_usd, current_margin_pct,
                   projected_margin_pct
            from simulations.sim_model_swap_customers
            where feature = ? and candidate_model = ? and customer_rank <= ? order by customer_rank""",
            [feature, best[0], args.customers]).fetchall()
        _table(say, ["  customer", "cost USD", "after USD", "saves USD", "margin", "after"],
               [(f"  {c[0]}", _money(c[1]), _money(c[2]), _money(c[3]), _pct(c[4]), _pct(c[5])) for c in customers],
               [22, 12, 12, 12, 8, 8])


def _print_shock(con: duckdb.DuckDBPyConnection, args: argparse.Namespace, say: Callable[[str], None]) -> None:
    rows = con.execute("""
        select feature, shock_provider, shock_model, shock_factor, shock_from, shock_to, margin_floor_pct,
               margin_before_pct, margin_after_pct, zone_before, zone_after, shock_cost_per_month_usd,
               swaps_back_to_floor
        from simulations.sim_price_shock order by shock_cost_per_month_usd desc, feature""").fetchall()
    if not rows:
        raise SystemExit("ai-margin simulate: error: no usage in the shock's window")
    _, provider, model, factor, since, until = rows[0][:6]
    say(f"Price shock: {provider}{'/' + model if model else ''} prices x{float(factor):g} from {since} to {until}")
    say("")
    _table(say, ["feature", "floor", "margin", "after", "zone", "after", "USD/month", "swaps back to the floor"],
           [(r[0], _pct(r[6]), _pct(r[7]), _pct(r[8]), r[9] or "-", r[10] or "-", _money(r[11]),
             ", ".join(r[12]) or "-") for r in rows],
           [20, 7, 8, 8, 7, 7, 11, 1])
    red = [r[0] for r in rows if r[10] == "red" and r[9] != "red"]
    say("")
    say(f"Features falling into the red zone: {', '.join(red) if red else 'none'}")
    customers = con.execute("""
        select customer_id, margin_before_pct, margin_after_pct, profitability_before, profitability_after,
               shock_cost_per_month_usd
        from simulations.sim_price_shock_customers
        where profitability_after = 'unprofitable' and profitability_before <> 'unprofitable'
        order by shock_cost_per_month_usd desc, customer_id limit ?""", [args.customers]).fetchall()
    total = con.execute("select sum(shock_cost_per_month_usd) from simulations.sim_price_shock").fetchone()[0]
    say(f"The shock costs {_money(total)} USD a month. Customers it makes unprofitable"
        f"{' (first ' + str(args.customers) + ')' if len(customers) == args.customers else ''}: "
        f"{'none' if not customers else ''}")
    if customers:
        _table(say, ["  customer", "margin", "after", "was", "USD/month"],
               [(f"  {c[0]}", _pct(c[1]), _pct(c[2]), c[3], _money(c[5])) for c in customers], [22, 8, 8, 12, 11])


def _print_change(con: duckdb.DuckDBPyConnection, args: argparse.Namespace, say: Callable[[str], None]) -> None:
    rows = con.execute("""
        select feature, min(margin_date) filter (where is_changed), max(margin_date),
               sum(revenue_usd), sum(gross_margin_usd), sum(forecast_margin_usd), sum(change_cost_usd),
               count(distinct margin_date) filter (where is_changed)
        from simulations.sim_change_forecast where feature = ? group by feature""", [args.feature]).fetchall()
    if not rows:
        raise SystemExit(f"ai-margin simulate: error: feature {args.feature} has no margin rows in the period")
    feature, since, until, revenue, margin, forecast, change, _ = rows[0]
    days = (until - since).days + 1 if since else 0  # calendar days, as the dollars a month in SQL
    say(f"Change forecast for {feature} from {since} to {until} (revenue unchanged):")
    say(f"  margin {_money(margin)} USD ({_pct(_share(margin, revenue))}) -> {_money(forecast)} USD "
        f"({_pct(_share(forecast, revenue))}); "
        f"the change costs {_money(change)} USD, {_money(change * 30 / days) if days else '-'} USD a month")
    customers = con.execute("""
        select customer_id, sum(gross_margin_usd), sum(forecast_margin_usd), sum(change_cost_usd),
               sum(revenue_usd)
        from simulations.sim_change_forecast where feature = ? and is_changed
        group by customer_id order by abs(sum(change_cost_usd)) desc, customer_id limit ?""",
        [feature, args.customers]).fetchall()
    _table(say, ["  customer", "margin USD", "forecast USD", "change USD"],
           [(f"  {c[0]}", _money(c[1]), _money(c[2]), _money(c[3])) for c in customers], [22, 12, 14, 12])

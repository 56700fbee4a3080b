"""`ai-margin report`: one self-contained HTML file of charts built from the published marts.

It reads the snapshot `ai-margin publish` keeps (ai_margin.publish), never the warehouse, so a report can
be made while a build runs. Plotly draws the charts; its JavaScript is embedded once, so the file opens
offline. Amounts are summed as exact decimals in DuckDB and turned into floats only to be drawn; the
totals on the page are the exact sums (their `data-*` attributes carry every digit).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Callable

# Granularity of the time charts: daily up to six weeks, weekly up to half a year, then monthly.
DAILY_UP_TO_DAYS = 42
WEEKLY_UP_TO_DAYS = 183
# A feature's 4-week trend: its weekly gross margin % moved by more than this many points.
TREND_POINTS = 2
WATERFALL_LAYERS = [("inference", "inference_cost_usd"), ("orchestration", "orchestration_usage_cost_usd + "
                                                                          "orchestration_overhead_cost_usd"),
                    ("infrastructure", "infrastructure_cost_usd"), ("support", "support_cost_usd"),
                    ("other", "other_overhead_cost_usd")]


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    feature: str | None = None
    customer: str | None = None
    model: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def grain(self) -> str:
        return "day" if self.days <= DAILY_UP_TO_DAYS else "week" if self.days <= WEEKLY_UP_TO_DAYS else "month"


class Report:
    """Queries the snapshot for one period and filters; each method returns one section's HTML."""

    def __init__(self, con, period: Period):
        self.con, self.p = con, period

    # -- data ---------------------------------------------------------------------------------------

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def waterfall_where(self, alias: str = "w") -> tuple[str, list]:
        """The period and the feature / customer filters, on fct_margin_waterfall."""
        clauses, params = [f"{alias}.margin_date between ? and ?"], [self.p.start, self.p.end]
        for column, value in (("feature", self.p.feature), ("customer_id", self.p.customer)):
            if value is not None:
                clauses.append(f"{alias}.{column} = ?")
                params.append(value)
        return " and ".join(clauses), params

    def model_where(self) -> tuple[str, list]:
        """The period and the feature / model filters, on fct_model_daily."""
        clauses, params = ["usage_date between ? and ?"], [self.p.start, self.p.end]
        for column, value in (("feature", self.p.feature), ("model", self.p.model)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return " and ".join(clauses), params

    def totals(self) -> dict[str, Decimal]:
        where, params = self.waterfall_where()
        layers = ", ".join(f"coalesce(sum({expr}), 0)" for _, expr in WATERFALL_LAYERS)
        row = self.rows(f"""
            select coalesce(sum(revenue_usd), 0), coalesce(sum(total_cost_usd), 0),
                   coalesce(sum(gross_margin_usd), 0), coalesce(sum(requests), 0), {layers}
            from marts.fct_margin_waterfall as w where {where}""", params)[0]
        names = ["revenue_usd", "total_cost_usd", "gross_margin_usd", "requests", *[n for n, _ in WATERFALL_LAYERS]]
        return dict(zip(names, row))

    # -- sections -----------------------------------------------------------------------------------

    def summary(self) -> str:
        t = self.totals()
        pct = _pct(t["gross_margin_usd"], t["revenue_usd"])
        cells = [("Revenue", t["revenue_usd"], "revenue-usd"), ("Total cost", t["total_cost_usd"], "total-cost-usd"),
                 ("Gross margin", t["gross_margin_usd"], "gross-margin-usd")]
        items = "".join(f'<div class="kpi" data-{key}="{value}"><span>{label}</span><b>{_usd(value)}</b></div>'
                        for label, value, key in cells)
        items += f'<div class="kpi"><span>Gross margin %</span><b>{_fmt_pct(pct)}</b></div>'
        items += f'<div class="kpi" data-requests="{t["requests"]}"><span>AI calls</span><b>{t["requests"]:,}</b></div>'
        return f'<div class="kpis" id="totals">{items}</div>'

    def over_time(self) -> str:
        import plotly.graph_objects as go

        where, params = self.waterfall_where()
        bucket = _bucket(self.p.grain, "margin_date")
        rows = self.rows(f"""
            select {bucket} as period, sum(revenue_usd), sum(total_cost_usd), sum(gross_margin_usd)
            from marts.fct_margin_waterfall as w where {where} group by 1 order by 1""", params)
        periods = [r[0] for r in rows]
        revenue_cost = go.Figure([
            go.Scatter(x=periods, y=[float(r[1]) for r in rows], name="revenue", mode="lines+markers"),
            go.Scatter(x=periods, y=[float(r[2]) for r in rows], name="total cost", mode="lines+markers")])
        margin = go.Figure([go.Scatter(x=periods, y=[_pct(r[3], r[1]) for r in rows], name="gross margin %",
                                       mode="lines+markers")])
        by_feature = self.rows(f"""
            select {bucket} as period, feature, sum(gross_margin_usd)
            from marts.fct_margin_waterfall as w where {where} group by all order by all""", params)
        stacked = go.Figure([go.Bar(x=[r[0] for r in by_feature if r[1] == f], name=f,
                                    y=[float(r[2]) for r in by_feature if r[1] == f])
                             for f in sorted({r[1] for r in by_feature})])
        stacked.update_layout(barmode="relative")
        # usage cost by model (revenue is not attributed to models, so their view is cost)
        where, model_params = self.model_where()
        by_model = self.rows(f"""
            select {_bucket(self.p.grain, 'usage_date')} as period, provider || '/' || model, sum(estimated_cost_usd)
            from marts.fct_model_daily where {where} group by all order by all""", model_params)
        models = go.Figure([go.Bar(x=[r[0] for r in by_model if r[1] == m], name=m,
                                   y=[float(r[2]) for r in by_model if r[1] == m])
                            for m in sorted({r[1] for r in by_model})])
        models.update_layout(barmode="stack")
        return (_chart("revenue-vs-cost", revenue_cost, f"Revenue vs cost per {self.p.grain}, USD")
                + _chart("margin-over-time", margin, f"Gross margin % per {self.p.grain}", y_title="%")
                + _chart("margin-by-feature", stacked, f"Gross margin by feature per {self.p.grain}, USD")
                + _chart("cost-by-model", models, f"Usage cost by model per {self.p.grain}, USD at list price"))

    def waterfall(self) -> str:
        import plotly.graph_objects as go

        t = self.totals()
        labels = ["revenue", *[n for n, _ in WATERFALL_LAYERS], "gross margin"]
        values = [float(t["revenue_usd"]), *[-float(t[n]) for n, _ in WATERFALL_LAYERS], float(t["gross_margin_usd"])]
        fig = go.Figure(go.Waterfall(x=labels, y=values, measure=["absolute", *["relative"] * len(WATERFALL_LAYERS),
                                                                  "total"]))
        return _chart("waterfall", fig, "Margin waterfall, USD")

    def customers(self) -> str:
        import plotly.graph_objects as go

        where, params = self.waterfall_where()
        months = Decimal(self.p.days) / Decimal("30.4375")
        band = _project_var("break_even_band_pct")  # the band fct_customer_margin classes customers by
        rows = self.rows(f"""
            select customer_id, sum(revenue_usd), sum(gross_margin_usd)
            from marts.fct_margin_waterfall as w where {where} group by 1 having sum(revenue_usd) > 0""", params)
        if not rows:
            return "<p>No customer with revenue in this period.</p>"
        points = [(c, float(rev / months), _pct(margin, rev)) for c, rev, margin in rows]
        t = self.totals()
        average_margin = _pct(t["gross_margin_usd"], t["revenue_usd"]) or 0.0

        def klass(pct: float) -> str:
            return "profitable" if pct > band else "unprofitable" if pct < -band else "break-even"

        colours = {"profitable": "#2ca02c", "break-even": "#ff9f1c", "unprofitable": "#d62728"}
        fig = go.Figure([go.Scatter(x=[p[1] for p in points if klass(p[2]) == k],
                                    y=[p[2] for p in points if klass(p[2]) == k],
                                    text=[p[0] for p in points if klass(p[2]) == k], mode="markers", name=k,
                                    marker={"color": colour})
                         for k, colour in colours.items() if any(klass(p[2]) == k for p in points)])
        # high revenue (the top quarter of customers) with a margin below the period's average
        high_revenue = sorted(p[1] for p in points)[(3 * len(points)) // 4]
        fig.add_shape(type="rect", xref="x", yref="y", x0=high_revenue, x1=max(p[1] for p in points) * 1.2,
                      y0=min(min(p[2] for p in points), 0) - 5, y1=average_margin, opacity=0.12,
                      fillcolor="red", line_width=0, layer="below")
        fig.add_annotation(x=math.log10(high_revenue), y=average_margin, text="high revenue, low margin",
                           showarrow=False, xanchor="left", yanchor="top")
        fig.update_xaxes(type="log")
        fig.update_xaxes(title="revenue per month, USD")
        return _chart("customers", fig, "Margin per customer: monthly revenue against gross margin %", y_title="%")

    def models(self) -> str:
        import plotly.graph_objects as go

        where, params = self.model_where()
        rows = self.rows(f"""
            select provider, model, sum(requests), sum(estimated_cost_usd)
            from marts.fct_model_daily where {where} group by all order by 4 desc""", params)
        names = [f"{p}/{m}" for p, m, _, _ in rows]
        cost = go.Figure([go.Bar(x=names, y=[float(r[3]) for r in rows], name="estimated cost")])
        per_call = go.Figure([go.Bar(x=names, y=[float(r[3] / r[2]) if r[2] else 0 for r in rows],
                                     name="mean cost per call")])
        return (_chart("model-cost", cost, "Usage cost by provider and model, USD at list price")
                + _chart("model-cost-per-call", per_call, "Mean cost per call by model, USD"))

    def cohorts_and_plans(self) -> str:
        import plotly.graph_objects as go

        where, params = self.waterfall_where()
        out = ""
        for key, title in (("plan", "plan"), ("cast(cohort_month as varchar)", "signup cohort")):
            rows = self.rows(f"""
                with weekly as (
                    select date_trunc('week', w.margin_date) as week, {key} as grp,
                           sum(w.revenue_usd) as revenue, sum(w.gross_margin_usd) as margin
                    from marts.fct_margin_waterfall as w
                    left join marts.dim_customers using (customer_id)
                    where {where} group by all
                )
                select week, coalesce(grp, 'unknown'),
                       sum(margin) over last_4, sum(revenue) over last_4
                from weekly
                window last_4 as (partition by grp order by week rows between 3 preceding and current row)
                order by 1, 2""", params)
            fig = go.Figure([go.Scatter(x=[r[0] for r in rows if r[1] == g], y=[_pct(r[2], r[3]) for r in rows if r[1] == g],
                                        name=g, mode="lines+markers") for g in sorted({r[1] for r in rows})])
            out += _chart(f"margin-by-{title.split()[-1]}", fig,
                          f"Gross margin % by {title}, trailing 4 weeks", y_title="%")
        return out

    def features(self) -> str:
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        clauses, params = ["margin_date between ? and ?"], [self.p.start, self.p.end]
        if self.p.feature is not None:
            clauses.append("feature = ?")
            params.append(self.p.feature)
        rows = self.rows(f"""
            select feature, margin_date, margin_pct_3d, margin_pct_7d, margin_floor_pct
            from marts.fct_feature_margin_daily where {' and '.join(clauses)} order by 1, 2""", params)
        names = sorted({r[0] for r in rows})
        fig = make_subplots(rows=len(names) or 1, cols=1, subplot_titles=names, shared_xaxes=True)
        for i, name in enumerate(names, start=1):
            mine = [r for r in rows if r[0] == name]
            for column, label, line in ((2, "3-day margin %", {"color": "#1f77b4"}),
                                        (3, "7-day margin %", {"color": "#ff7f0e"}),
                                        (4, "floor %", {"color": "#d62728", "dash": "dot"})):
                fig.add_trace(go.Scatter(x=[r[1] for r in mine], y=[float(r[column]) if r[column] is not None else None
                                                                   for r in mine],
                                         name=label, legendgroup=label, showlegend=i == 1, mode="lines", line=line),
                              row=i, col=1)
        fig.update_layout(height=max(300, 220 * len(names)))
        table = self.rows("""
            select feature, f.gross_margin_pct, f.mean_usage_cost_per_request_usd, f.p95_cost_per_request_usd,
                   f.p95_margin_pct, d.zone_3d, d.zone_7d
            from marts.fct_feature_margin as f
            left join (select * from marts.fct_feature_margin_daily
                       qualify row_number() over (partition by feature order by margin_date desc) = 1) as d
                using (feature)
            order by 1""")
        return (_chart("feature-floors", fig, "Each feature's 3-day and 7-day margin against its floor", y_title="%")
                + _table("feature-costs", ["feature", "gross margin %", "mean cost / request", "P95 cost / request",
                                           "margin % at P95", "zone 3d", "zone 7d"],
                         [(f, _fmt_pct(m), _usd(mean, 6), _usd(p95, 6), _fmt_pct(pm), z3, z7)
                          for f, m, mean, p95, pm, z3, z7 in table],
                         "Cost per request over the reporting window (fct_feature_margin)"))

    def alerts(self, since: date | None = None) -> str:
        rows = self.rows("""
            select alert_date, severity, alert_type, entity_type, entity_id, metric, metric_value, threshold,
                   primary_cost_driver, primary_cost_driver_change_usd
            from marts.fct_margin_alerts where alert_date between ? and ? order by alert_date, alert_type""",
                         [since or self.p.start, self.p.end])
        return _table("alerts" if since is None else "week-alerts",
                      ["day", "severity", "alert", "entity", "", "metric", "value", "threshold", "primary driver",
                       "driver change, USD"],
                      [(d, s, a, et, e, m, _num(v), _num(t), drv, _usd(chg)) for d, s, a, et, e, m, v, t, drv, chg in rows],
                      f"{len(rows)} alerts")

    def budgets(self) -> str:
        if not self.rows("select count(*) from duckdb_tables() where schema_name = 'marts' "
                         "and table_name = 'fct_budget_status'")[0][0]:
            return "<p>No budgets in this snapshot.</p>"
        rows = self.rows("""
            select budget_id, scope, coalesce(customer_id, '') || coalesce(' / ' || feature, ''), period,
                   amount_usd, spend_usd, utilisation_pct, forecast_usd, status, on_exceed, exceeded_on
            from marts.fct_budget_status order by budget_id""")
        return _table("budgets", ["budget", "scope", "customer / feature", "period", "budget, USD", "spent, USD",
                                  "used", "forecast, USD", "status", "when exceeded", "exceeded on"],
                      [(b, sc, who, p, _usd(a), _usd(sp), _fmt_pct(u), _usd(f), st, on, ex)
                       for b, sc, who, p, a, sp, u, f, st, on, ex in rows],
                      "Budgets in their current period (seed budgets; blocked scopes are on blocklist.json)")

    def weekly_review(self) -> str:
        week_start = self.p.end - timedelta(days=6)  # the last 7 days, whatever weekday the period ends on
        zones = self.rows("""
            select feature, zone_3d, zone_7d, margin_pct_7d, margin_floor_pct from marts.fct_feature_margin_daily
            where margin_date = ? order by 1""", [self.p.end])
        trends = self.rows("""
            select feature, list(margin_pct order by week) from (
                select date_trunc('week', margin_date) as week, feature,
                       sum(gross_margin_usd) * 100 / nullif(sum(revenue_usd), 0) as margin_pct
                from marts.fct_margin_waterfall where margin_date between ? and ? and feature <> 'unallocated'
                group by all) group by 1 order by 1""", [_week_start(self.p.end) - timedelta(days=21), self.p.end])
        movers = self.rows("""
            select customer_id,
                   sum(gross_margin_usd) filter (where margin_date >= ?) as this_week,
                   sum(gross_margin_usd) filter (where margin_date < ?) as last_week
            from marts.fct_margin_waterfall where margin_date between ? and ?
            group by 1 order by abs(coalesce(this_week, 0) - coalesce(last_week, 0)) desc limit 10""",
                           [week_start, week_start, week_start - timedelta(days=7), self.p.end])
        return (f"<p>Week {week_start} to {self.p.end}.</p>"
                + _table("review-zones", ["feature", "zone 3d", "zone 7d", "7-day margin %", "floor %"],
                         [(f, z3, z7, _fmt_pct(m), _fmt_pct(fl)) for f, z3, z7, m, fl in zones], "Zones today")
                + _table("review-trends", ["feature", "weekly margin %, last 4 weeks", "trend"],
                         [(f, " → ".join(_fmt_pct(v) for v in weeks), _trend(weeks)) for f, weeks in trends],
                         "4-week trend per feature")
                + _table("review-movers", ["customer", "margin this week, USD", "last week, USD", "change, USD"],
                         [(c, _usd(a), _usd(b), _usd((a or 0) - (b or 0))) for c, a, b in movers],
                         "Largest margin movers")
                + self.alerts(since=week_start))


    def decisions(self) -> str:
        """The simulations (models/simulations/, `ai-margin simulate`): the improvement backlog, the best
        comparable swap per feature, the price-shock drill and the change forecast beside the actuals."""
        if not self.rows("select count(*) from duckdb_tables() where schema_name = 'simulations'")[0][0]:
            return "<p>No simulations in this snapshot.</p>"
        backlog = self.rows("select priority, kind, coalesce(feature, customer_id), action, usd_per_quarter "
                            "from simulations.sim_margin_backlog order by priority limit 15")
        swaps = self.rows("""
            select feature, current_model, candidate_model, tier, score, current_cost_usd, projected_cost_usd,
                   savings_per_quarter_usd
            from simulations.sim_model_swap where is_comparable and not is_current_model and savings_usd > 0
            qualify row_number() over (partition by feature order by savings_usd desc, candidate_model) = 1
            order by feature""")
        shock = self.rows("""
            select feature, shock_provider || coalesce('/' || shock_model, '') || ' x' || round(shock_factor, 2),
                   margin_before_pct, margin_after_pct, zone_before, zone_after, shock_cost_per_month_usd,
                   array_to_string(swaps_back_to_floor, ', ')
            from simulations.sim_price_shock order by shock_cost_per_month_usd desc, feature""")
        html_out = (
            _table("backlog", ["#", "kind", "feature / customer", "action", "USD a quarter"],
                   [(p, k, who, a, _usd(d)) for p, k, who, a, d in backlog],
                   "Margin-improvement backlog, ranked by dollars a quarter (sim_margin_backlog)")
            + _table("swaps", ["feature", "now", "cheapest comparable", "tier", "MMLU", "cost now, USD",
                               "cost then, USD", "saves a quarter, USD"],
                     [(f, cur, cand, t, _num(sc), _usd(c), _usd(pc), _usd(sv))
                      for f, cur, cand, t, sc, c, pc, sv in swaps],
                     "Model swaps: each feature's calls at the cheapest model of its score tier (sim_model_swap)")
            + _table("shock", ["feature", "shock", "margin %", "after", "zone", "after", "USD a month",
                               "swaps back to the floor"],
                     [(f, sc, _fmt_pct(b), _fmt_pct(a), zb, za, _usd(m), sw) for f, sc, b, a, zb, za, m, sw in shock],
                     "Price-shock drill (sim_price_shock)"))
        forecast = self.rows("""
            select feature, margin_date, sum(gross_margin_usd) * 100 / nullif(sum(revenue_usd), 0),
                   sum(forecast_margin_usd) * 100 / nullif(sum(revenue_usd), 0)
            from simulations.sim_change_forecast
            where feature in (select feature from simulations.sim_change_forecast where change_cost_usd <> 0)
            group by all order by 1, 2""")
        if not forecast:
            return html_out + ("<p>No change scenario: <code>ai-margin simulate change --feature F "
                               "--input-tokens-pct 40</code> draws its forecast here.</p>")
        import plotly.graph_objects as go

        fig = go.Figure()
        for name in sorted({r[0] for r in forecast}):
            mine = [r for r in forecast if r[0] == name]
            for column, label, dash in ((2, "actual", None), (3, "forecast", "dash")):
                fig.add_trace(go.Scatter(x=[r[1] for r in mine],
                                         y=[None if r[column] is None else float(r[column]) for r in mine],
                                         name=f"{name}: {label}", mode="lines", line={"dash": dash}))
        return html_out + _chart("change-forecast", fig, "Daily margin %: actual and with the change (sim_change_forecast)",
                                 y_title="%")


SECTIONS: list[tuple[str, str, Callable[[Report], str]]] = [
    ("summary", "Summary", Report.summary),
    ("over-time", "Revenue, cost and margin over time", Report.over_time),
    ("waterfall", "Margin waterfall", Report.waterfall),
    ("customers", "Margin per customer", Report.customers),
    ("models", "Models and providers", Report.models),
    ("cohorts", "Cohorts and plans", Report.cohorts_and_plans),
    ("features", "Features against their floors", Report.features),
    ("alerts", "Alerts of the period", Report.alerts),
    ("budgets", "Budgets", Report.budgets),
    ("weekly-review", "Weekly review", Report.weekly_review),
    ("decisions", "Decisions: swaps, price shock, change forecast", Report.decisions),
]


def make_report(snapshot: Path, out: Path, start: date | None = None, end: date | None = None,
                feature: str | None = None, customer: str | None = None, model: str | None = None,
                progress: Callable[[int, int, str], None] = lambda i, n, name: None) -> Path:
    import duckdb
    import plotly.offline

    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        first, last = con.execute("select min(margin_date), max(margin_date) from marts.fct_margin_waterfall").fetchone()
        if first is None:
            raise ValueError(f"no margins in {snapshot}: build and publish first")
        period = Period(start or first, end or last, feature, customer, model)
        report = Report(con, period)
        body = ""
        for i, (anchor, title, section) in enumerate(SECTIONS, start=1):
            progress(i, len(SECTIONS), title)
            body += f'<section id="{anchor}"><h2>{html.escape(title)}</h2>{section(report)}</section>\n'
    finally:
        con.close()
    filters = ", ".join(f"{k} {v}" for k, v in (("feature", feature), ("customer", customer), ("model", model)) if v)
    nav = "".join(f'<a href="#{a}">{html.escape(t)}</a>' for a, t, _ in SECTIONS)
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>AI margin report {period.start} to {period.end}</title>
<script>{plotly.offline.get_plotlyjs()}</script>
<style>{STYLE}</style></head><body>
<header><h1>AI margin report</h1><p>{period.start} to {period.end} ({period.days} days, by {period.grain}){
        (", " + html.escape(filters)) if filters else ""}. USD. From the published snapshot {html.escape(str(snapshot))}.</p>
<nav>{nav}</nav></header>
{body}</body></html>"""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


STYLE = """body{font-family:system-ui,sans-serif;margin:0 2rem 3rem;color:#222}nav a{margin-right:1rem}
section{margin-top:2rem;border-top:1px solid #ddd}.kpis{display:flex;gap:2rem;flex-wrap:wrap}
.kpi span{display:block;color:#666;font-size:.85rem}.kpi b{font-size:1.4rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}td,th{border-bottom:1px solid #eee;padding:.2rem .6rem;
text-align:left}caption{text-align:left;font-weight:600;padding:.3rem 0}"""


def _chart(name: str, fig, title: str, y_title: str = "USD") -> str:
    fig.update_layout(title=title, margin={"t": 50, "l": 60, "r": 20, "b": 40}, template="plotly_white")
    fig.update_yaxes(title=y_title)
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{name}",
                       config={"displaylogo": False, "responsive": True})


def _table(name: str, headers: list[str], rows: list[tuple], caption: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    return (f'<table id="table-{name}"><caption>{html.escape(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _bucket(grain: str, column: str) -> str:
    return column if grain == "day" else f"cast(date_trunc('{grain}', {column}) as date)"


def _pct(margin, revenue) -> float | None:
    """Gross margin % for display; none where revenue is zero or negative, as in the marts."""
    return round(float(margin) / float(revenue) * 100, 2) if revenue and revenue > 0 else None


def _trend(weeks: list) -> str:
    values = [v for v in weeks if v is not None]
    if len(values) < 2:
        return "not enough weeks"
    change = float(values[-1]) - float(values[0])
    return "improving" if change > TREND_POINTS else "degrading" if change < -TREND_POINTS else "stable"


def _usd(value, places: int = 2) -> str:
    if value is None:
        return ""
    return f"{'-' if value < 0 else ''}${abs(Decimal(value)):,.{places}f}"


def _week_start(day: date) -> date:
    """The Monday of `day`'s week (ISO weeks, as DuckDB's date_trunc('week'))."""
    return day - timedelta(days=day.weekday())


def _fmt_pct(value) -> str:
    return "n/a" if value is None else f"{float(value):.1f}%"


def _project_var(name: str):
    """A var's value in dbt_project.yml (the report reads the snapshot, not dbt)."""
    import yaml

    from ai_margin.paths import PROJECT_DIR

    return yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"][name]


def _num(value) -> str:
    return "" if value is None else f"{Decimal(value).normalize():f}"

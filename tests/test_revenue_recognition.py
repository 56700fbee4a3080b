"""Revenue recognition on the demo, checked against the raw Stripe files without the project's models.

The recomputation below reads the exported Stripe objects and the marketplace revenue events and
follows Stripe Revenue Recognition's rules as its documentation tells them, step by step: each invoice
line's amount (net of discounts and tax) is deferred and recognised evenly over its service period,
paid or not; a credit note or refund moves the same share of what was recognised to contra revenue
and takes the same share off what is still deferred; a voided credit note gives back its contra and
the days it held back; a voided invoice reverses everything. It keeps exact fractions day by day;
only the line's recognised total at each end of the reporting window is rounded to the cent (the
project's stated rounding), so any difference from the marts is a difference in the rules.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from conftest import query_warehouse

PROJECT = Path(__file__).resolve().parents[1]


_rows = query_warehouse


def _stripe_objects(data_dir: Path, kind: str) -> list[dict]:
    return [obj for page in sorted((data_dir / "stripe" / kind).glob("*.json"))
            for obj in json.loads(page.read_text())["data"]]


def _day(ts: int) -> date:
    return datetime.fromtimestamp(ts, tz=timezone.utc).date()


def _round_cents(value: Fraction) -> int:
    """Minor units, half away from zero."""
    magnitude = (2 * abs(value.numerator) + value.denominator) // (2 * value.denominator)
    return magnitude if value >= 0 else -magnitude


class Line:
    """One performance obligation: an amount deferred and recognised evenly over its service days."""

    def __init__(self, amount: int, start: date, days: int, effective: date | None = None):
        self.start, self.days = start, max(days, 1)
        self.amount = Fraction(0) if effective else Fraction(amount)
        self.events: dict[date, list] = defaultdict(list)
        if effective:  # a refund or credit outside Stripe: nothing before the day it occurred
            self.events[effective].append(("start", Fraction(amount)))

    def recognised_by_day(self, last_day: date) -> dict[date, Fraction]:
        """Recognised to date (net of contra revenue) at the end of every day up to last_day."""
        amount = self.amount
        recognised, deferred = Fraction(0), amount
        held_back = {}  # credit note id -> (amount, day it took effect): what a void gives back
        first = min([self.start, *self.events])
        out, day = {}, first
        while day <= last_day:
            elapsed = min(max((day - self.start).days, 0), self.days)
            for kind, *args in self.events.get(day, []):
                if kind == "start":  # all the days already served, at once; the rest deferred
                    amount = args[0]
                    recognised, deferred = amount * elapsed / self.days, amount * (self.days - elapsed) / self.days
                elif kind == "credit":  # credit note or refund: the same share of both
                    credit, note = Fraction(args[0]), args[1]
                    if amount:
                        recognised -= recognised * credit / amount
                        deferred -= deferred * credit / amount
                    amount -= credit
                    if note:
                        held_back[note] = credit
                elif kind == "void_credit":  # the credit note's share comes back, deferred and recognised
                    credit = held_back.pop(args[0])
                    recognised += credit * elapsed / self.days
                    deferred += credit * (self.days - elapsed) / self.days
                    amount += credit
                elif kind == "void":
                    recognised = deferred = amount = Fraction(0)
            if self.start <= day < self.start + timedelta(days=self.days):
                remaining = (self.start + timedelta(days=self.days) - day).days
                today = deferred / remaining
                recognised += today
                deferred -= today
            out[day] = recognised
            day += timedelta(days=1)
        return out


def _stripe_lines(data_dir: Path) -> list[tuple[str, Line]]:
    """(Stripe customer, line) for every invoice line, with the documents that changed it."""
    invoices = {inv["id"]: inv for inv in _stripe_objects(data_dir, "invoices")}
    credit_notes = _stripe_objects(data_dir, "credit_notes")
    refunded_by_note = {r["refund"] for note in credit_notes for r in note.get("refunds") or []}
    by_payment = {p["payment"]["payment_intent"]: inv["id"] for inv in invoices.values()
                  for p in inv["payments"]["data"]}
    lines, by_id = [], {}
    for inv in invoices.values():
        if inv["status"] not in ("open", "paid", "uncollectible", "void"):
            continue
        for item in inv["lines"]["data"]:
            tax_included = sum(t["amount"] for t in item.get("taxes") or [] if t["tax_behavior"] == "inclusive")
            net = item["amount"] - sum(d["amount"] for d in item["discount_amounts"]) - tax_included
            start = _day(item["period"]["start"])
            line = Line(net, start, (_day(item["period"]["end"]) - start).days)
            if inv["status"] == "void":
                line.events[_day(inv["status_transitions"]["voided_at"])].append(("void",))
            lines.append((inv["customer"], line))
            by_id[item["id"]] = (inv["id"], line)
    for note in credit_notes:
        named = [cl["invoice_line_item"] for cl in note["lines"]["data"] if cl.get("invoice_line_item")]
        targets = [by_id[i][1] for i in named] or [line for i, (inv, line) in by_id.items() if inv == note["invoice"]]
        assert len(targets) == 1, "the demo credits one line per credit note"
        targets[0].events[_day(note["effective_at"])].append(("credit", note["total_excluding_tax"], note["id"]))
        if note["status"] == "void":
            targets[0].events[_day(note["voided_at"])].append(("void_credit", note["id"]))
    for refund in _stripe_objects(data_dir, "refunds"):
        if refund["status"] != "succeeded" or refund["id"] in refunded_by_note:
            continue
        inv = invoices[refund["metadata"].get("invoice") or by_payment[refund["payment_intent"]]]
        pre_tax = _round_cents(Fraction(refund["amount"] * inv["total_excluding_tax"], inv["total"]))
        [line] = [line for i, (inv_id, line) in by_id.items() if inv_id == inv["id"]]
        line.events[_day(refund["created"])].append(("credit", pre_tax, None))
    return lines


def _marketplace_lines(data_dir: Path) -> list[tuple[str, str, Line]]:
    """(customer, currency, line) for the revenue events billed outside Stripe."""
    out = []
    for raw in (data_dir / "revenue" / "marketplace.jsonl").read_text().splitlines():
        event = json.loads(raw)
        minor = int(event["amount_minor"]) if "amount_minor" in event else int(Decimal(event["amount"]) * 100)
        occurred = date.fromisoformat(event["occurred_at"][:10])
        start = date.fromisoformat(event.get("service_period_start") or occurred.isoformat())
        end = date.fromisoformat(event.get("service_period_end") or start.isoformat())
        if event.get("kind") in ("refund", "credit"):
            out.append((event["customer_id"], event["currency"], Line(-abs(minor), start, (end - start).days + 1,
                                                                      effective=occurred)))
        else:
            out.append((event["customer_id"], event["currency"], Line(minor, start, (end - start).days + 1)))
    return out


def test_each_customers_revenue_equals_a_recomputation_from_the_raw_stripe_files(demo):
    data_dir, m = demo["data_dir"], demo["manifest"]
    first, last = date.fromisoformat(m["start_date"]), date.fromisoformat(m["end_date"])
    app_id = {c["id"]: c["metadata"]["customer_id"] for c in _stripe_objects(data_dir, "customers")}
    with open(PROJECT / "seeds" / "fx_rates.csv") as fh:
        rate = {row["currency"]: Decimal(row["rate_to_reporting"]) for row in csv.DictReader(fh)}

    expected: dict[str, Decimal] = defaultdict(Decimal)
    lines = [(app_id[c], "USD", line) for c, line in _stripe_lines(data_dir)] + _marketplace_lines(data_dir)
    for customer, currency, line in lines:
        by_day = line.recognised_by_day(last)
        in_window = _round_cents(by_day.get(last, Fraction(0))) - _round_cents(
            by_day.get(first - timedelta(days=1), Fraction(0)))
        expected[customer] += Decimal(in_window) / 100 * rate[currency]

    actual = dict(_rows(demo["warehouse"], "select customer_id, revenue_usd from marts.fct_customer_margin"))
    differences = {c: (expected.get(c, Decimal(0)), actual.get(c, Decimal(0)))
                   for c in set(expected) | set(actual) if expected.get(c, Decimal(0)) != actual.get(c, Decimal(0))}
    assert len([c for c in expected if expected[c]]) > 100
    assert not differences, differences


def test_the_demo_holds_every_kind_of_document_and_each_ties_out(demo):
    data_dir, wh = demo["data_dir"], demo["warehouse"]
    invoices = _stripe_objects(data_dir, "invoices")
    credit_notes = _stripe_objects(data_dir, "credit_notes")
    recognised = dict(_rows(wh, "select revenue_source_id, sum(original_amount_minor) "
                                "from intermediate.int_revenue_recognized_daily group by 1"))

    # a tax-inclusive invoice: its revenue excludes the GST inside the price
    inclusive = [inv for inv in invoices if any(t["tax_behavior"] == "inclusive" for t in inv["lines"]["data"][0]["taxes"])]
    assert inclusive
    for inv in inclusive:
        assert inv["tax"] > 0 and inv["total"] == inv["subtotal"]
        assert recognised[inv["lines"]["data"][0]["id"]] == inv["total"] - inv["tax"] == inv["total_excluding_tax"]

    # a voided invoice (a copy voided three days after it was issued): its days until then, all reversed
    [void] = [inv for inv in invoices if inv["status"] == "void"]
    void_line = void["lines"]["data"][0]["id"]
    days = dict(_rows(wh, "select revenue_date, original_amount_minor from intermediate.int_revenue_recognized_daily "
                          "where revenue_source_id = ?", [void_line]))
    voided_on = _day(void["status_transitions"]["voided_at"])
    assert len(days) == 4 and days[voided_on] < 0 and recognised[void_line] == 0

    # a refund through a credit note is taken off once, with the credit note
    refunded = [note for note in credit_notes if note["refunds"]]
    assert refunded
    for note in refunded:
        line_id = note["lines"]["data"][0]["invoice_line_item"]
        [inv] = [inv for inv in invoices if inv["id"] == note["invoice"]]
        assert recognised[line_id] == inv["total_excluding_tax"] - note["total_excluding_tax"]

    # a voided credit note takes its share off on its day and gives it back on its void day
    [voided] = [note for note in credit_notes if note["status"] == "void"]
    line_id = voided["lines"]["data"][0]["invoice_line_item"]
    [inv] = [inv for inv in invoices if inv["id"] == voided["invoice"]]
    assert recognised[line_id] == inv["total_excluding_tax"]
    restated = dict(_rows(wh, "select revenue_date, original_restated_minor from intermediate.int_revenue_recognized_daily "
                              "where revenue_source_id = ? and original_restated_minor <> 0", [line_id]))
    assert restated[_day(voided["effective_at"])] < 0 < restated[_day(voided["voided_at"])]

    # the build's tie-outs (Stripe net invoiced, revenue events, monthly = daily) passed: `ai-margin run`,
    # which the demo fixture requires to succeed, fails on any failing test but the margin floors


def test_clean_period_alerts_are_not_caused_by_refunds_or_credit_notes(demo):
    data_dir, wh, m = demo["data_dir"], demo["warehouse"], demo["manifest"]
    first_scenario = date.fromisoformat(min(m["scenarios"].values()))
    app_id = {c["id"]: c["metadata"]["customer_id"] for c in _stripe_objects(data_dir, "customers")}
    adjusted = {(app_id[note["customer"]], _day(note["effective_at"])) for note in _stripe_objects(data_dir, "credit_notes")}
    adjusted |= {(app_id[r["customer"]], _day(r["created"])) for r in _stripe_objects(data_dir, "refunds")}
    in_clean_period = {(c, d) for c, d in adjusted if date.fromisoformat(m["start_date"]) <= d < first_scenario}
    assert len(in_clean_period) >= 3, "the demo has refunds and credit notes in its clean period"

    alerts = _rows(wh, "select alert_date, alert_type, entity_type, entity_id from marts.fct_margin_alerts "
                       "where alert_date < ?", [first_scenario])
    # an alert on a customer within a week after one of its refunds or credit notes took effect
    caused = [a for a in alerts if a[2] == "customer"
              and any(c == a[3] and 0 <= (a[0] - d).days < 7 for c, d in in_clean_period)]
    assert not caused, caused
    # the customers refunded or credited are still judged on the days their documents took effect
    judged = {(c, d) for c, d in _rows(wh, "select entity_id, alert_date from alerts.alert_conditions "
                                           "where alert_type = 'customer_cost_to_revenue_high'")}
    assert {(c, d) for c, d in in_clean_period if (c, d) in judged}


def test_margin_pct_is_null_where_revenue_is_not_positive(demo):
    wh = demo["warehouse"]
    negative, misleading = _rows(wh, """
        select count(*) filter (where revenue_usd < 0),
               count(*) filter (where revenue_usd <= 0 and gross_margin_pct is not null)
        from marts.fct_margin_waterfall""")[0]
    assert negative > 0 and misleading == 0
    assert _rows(wh, "select count(*) from marts.fct_customer_margin "
                     "where revenue_usd <= 0 and gross_margin_pct is not null")[0][0] == 0

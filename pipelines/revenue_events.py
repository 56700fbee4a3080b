"""dlt source: revenue events from billing outside Stripe (`revenue/*.jsonl`, `*.csv`).

Contract fields: event_id, occurred_at, customer_id, amount_minor (integer minor units) or amount
(decimal), currency, optional kind (charge, refund, credit), feature, service_period_start/end.
Amounts are stored as integer minor units of their currency (a decimal amount with more decimals than
the currency has is quarantined, never rounded). Records that break the
contract are loaded into `revenue_quarantine` with file, line and reason, never dropped.
Events are merged on event_id, so a re-delivered event counts once.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dlt

from pipelines._files import Bounds, read_each_file

BOUNDS = Bounds()

KINDS = ("charge", "refund", "credit")


def _minor_unit_exponents() -> dict[str, int]:
    """Currencies whose minor unit is not 1/100, from the dbt project's vars (shared with SQL)."""
    import yaml

    from ai_margin.paths import PROJECT_DIR

    project_vars = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    return {**dict.fromkeys(project_vars["zero_decimal_currencies"], 0),
            **dict.fromkeys(project_vars["three_decimal_currencies"], 3)}


EXPONENTS = _minor_unit_exponents()


def _check(record: dict) -> tuple[dict | None, str | None]:
    """(normalised event, None) or (None, reason)."""
    missing = [f for f in ("event_id", "occurred_at", "customer_id", "currency") if not record.get(f)]
    if record.get("amount_minor") in (None, "") and record.get("amount") in (None, ""):
        missing.append("amount_minor or amount")
    if missing:
        return None, "missing " + ", ".join(missing)
    currency = str(record["currency"]).upper()
    if len(currency) != 3 or not currency.isalpha():
        return None, "currency is not an ISO 4217 code"
    try:
        if record.get("amount_minor") not in (None, ""):
            minor = Decimal(str(record["amount_minor"]))
            if minor != minor.to_integral_value():
                return None, "amount_minor is not an integer"
        else:  # a decimal amount must be whole minor units of its currency: never rounded silently
            minor = Decimal(str(record["amount"])).scaleb(EXPONENTS.get(currency, 2))
            if minor != minor.to_integral_value():
                return None, f"amount has more decimals than {currency} allows"
    except InvalidOperation:
        return None, "amount is not a number"
    kind = (record.get("kind") or "charge").lower()
    if kind not in KINDS:
        return None, f"unknown kind {kind!r}"
    try:
        occurred = str(record["occurred_at"]).strip()
        # unix seconds are UTC; a date alone is a UTC day; a time of day needs its offset (the contract's),
        # never the time zone of the machine that loads it
        # unix seconds have more digits than a compact date (20261101)
        is_epoch = occurred.replace(".", "", 1).isdigit() and len(occurred.split(".")[0]) > 8
        occurred_at = datetime.fromtimestamp(float(occurred), tz=timezone.utc) if is_epoch \
            else datetime.fromisoformat(occurred.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None, "occurred_at is not a timestamp"
    if occurred_at.tzinfo is None:
        if len(occurred) > 10:
            return None, "occurred_at has no UTC offset"
        occurred_at = occurred_at.replace(tzinfo=timezone.utc)
    # the usage loader's time bounds: one stray date must not stretch every date range
    if occurred_at > datetime.now(timezone.utc) + timedelta(minutes=BOUNDS.max_future_minutes):
        return None, "occurred_at in the future"
    if occurred_at < datetime.fromisoformat(BOUNDS.min_occurred_at).replace(tzinfo=timezone.utc):
        return None, f"occurred_at before {BOUNDS.min_occurred_at}"
    return {
        "event_id": str(record["event_id"]), "occurred_at": occurred_at, "customer_id": str(record["customer_id"]),
        "amount_minor": int(minor), "currency": currency, "kind": kind,
        "feature": record.get("feature") or None,
        "service_period_start": record.get("service_period_start") or None,
        "service_period_end": record.get("service_period_end") or None,
    }, None


def _file_records(path: Path, folder: Path) -> list[tuple]:
    """(file, row, event or None, raw text, reason) of each record of one file, read whole."""
    rel = path.relative_to(folder).as_posix()
    out = []
    with open(path, newline="", encoding="utf-8-sig") as fh:  # utf-8-sig: a BOM must not hide the header
        if path.suffix == ".csv":
            rows = [(n, row, json.dumps(row)) for n, row in enumerate(csv.DictReader(fh), start=2)]
        else:
            rows = [(n, line, line.strip()) for n, line in enumerate(fh, start=1) if line.strip()]
    for n, row, raw in rows:
        if isinstance(row, str):
            try:
                row = json.loads(row, parse_float=Decimal)
            except json.JSONDecodeError:
                out.append((rel, n, None, raw, "not a JSON object"))
                continue
            if not isinstance(row, dict):
                out.append((rel, n, None, raw, "not a JSON object"))
                continue
        event, reason = _check(row)
        out.append((rel, n, event, raw, reason))
    return out


@dlt.source(name="revenue_events", max_table_nesting=0)
def revenue_source(revenue_dir: str = dlt.config.value):
    folder = Path(revenue_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"revenue directory not found: {folder}")

    @dlt.resource(name="revenue_events", write_disposition="merge", primary_key="event_id",
                  columns={"amount_minor": {"data_type": "bigint"}, "feature": {"data_type": "text"},
                           "service_period_start": {"data_type": "date"},
                           "service_period_end": {"data_type": "date"}})
    def events():
        quarantined = []
        paths = sorted(p for p in folder.rglob("*") if p.suffix in (".jsonl", ".csv"))
        for item in read_each_file("revenue_events", paths, folder, lambda path: _file_records(path, folder)):
            if not isinstance(item, tuple):  # the file log (source_files), passed through
                yield item
                continue
            rel, n, event, raw, reason = item
            if event is not None:
                yield {**event, "source_file": rel, "source_row": n}
            else:
                quarantined.append({"source_file": rel, "source_row": n, "raw_text": raw[:4000], "reason": reason})
        if quarantined:
            yield dlt.mark.with_hints(quarantined, dlt.mark.make_hints(
                table_name="revenue_quarantine", write_disposition="merge",
                primary_key=("source_file", "source_row")), create_table_variant=True)

    return events

"""Read the day's alerts from fct_margin_alerts, print them, and post new ones to a webhook once.

Which alerts went to which webhook is kept in the warehouse table `alerting.sent_alerts` (alert id,
a SHA-256 of the webhook URL, time sent), so a rerun, a rebuild or a full refresh never sends an alert
twice. The URL itself is never stored or printed: webhook URLs often carry a token.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import duckdb

SENT_TABLE = "alerting.sent_alerts"


class AlertError(Exception):
    pass


def _jsonable(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # plain digits, never exponent notation
    if isinstance(value, date):
        return value.isoformat()
    return value


def read_alerts(con: duckdb.DuckDBPyConnection, day: date | None, since: date | None) -> tuple[date | None, list[dict]]:
    """Alerts of `day` (default: the as-of day, the last day in the waterfall) or of every day from `since`."""
    try:
        as_of = con.execute("select max(margin_date) from marts.fct_margin_waterfall").fetchall()[0][0]
        if since is not None:
            where, params = "alert_date >= ?", [since]
        else:
            day = day or as_of
            where, params = "alert_date = ?", [day]
        cur = con.execute(f"""
            select * from marts.fct_margin_alerts where {where}
            order by alert_date, case severity when 'critical' then 0 else 1 end, alert_type, entity_id
        """, params)
    except duckdb.CatalogException as exc:
        raise AlertError("the marts are not built yet (run `ai-margin run` first)") from exc
    names = [d[0] for d in cur.description]
    return day, [{k: _jsonable(v) for k, v in zip(names, row)} for row in cur.fetchall()]


def format_alert(a: dict) -> str:
    change = f" ({Decimal(a['change_vs_baseline_pct']):+,.1f}% vs baseline {_short(a['baseline_value'])})" \
        if a.get("change_vs_baseline_pct") is not None else ""
    threshold = f", threshold {_short(a['threshold'])}" if a.get("threshold") is not None else ""
    driver = f"; driver {a['primary_cost_driver']} ({_signed_usd(a['primary_cost_driver_change_usd'])}/day)" \
        if a.get("primary_cost_driver") else ""
    note = f" [{a['note']}]" if a.get("note") else ""
    return (f"{a['alert_date']}  {a['severity'].upper():<8} {a['alert_type']:<30} {a['entity_type']} {a['entity_id']}: "
            f"{a['metric']} = {_short(a['metric_value'])}{threshold}{change}, {a['trend']}{driver}{note}")


def _short(value) -> str:
    if value is None:
        return "n/a"
    d = Decimal(str(value))
    return f"{d:,.4f}".rstrip("0").rstrip(".") if abs(d) < 100 else f"{d:,.2f}"


def _signed_usd(value) -> str:
    if value is None:
        return "n/a"
    d = Decimal(str(value))
    return f"{'+' if d >= 0 else '-'}${abs(d):,.2f}"


def webhook_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}/…"


def _retry_after(response) -> float:
    """Seconds a 429 or 503 asks us to wait (Retry-After in seconds), capped at a minute."""
    value = response.headers.get("Retry-After", "")
    return min(float(value), 60.0) if value.strip().isdigit() else 0.0


def post_new_alerts(warehouse: Path, alerts: list[dict], url: str, say: Callable[[str], None] = print,
                    attempts: int = 4, timeout: float = 10.0) -> int:
    """POST each alert not yet sent to `url`, one JSON document per alert, and mark it sent as soon as
    the receiver accepts it. Returns how many were sent.

    At most once from the receiver's view: every attempt at an alert carries the alert id as its
    `Idempotency-Key`, in this run and the next, so a receiver that timed us out but got the alert can
    drop the repeat. One delivery at a time per warehouse (a lock file beside it)."""
    import requests

    key = webhook_key(url)
    with _delivery_lock(warehouse):
        con = duckdb.connect(str(warehouse))
        try:
            con.execute("create schema if not exists alerting")
            con.execute(f"create table if not exists {SENT_TABLE} (alert_id varchar, webhook_sha256 varchar, "
                        "sent_at timestamp, primary key (alert_id, webhook_sha256))")
            sent = {r[0] for r in con.execute(f"select alert_id from {SENT_TABLE} where webhook_sha256 = ?",
                                              [key]).fetchall()}
            new = [a for a in alerts if a["alert_id"] not in sent]
            if not new:
                say(f"Webhook {_redacted(url)}: nothing new to send ({len(alerts)} already sent)")
                return 0
            for n, alert in enumerate(new):
                try:
                    _post_one(requests, url, alert, attempts, timeout)
                except AlertError as exc:
                    raise AlertError(f"{exc}; {n} of {len(new)} new alert(s) were sent and marked, "
                                     "the rest go with the next run") from None
                con.execute(f"insert into {SENT_TABLE} values (?, ?, now())", [alert["alert_id"], key])
            say(f"Webhook {_redacted(url)}: sent {len(new)} new alert(s)"
                + (f", {len(alerts) - len(new)} already sent" if len(alerts) > len(new) else ""))
            return len(new)
        finally:
            con.close()


def _post_one(requests, url: str, alert: dict, attempts: int, timeout: float) -> None:
    """POST one alert, retrying connection errors, timeouts, 429 and 5xx (honouring Retry-After)."""
    body = {"source": "ai-margin", "alerts": [alert]}
    headers = {"Idempotency-Key": alert["alert_id"]}
    wait = 0.0
    for attempt in range(1, attempts + 1):
        try:
            response = requests.post(url, json=body, timeout=timeout, headers=headers)
        except requests.RequestException as exc:
            problem = f"cannot reach it ({type(exc).__name__})"
        else:
            if response.ok:
                return
            problem = f"HTTP {response.status_code}"
            if response.status_code < 500 and response.status_code != 429:
                raise AlertError(f"webhook {_redacted(url)} refused alert {alert['alert_id']}: {problem}")
            wait = _retry_after(response)
        if attempt == attempts:
            raise AlertError(f"webhook {_redacted(url)} failed after {attempts} attempts: {problem}")
        time.sleep(max(wait, 0.5 * 2 ** (attempt - 1)))
        wait = 0.0


@contextmanager
def _delivery_lock(warehouse: Path):
    """One `ai-margin alerts --webhook` at a time per warehouse: a second one says so and stops."""
    lock_path = warehouse.with_name(warehouse.name + ".alerts.lock")
    with open(lock_path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlertError("another `ai-margin alerts --webhook` is delivering from this warehouse; "
                             "run it again when that one ends") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def dumps(day: date | None, alerts: list[dict]) -> str:
    return json.dumps({"as_of_date": day.isoformat() if day else None, "alerts": alerts}, indent=2)

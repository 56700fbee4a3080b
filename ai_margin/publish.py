"""A read-only copy of the marts that BI tools and analysts read while the next build writes.

DuckDB lets one process write a file or many read it, never both. So each publish writes a new snapshot
folder beside the warehouse and then points `current` at it:

    <warehouse dir>/<name>.published/
        current -> snapshots/<UTC time>     (a symbolic link, swapped atomically)
        snapshots/<UTC time>/<name>.duckdb  (schemas marts and simulations: every table; read-only for readers)
        snapshots/<UTC time>/parquet/<table>.parquet
        snapshots/<UTC time>/snapshot.json  (when, from which warehouse, row counts)
        snapshots/<UTC time>/blocklist.json (the budgets that block, for the SDK guard: ai_margin.sdk)

A reader opens `current/<name>.duckdb` (or the Parquet files) and sees one whole snapshot: the one
`current` named when it opened the file. The swap is a rename of a link, which POSIX makes atomic, so no
reader sees a half-written snapshot. Older snapshots are removed, all but the last KEEP: a reader that
still has one open keeps reading it (an open file outlives its name).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

KEEP = 2
# the marts, and the simulations (scenarios BI tools and the report read beside them)
SCHEMAS = ("marts", "simulations")
# How long the SDK guard may use a blocklist before fetching it again (env AI_MARGIN_BLOCKLIST_TTL).
BLOCKLIST_TTL_SECONDS = 60


class NothingToPublish(ValueError):
    """The warehouse has no mart tables yet."""


def published_dir(warehouse: Path) -> Path:
    return warehouse.parent / f"{warehouse.stem}.published"


def current_snapshot(warehouse: Path) -> Path:
    """The DuckDB file readers should open."""
    return published_dir(warehouse) / "current" / f"{warehouse.stem}.duckdb"


def publish(warehouse: Path, say=print) -> Path:
    """Copy every mart and simulation table into a new snapshot and make it `current`; returns the
    snapshot folder."""
    import duckdb

    ttl = blocklist_ttl()  # checked before anything is written
    root = published_dir(warehouse)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    folder = root / "snapshots" / stamp
    (folder / "parquet").mkdir(parents=True)
    snapshot = folder / f"{warehouse.stem}.duckdb"
    con = duckdb.connect()
    try:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'warehouse' "
            "and list_contains(?, schema_name) order by 1, 2", [list(SCHEMAS)]).fetchall()
        if not any(schema == "marts" for schema, _ in tables):
            raise NothingToPublish(f"no tables in schema marts of {warehouse}: build first")
        con.execute(f"attach '{snapshot}' as snapshot")
        counts = {}
        for schema in sorted({schema for schema, _ in tables}):
            con.execute(f"create schema snapshot.{schema}")
        for schema, table in tables:
            source = f'warehouse.{schema}."{table}"'
            con.execute(f'create table snapshot.{schema}."{table}" as select * from {source}')
            con.execute(f"copy {source} to '{folder / 'parquet' / (table + '.parquet')}' (format parquet)")
            counts[table] = con.execute(f'select count(*) from snapshot.{schema}."{table}"').fetchone()[0]
        tables = [table for _, table in tables]
        blocked = _blocked(con) if "fct_budget_status" in tables else []
        (folder / "snapshot.json").write_text(json.dumps(
            {"published_at": stamp, "warehouse": str(warehouse), "schemas": list(SCHEMAS), "rows": counts}, indent=1))
        (folder / "blocklist.json").write_text(
            blocklist_document(blocked, datetime.now(timezone.utc).isoformat(), ttl))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        con.close()
    _point_current_at(root, folder)
    _remove_old_snapshots(root)
    say(f"Published {len(tables)} tables (marts, simulations) to {root / 'current'} (snapshot {stamp})")
    return folder


def _blocked(con) -> list[dict]:
    rows = con.execute("""
        select scope, customer_id, feature, budget_id, period, amount, currency, spend_usd, as_of_date, exceeded_on,
               period_end
        from snapshot.marts.fct_budget_status where is_blocked order by budget_id""").fetchall()
    return [{"scope": scope, "customer_id": customer, "feature": feature, "budget_id": budget,
             "reason": f"{'daily' if period == 'day' else 'monthly'} budget {budget} of {amount:,.2f} {currency} "
                       f"exceeded: {spend:,.2f} USD spent by {as_of}",
             "since": exceeded_on.isoformat(), "until": period_end.isoformat()}
            for scope, customer, feature, budget, period, amount, currency, spend, as_of, exceeded_on, period_end
            in rows]


def blocklist_ttl() -> int:
    """Seconds a guard may use a blocklist before reading it again: env AI_MARGIN_BLOCKLIST_TTL, else 60."""
    value = os.environ.get("AI_MARGIN_BLOCKLIST_TTL", str(BLOCKLIST_TTL_SECONDS))
    if not value.isdigit() or int(value) <= 0:
        raise ValueError(f"AI_MARGIN_BLOCKLIST_TTL must be a whole number of seconds above 0, not {value!r}")
    return int(value)


def blocklist_document(blocked: list[dict], generated_at: str, ttl: int = BLOCKLIST_TTL_SECONDS) -> str:
    """The blocklist the SDK guard reads. Its version is a digest of the blocked entries, so an unchanged
    list keeps its version (and ETag) from one publish to the next."""
    entries = json.dumps(blocked, sort_keys=True)
    return json.dumps({"version": hashlib.sha256(entries.encode()).hexdigest()[:16], "generated_at": generated_at,
                       "ttl_seconds": ttl,
                       "blocked": blocked}, indent=1)


def _point_current_at(root: Path, folder: Path) -> None:
    link = root / "current"
    staged = root / f".current-{folder.name}"
    staged.unlink(missing_ok=True)
    staged.symlink_to(folder.relative_to(root))
    os.replace(staged, link)  # atomic: readers see the old snapshot or the new one


def _remove_old_snapshots(root: Path) -> None:
    current = (root / "current").resolve()
    snapshots = sorted((root / "snapshots").iterdir())
    for old in snapshots[:-KEEP]:
        if old.resolve() != current:
            shutil.rmtree(old, ignore_errors=True)

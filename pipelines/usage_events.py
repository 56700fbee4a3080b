"""dlt source: application usage events (one record per AI call), per shared/contracts/INPUTS.md.

Fast path: every file is parsed, typed and validated by DuckDB in one vectorised query and handed to
dlt as Arrow tables; Python never touches individual records.

Three tables land in the `raw_usage` dataset:
- `usage_events`      valid events, merged on `event_id` (a re-delivered id is counted once)
- `usage_quarantine`  rejected records with source file, row number, raw text (content removed), reason
- `usage_files`       one row per file version read: fingerprint, counts, when

Files already loaded are skipped by their fingerprint (size, mtime, content hash) kept in dlt state,
which dlt commits atomically with the data: a failed run loads nothing and the next one resumes.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import dlt
import duckdb
import pyarrow as pa

# Contract fields and their types; the OpenTelemetry GenAI attribute names are accepted as aliases.
FIELDS: dict[str, str] = {
    "event_id": "VARCHAR", "occurred_at": "TIMESTAMPTZ", "customer_id": "VARCHAR", "feature": "VARCHAR",
    "provider": "VARCHAR", "model": "VARCHAR", "operation": "VARCHAR",
    "input_tokens": "BIGINT", "output_tokens": "BIGINT", "cache_read_input_tokens": "BIGINT",
    "cache_creation_input_tokens": "BIGINT", "cache_creation_1h_input_tokens": "BIGINT",
    "reasoning_output_tokens": "BIGINT", "quantity": "DECIMAL(38,9)", "unit": "VARCHAR",
    "service_tier": "VARCHAR", "status": "VARCHAR", "is_retry": "BOOLEAN", "app_cache_hit": "BOOLEAN",
    "workflow_id": "VARCHAR", "request_id": "VARCHAR", "latency_ms": "DOUBLE",
    "reported_cost": "DECIMAL(38,12)", "reported_cost_currency": "VARCHAR", "prompt_version": "VARCHAR",
    "environment": "VARCHAR", "attributes": "JSON",
}
REQUIRED = ("event_id", "occurred_at", "customer_id", "feature", "provider", "model")
DEFAULTS = {"operation": "'chat'", "input_tokens": "0", "output_tokens": "0", "cache_read_input_tokens": "0",
            "cache_creation_input_tokens": "0", "cache_creation_1h_input_tokens": "0",
            "reasoning_output_tokens": "0", "service_tier": "'standard'", "status": "'ok'",
            "is_retry": "false", "app_cache_hit": "false", "environment": "'production'"}
COUNTS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens",
          "cache_creation_1h_input_tokens", "reasoning_output_tokens")
ALIASES: dict[str, tuple[str, ...]] = {
    "provider": ("gen_ai.provider.name", "gen_ai.system"),
    "model": ("gen_ai.response.model", "gen_ai.request.model"),
    "operation": ("gen_ai.operation.name",),
    "input_tokens": ("gen_ai.usage.input_tokens",),
    "output_tokens": ("gen_ai.usage.output_tokens",),
    "cache_read_input_tokens": ("gen_ai.usage.cache_read.input_tokens",),
    "cache_creation_input_tokens": ("gen_ai.usage.cache_creation.input_tokens",),
    "reasoning_output_tokens": ("gen_ai.usage.reasoning.output_tokens",),
    "request_id": ("gen_ai.response.id",),
}
# Prompts and completions never enter the warehouse.
CONTENT_FIELDS = ("prompt", "messages", "input", "output", "completion", "content",
                  "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions")
KNOWN = set(FIELDS) | {a for names in ALIASES.values() for a in names} | set(CONTENT_FIELDS)
SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".json.gz", ".parquet", ".csv", ".csv.gz")
RAW_TEXT_LIMIT = 4000


@dataclass
class FileReport:
    path: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    duplicates_in_file: int = 0
    content_fields_dropped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class UsageLoadReport:
    files_seen: int = 0
    files_skipped: int = 0
    files: list[FileReport] = field(default_factory=list)

    def total(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    def reasons(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            for reason, n in f.reasons.items():
                out[reason] = out.get(reason, 0) + n
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _list_sql(values) -> str:
    return "[" + ", ".join(_sql_str(v) for v in values) + "]"


def _nullable(table: pa.Table) -> pa.Table:
    """Same schema for every file (DuckDB marks some columns NOT NULL depending on the file)."""
    return table.cast(pa.schema([f.with_nullable(True) for f in table.schema]))


def discover_files(usage_dir: Path) -> list[Path]:
    return sorted(p for p in usage_dir.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES))


def fingerprint(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


class UsageFileReader:
    """Turns one file into (valid events, quarantined rows) Arrow tables with a DuckDB query."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        con.execute("set TimeZone = 'UTC'")

    # -- per-format: a view `src` with one column per source field, plus `_row` and `_raw` ----------

    def _jsonl_view(self, path: Path) -> dict[str, str]:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as fh:
            lines = fh.read().split(b"\n")
        if lines and lines[-1].strip() == b"":
            lines.pop()
        table = pa.table({"_row": pa.array(range(1, len(lines) + 1), pa.int64()),
                          "_line": pa.array(lines, pa.binary()).cast(pa.string(), safe=False)})
        self.con.register("_lines", table)
        self.con.execute("""
            create or replace temp view src as
            select _row, _line as _raw, case when json_valid(_line) and json_type(_line) = 'OBJECT'
                                         then _line::json end as _j
            from _lines where trim(_line) <> ''
        """)
        # Every key that occurs in the file becomes a source "column" read from the JSON object.
        keys = [r[0] for r in self.con.execute(
            "select distinct unnest(json_keys(_j)) from src where _j is not null").fetchall()]
        getters = {}
        for key in keys:
            path_expr = "$." + '"' + key.replace('"', '\\"') + '"'
            if key == "attributes":
                getters[key] = f"json_extract(_j, {_sql_str(path_expr)})"
            else:
                getters[key] = f"json_extract_string(_j, {_sql_str(path_expr)})"
        return getters

    def _table_view(self, path: Path) -> dict[str, str]:
        name = path.name.lower()
        if name.endswith(".parquet"):
            reader = f"read_parquet({_sql_str(str(path))}, file_row_number = true)"
            self.con.execute(f"create or replace temp view _file as select * from {reader}")
            row_expr = "file_row_number + 1"
        else:
            reader = (f"read_csv({_sql_str(str(path))}, header = true, all_varchar = true, "
                      f"store_rejects = true, rejects_scan = '_csv_scan', rejects_table = '_csv_rejects')")
            self.con.execute(f"create or replace temp table _file as select row_number() over () + 1 as _csv_row, * from {reader}")
            row_expr = "_csv_row"
        cols = [r[0] for r in self.con.execute("describe _file").fetchall()
                if r[0] not in ("file_row_number", "_csv_row")]
        struct = ", ".join(f"{_ident(c)} := {_ident(c)}" for c in cols if c not in CONTENT_FIELDS)
        self.con.execute(f"""
            create or replace temp view src as
            select {row_expr} as _row, to_json(struct_pack({struct})) as _raw, * from _file
        """)
        getters = {}
        for c in cols:
            getters[c] = f"to_json({_ident(c)})" if c == "attributes" else _ident(c)
        return getters

    # -- shared: typing, validation, quarantine ---------------------------------------------------

    def read(self, path: Path, source_file: str, file_fingerprint: str) -> tuple[pa.Table, pa.Table, FileReport]:
        name = path.name.lower()
        is_json = name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".json.gz"))
        getters = self._jsonl_view(path) if is_json else self._table_view(path)
        report = FileReport(path=source_file)

        def source_of(field_name: str) -> str | None:
            """The field, else its OpenTelemetry aliases, as present in this file (per record)."""
            present = [getters[c] for c in (field_name, *ALIASES.get(field_name, ())) if c in getters]
            if not present:
                return None
            return present[0] if len(present) == 1 else "coalesce(" + ", ".join(
                f"cast({g} as varchar)" if field_name != "attributes" else g for g in present) + ")"

        select, checks = [], []
        for name_, sql_type in FIELDS.items():
            raw = source_of(name_)
            if raw is None:
                typed = DEFAULTS.get(name_, "null")
                select.append(f"cast({typed} as {sql_type}) as {name_}")
                if name_ in REQUIRED:
                    checks.append(f"'missing {name_}'")
                continue
            raw_s = f"nullif(trim(cast({raw} as varchar)), '')"
            if name_ == "occurred_at":
                typed = (f"case when {raw_s} is null then null "
                         f"when regexp_full_match({raw_s}, '-?[0-9]+(\\.[0-9]+)?') "
                         f"then to_timestamp(cast({raw_s} as double)) "
                         f"else try_cast({raw_s} as timestamptz) end")
            elif name_ == "attributes":
                typed = f"case when json_type({raw}) = 'OBJECT' then {raw} end"
            else:
                typed = f"try_cast({raw_s} as {sql_type})"
            default = DEFAULTS.get(name_)
            value = f"coalesce({typed}, {default})" if default else typed
            select.append(f"{value} as {name_}")
            if name_ in REQUIRED:
                checks.append(f"case when {raw_s} is null then 'missing {name_}' end")
            if sql_type != "VARCHAR":
                what = {"BIGINT": "an integer", "BOOLEAN": "a boolean", "TIMESTAMPTZ": "a timestamp",
                        "JSON": "an object"}.get(sql_type, "a number")
                checks.append(f"case when {raw_s} is not null and {typed} is null then '{name_} is not {what}' end")
        invariants = [
            *(f"case when {c} < 0 then 'negative {c}' end" for c in COUNTS),
            "case when cache_read_input_tokens + cache_creation_input_tokens > input_tokens "
            "then 'cache tokens exceed input_tokens' end",
            "case when cache_creation_1h_input_tokens > cache_creation_input_tokens "
            "then 'cache_creation_1h_input_tokens exceed cache_creation_input_tokens' end",
            "case when reasoning_output_tokens > output_tokens then 'reasoning_output_tokens exceed output_tokens' end",
            "case when quantity < 0 then 'negative quantity' end",
        ]
        extra_keys = [k for k in getters if k not in KNOWN]
        content_present = [k for k in getters if k in CONTENT_FIELDS]
        if is_json:
            not_json = "case when _j is null then 'not a JSON object' end"
            extras = (f"case when _j is not null and len(list_filter(json_keys(_j), "
                      f"lambda k: not list_contains({_list_sql(KNOWN)}, k))) > 0 "
                      f"then cast(to_json(map_from_entries(list_transform(list_filter("
                      f"json_keys(_j), lambda k: not list_contains({_list_sql(KNOWN)}, k)), "
                      f"lambda k: {{'key': k, 'value': _j->k}}))) as varchar) end")
            has_content = f"coalesce(list_has_any(json_keys(_j), {_list_sql(CONTENT_FIELDS)}), false)"
            # Quarantined raw text never carries content: parsed lines are re-serialised without it;
            # unparseable lines that mention a content field are withheld.
            raw_text = (f"case when _j is not null then cast(to_json(map_from_entries(list_transform(list_filter("
                        f"json_keys(_j), lambda k: not list_contains({_list_sql(CONTENT_FIELDS)}, k)), "
                        f"lambda k: {{'key': k, 'value': _j->k}}))) as varchar) "
                        f"when regexp_matches(_raw, '\"({'|'.join(f.replace('.', chr(92) + '.') for f in CONTENT_FIELDS)})\"') "
                        f"then '[withheld: malformed line names a content field]' "
                        f"else _raw end")
        else:
            not_json = "null"
            extras = ("cast(to_json(struct_pack(" + ", ".join(f"{_ident(k)} := cast({getters[k]} as varchar)"
                                                              for k in extra_keys) + ")) as varchar)") \
                if extra_keys else "cast(null as varchar)"
            has_content = " or ".join(f"{_ident(k)} is not null" for k in content_present) or "false"
            raw_text = "cast(_raw as varchar)"

        self.con.execute(f"""
            create or replace temp table _typed as
            select _row, {raw_text} as _raw_text, {has_content} as _has_content, {extras} as extra_fields,
                   {", ".join(select)},
                   coalesce({not_json}, concat_ws('; ', {", ".join(checks) if checks else "null"})) as _type_reason
            from src
        """)
        self.con.execute(f"""
            create or replace temp table _checked as
            select *, nullif(concat_ws('; ', nullif(_type_reason, ''),
                                       {", ".join(invariants)}), '') as _reason
            from _typed
        """)
        ts = datetime.now(timezone.utc)
        columns = ", ".join(FIELDS)
        valid = self.con.sql(f"""
            select {columns}, extra_fields,
                   {_sql_str(source_file)} as source_file, _row as source_row,
                   {_sql_str(file_fingerprint)} as file_fingerprint
            from _checked where _reason is null
            qualify row_number() over (partition by event_id order by _row) = 1
        """).to_arrow_table()
        quarantine = self.con.sql(f"""
            select {_sql_str(source_file)} as source_file, _row as source_row,
                   {_sql_str(file_fingerprint)} as file_fingerprint,
                   left(_raw_text, {RAW_TEXT_LIMIT}) as raw_text, _reason as reason,
                   cast(? as timestamptz) as quarantined_at
            from _checked where _reason is not null
        """, params=[ts]).to_arrow_table()
        stats = self.con.execute("""
            select count(*), count(*) filter (where _reason is null),
                   count(*) filter (where _has_content)
            from _checked
        """).fetchone()
        reasons = self.con.execute("""
            select r, count(*) from (select unnest(string_split(_reason, '; ')) as r from _checked
                                     where _reason is not null) group by r
        """).fetchall()
        if not is_json:
            # Lines DuckDB's CSV reader could not parse at all (wrong column count, bad quoting).
            rejects = self._csv_rejects(source_file, file_fingerprint, ts)
            if rejects.num_rows:
                quarantine = pa.concat_tables([quarantine, rejects.cast(quarantine.schema)])
                reasons.append(("malformed CSV line", rejects.num_rows))
                stats = (stats[0] + rejects.num_rows, stats[1], stats[2])
        report.rows_read = stats[0]
        report.rows_loaded = valid.num_rows
        report.rows_quarantined = quarantine.num_rows
        report.duplicates_in_file = stats[1] - valid.num_rows
        report.content_fields_dropped = stats[2]
        report.reasons = dict(reasons)
        return _nullable(valid), _nullable(quarantine), report

    def _csv_rejects(self, source_file: str, file_fingerprint: str, ts: datetime) -> pa.Table:
        try:
            rows = self.con.execute(f"""
                select {_sql_str(source_file)} as source_file, cast(line as bigint) as source_row,
                       {_sql_str(file_fingerprint)} as file_fingerprint,
                       left(csv_line, {RAW_TEXT_LIMIT}) as raw_text,
                       'malformed CSV line: ' || error_type as reason, cast(? as timestamptz) as quarantined_at
                from _csv_rejects
            """, [ts]).to_arrow_table()
        except duckdb.CatalogException:
            return pa.table({})
        return rows


EVENTS_HINTS = dict(table_name="usage_events", write_disposition="merge", primary_key="event_id")
# Quarantine rows of a file version are replaced when that file is read again.
QUARANTINE_HINTS = dict(table_name="usage_quarantine", write_disposition={"disposition": "merge",
                        "strategy": "delete-insert"}, merge_key="source_file", primary_key=("source_file", "source_row"))
FILES_HINTS = dict(table_name="usage_files", write_disposition="merge", primary_key="source_file")


@dlt.source(name="usage_events", max_table_nesting=0)
def usage_source(usage_dir: str = dlt.config.value, report: UsageLoadReport | None = None):
    """All usage files under `usage_dir` (config `sources.usage_events.usage_dir`)."""
    return usage_files(usage_dir, report or UsageLoadReport())


@dlt.resource(name="usage_files_reader", max_table_nesting=0)
def usage_files(usage_dir: str, report: UsageLoadReport) -> Iterator:
    root = Path(usage_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"usage directory not found: {root}")
    state = dlt.current.resource_state().setdefault("files", {})
    for path in discover_files(root):
        report.files_seen += 1
        rel = path.relative_to(root).as_posix()
        stat = path.stat()
        known = state.get(rel)
        if known and known["size"] == stat.st_size and known["mtime_ns"] == stat.st_mtime_ns:
            report.files_skipped += 1
            continue
        digest = fingerprint(path)
        if known and known["fingerprint"] == digest:
            known["mtime_ns"] = stat.st_mtime_ns  # touched, not changed
            report.files_skipped += 1
            continue
        con = duckdb.connect()  # one in-memory connection per file: no temp objects leak between files
        try:
            valid, quarantine, file_report = UsageFileReader(con).read(path, rel, digest)
        except (duckdb.Error, OSError, pa.ArrowException) as exc:
            raise RuntimeError(f"cannot read usage file {rel}: {exc}") from exc
        finally:
            con.close()
        report.files.append(file_report)
        if valid.num_rows:
            yield dlt.mark.with_hints(valid, dlt.mark.make_hints(**EVENTS_HINTS))
        if quarantine.num_rows:
            yield dlt.mark.with_hints(quarantine, dlt.mark.make_hints(**QUARANTINE_HINTS))
        yield dlt.mark.with_hints([{
            "source_file": rel, "file_fingerprint": digest, "size_bytes": stat.st_size,
            "rows_read": file_report.rows_read, "rows_loaded": file_report.rows_loaded,
            "rows_quarantined": file_report.rows_quarantined,
            "duplicates_in_file": file_report.duplicates_in_file,
            "content_fields_dropped": file_report.content_fields_dropped,
            "read_at": datetime.now(timezone.utc),
        }], dlt.mark.make_hints(**FILES_HINTS))
        state[rel] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "fingerprint": digest}

"""dlt source: application usage events (one record per AI call), per shared/contracts/INPUTS.md.

Fast path: every file is parsed, typed and validated by DuckDB in one vectorised query whose Arrow
batches stream to a Parquet file that dlt imports as it is; files are read side by side, and Python
never touches individual records.

Three tables land in the `raw_usage` dataset:
- `usage_events`      valid events, upserted on `event_id` (a re-delivered id is counted once)
- `usage_quarantine`  rejected records with source file, row number, raw text (content removed), reason
- `usage_files`       one row per file version read: fingerprint, counts, when

Files already loaded are skipped by their fingerprint (size, mtime, content hash) kept in dlt state,
which dlt commits atomically with the data: a failed run loads nothing and the next one resumes.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

import dlt
import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines._files import Bounds, fingerprint, unreadable_reason
from pipelines.usage_formats import (ATTRIBUTE_NAMES, FORMATS, Column, Source, langfuse_source, list_sql as _list_sql,
                                     litellm_source, otel_source, sql_ident as _ident, sql_str as _sql_str)

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
JSON_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".json.gz")
SUFFIXES = (*JSON_SUFFIXES, ".parquet", ".csv", ".csv.gz")
RAW_TEXT_LIMIT = 4000


@dataclass
class FileReport:
    path: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    duplicates_in_file: int = 0
    duplicates_across_files: int = 0
    content_fields_dropped: int = 0
    records_not_usage: int = 0
    error: str | None = None  # why the file could not be read at all (it is then quarantined as a file)
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


def _json_without(keys: str, raw: str, excluded) -> str:
    """SQL: the JSON object `raw` limited to its `keys` that are not in `excluded`."""
    return (f"cast(to_json(map_from_entries(list_transform(list_filter({keys}, "
            f"lambda k: not list_contains({_list_sql(excluded)}, k)), "
            f"lambda k: {{'key': k, 'value': json_extract({raw}, {_json_pointer_sql('k')})}}))) as varchar)")


def _json_pointer(key: str) -> str:
    """The JSON pointer (RFC 6901) to a top-level key: any key, "" and quotes included, has one."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _json_pointer_sql(key: str) -> str:
    """SQL: the JSON pointer to the top-level key held in the SQL expression `key`."""
    return f"'/' || replace(replace({key}, '~', '~0'), '/', '~1')"


def _decode_or_none(line: bytes) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _nullable(table: pa.Table) -> pa.Table:
    """Same schema for every file (DuckDB marks some columns NOT NULL depending on the file)."""
    return table.cast(pa.schema([f.with_nullable(True) for f in table.schema]))


# DuckDB's own row group size: the warehouse load then reads each file on all cores.
ROW_GROUP_ROWS = 122_880


def _read_lines(path: Path, whole: bool = False) -> pa.Table:
    """(_row, _line) of a text file, without creating a Python object per line: offsets into one
    buffer, in slices so that DuckDB parses them on all cores. `whole`: the file is one line."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = fh.read()
    ends = np.array([len(data)] if data else [], np.int64) if whole \
        else np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    if len(data) and data[-1:] != b"\n" and not whole:
        ends = np.append(ends, len(data))
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    offsets = np.append(starts, ends[-1] if len(ends) else 0).astype(np.int64)
    lines = pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(ends),
                                             [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    try:
        text = lines.cast(pa.large_string())  # validates UTF-8 in one vectorised pass
    except pa.ArrowInvalid:  # rare: decode line by line, invalid lines become null (quarantined)
        text = pa.array([_decode_or_none(b) for b in lines.to_pylist()], pa.large_string())
    table = pa.table({"_row": pa.array(np.arange(1, len(ends) + 1), pa.int64()), "_line": text})
    return pa.Table.from_batches(table.to_batches(ROW_GROUP_ROWS), table.schema)


def discover_files(usage_dir: Path) -> list[Path]:
    """Usage files, and LiteLLM's one-payload `.json` files (its S3 logger's default) under `litellm/`."""
    litellm = usage_dir / "litellm"
    return sorted(p for p in usage_dir.rglob("*") if p.is_file() and (
        p.name.lower().endswith(SUFFIXES) or p.name.lower().endswith(".json") and p.is_relative_to(litellm)))


def write_events(schema: pa.Schema, batches: Iterable[pa.RecordBatch], out_file: Path) -> int:
    """Valid events to Parquet with exactly the nullability dlt's schema has (only the primary key
    NOT NULL), so dlt imports the file untouched. (DuckDB's own COPY marks every column without nulls
    in the data REQUIRED, and dlt would then rewrite the whole file.) Returns the row count."""
    schema = pa.schema([f.with_nullable(f.name != "event_id") for f in schema])
    rows = 0
    # Dictionary-encoded text loads into DuckDB faster; ids, numbers and times gain nothing from it.
    # No column statistics: nothing reads them, and they cost a fifth of the writing.
    text = [f.name for f in schema if pa.types.is_string(f.type) and f.name != "event_id"]
    with pq.ParquetWriter(out_file, schema, compression="snappy", use_dictionary=text,
                          write_statistics=False) as writer:
        for batch in batches:
            writer.write_batch(batch.cast(schema))
            rows += batch.num_rows
    return rows


def drop_repeats(con: duckdb.DuckDBPyConnection,
                 files: list[tuple[Path, FileReport, np.ndarray]]) -> None:
    """Keep the first delivery of each event_id in the run (files in path order, then row order):
    later ones are counted on their file's report and removed from its Parquet file. Sorting the
    ids' hashes finds the candidates; only those are compared by id."""
    if not files:
        return
    hashes = np.sort(np.concatenate([h for *_, h in files]))
    repeated = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
    if not len(repeated):
        return
    paths = [str(path) for path, file_report, _ in files if file_report.rows_loaded]
    con.register("_repeated_hashes", pa.table({"h": repeated}))
    con.register("_file_order", pa.table({"source_file": [r.path for _, r, _ in files],
                                          "n": list(range(len(files)))}))
    repeats = con.execute(f"""
        with ids as (select event_id, source_file, source_row from read_parquet({_list_sql(paths)})
                     where hash(event_id) in (select h from _repeated_hashes)),
        ranked as (
            select source_file, source_row,
                   row_number() over (partition by event_id order by n, source_row) > 1 as repeated,
                   row_number() over (partition by event_id, source_file order by source_row) > 1 as in_file
            from ids semi join (select event_id from ids group by event_id having count(*) > 1) using (event_id)
            join _file_order using (source_file)
        )
        select source_file, count(*) filter (where in_file), count(*) filter (where not in_file), list(source_row)
        from ranked where repeated group by source_file
    """).fetchall()
    by_file = {r.path: (path, r) for path, r, _ in files}
    for source_file, in_file, across, rows in repeats:
        path, file_report = by_file[source_file]
        file_report.duplicates_in_file, file_report.duplicates_across_files = in_file, across
        kept = path.with_suffix(".kept.parquet")
        kept_rows = con.sql(f"select * from read_parquet({_sql_str(str(path))}) "
                            "anti join (select unnest(?) as source_row) using (source_row)",
                            params=[rows]).to_arrow_reader(ROW_GROUP_ROWS)
        file_report.rows_loaded = write_events(kept_rows.schema, kept_rows, kept)
        kept.replace(path)


UNIX_SECONDS = "'-?[0-9]+(\\.[0-9]+)?'"  # a timestamp given as unix seconds
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT")


class UsageFileReader:
    """Turns one file into (valid events, quarantined rows) Arrow tables with DuckDB queries.

    Each file gets a view `src` with `_row` (1-based line or row number) and one expression per
    source field; typing and validation then run as one vectorised query over it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, attribute_names: dict[str, list[str]] | None = None,
                 bounds: Bounds | None = None):
        self.con = con
        self.attribute_names = {**ATTRIBUTE_NAMES, **(attribute_names or {})}
        self.bounds = bounds or Bounds()
        con.execute("set TimeZone = 'UTC'")

    # -- per format -------------------------------------------------------------------------------

    def _json_lines(self, path: Path) -> None:
        """The file's non-blank lines as temp table `_keyed`: `_row` (line number), `_raw` (null when
        not UTF-8), `_is_object` and `_keys` (the object's top-level keys). A `.json` file is one record."""
        self.con.register("_lines", _read_lines(path, whole=path.name.lower().endswith(".json")))
        self.con.execute("""
            create or replace temp table _keyed as
            select _row, _raw, _is_object, case when _is_object then json_keys(_raw) end as _keys
            from (
                select _row, _raw, _raw is not null and json_valid(_raw) and starts_with(ltrim(_raw), '{') as _is_object
                from (select _row, case when ends_with(_line, chr(13)) then rtrim(_line, chr(13)) else _line end as _raw
                      from _lines)
                where _raw is null or trim(_raw) <> ''
            )
        """)
        self.con.unregister("_lines")  # frees the file's bytes: DuckDB holds its own copy now

    def _jsonl_source(self, path: Path, relation: str = "src") -> Source:
        self._json_lines(path)
        keys = [r[0] for r in self.con.execute("select distinct unnest(_keys) from _keyed").fetchall()]
        paths = "[" + ", ".join(_sql_str(_json_pointer(k)) for k in keys) + "]"
        self.con.execute(f"""
            create or replace temp view {relation} as
            select _row, _raw, _is_object, _keys,
                   case when _is_object then json_extract_string(_raw, {paths}) end as _values
            from _keyed
        """ if keys else f"create or replace temp view {relation} as "
                         "select *, cast(null as varchar[]) as _values from _keyed")
        columns = {k: Column(f"_values[{i + 1}]") for i, k in enumerate(keys)}
        extra_keys = [k for k in columns if k not in KNOWN]
        content_pattern = "|".join(f.replace(".", "\\.") for f in CONTENT_FIELDS)
        return Source(
            columns, parsed="_is_object",
            extras=(f"nullif({_json_without('_keys', '_raw', KNOWN)}, '{{}}')"
                    if extra_keys else "cast(null as varchar)"),
            has_content=(f"coalesce(list_has_any(_keys, {_list_sql(CONTENT_FIELDS)}), false)"
                         if any(k in CONTENT_FIELDS for k in columns) else "false"),
            # parsed JSON is re-serialised without the content fields; an unparseable line that names
            # a content field is withheld
            raw_text=(f"case when src._is_object then {_json_without('src._keys', 'src._raw', CONTENT_FIELDS)} "
                      f"when src._raw is null then '[not valid UTF-8]' "
                      f"when regexp_matches(src._raw, '\"({content_pattern})\"') "
                      f"then '[withheld: malformed line names a content field]' else src._raw end"))

    def _table_source(self, path: Path, relation: str = "src") -> Source:
        name = path.name.lower()
        if name.endswith(".parquet"):
            self.con.execute(f"""
                create or replace temp view {relation} as
                select file_row_number + 1 as _row, * exclude (file_row_number)
                from read_parquet({_sql_str(str(path))}, file_row_number = true)
            """)
        else:
            self.con.execute(f"""
                create or replace temp table {relation} as
                select row_number() over () + 1 as _row, *
                from read_csv({_sql_str(str(path))}, header = true, all_varchar = true, store_rejects = true,
                              rejects_scan = '_csv_scan', rejects_table = '_csv_rejects')
            """)
            # a row's number is its line: the lines the reader rejected are skipped in the count
            if self.con.execute("select count(*) from _csv_rejects").fetchall()[0][0]:
                self.con.execute(f"""
                    update {relation} set _row = lines.line
                    from (
                        select line, row_number() over (order by line) + 1 as position
                        from range(2, (select count(*) from {relation})
                                      + (select count(distinct line) from _csv_rejects) + 2) as numbers(line)
                        where line not in (select line from _csv_rejects)
                    ) as lines
                    where {relation}._row = lines.position
                """)
        described = self.con.execute(f"describe {relation}").fetchall()
        columns = {c: Column(_ident(c), t) for c, t, *_ in described if c != "_row"}
        extra_keys = [k for k in columns if k not in KNOWN]
        return Source(
            columns,
            extras=("cast(to_json(struct_pack(" + ", ".join(
                f"{_ident(k)} := cast({columns[k].expr} as varchar)" for k in extra_keys) + ")) as varchar)")
            if extra_keys else "cast(null as varchar)",
            has_content=" or ".join(f"{_ident(k)} is not null" for k in columns if k in CONTENT_FIELDS) or "false",
            raw_text="cast(to_json(struct_pack(" + ", ".join(
                f"{_ident(c)} := src.{_ident(c)}" for c in columns if c not in CONTENT_FIELDS) + ")) as varchar)",
            csv_rejects=not name.endswith(".parquet"),
            has_content_columns=any(c.lower() in CONTENT_FIELDS for c in columns))

    def _source(self, path: Path, source_format: str) -> Source:
        if source_format in ("otel", "litellm"):
            self._json_lines(path)
            return (otel_source if source_format == "otel" else litellm_source)(self.con, self.attribute_names)
        relation = "_langfuse_all" if source_format == "langfuse" else "src"
        if path.name.lower().endswith(JSON_SUFFIXES):
            base = self._jsonl_source(path, relation)
        else:
            base = self._table_source(path, relation)
        return langfuse_source(self.con, base, self.attribute_names) if source_format == "langfuse" else base

    # -- typing and validation --------------------------------------------------------------------

    @staticmethod
    def _typed(name: str, target: str, col: Column) -> tuple[str, str | None]:
        """(typed expression, expression that is true when a present value failed to convert)."""
        src, t = col.expr, col.sql_type.upper()
        if target == "BIGINT" and t in INTEGER_TYPES or target == t and t != "VARCHAR":
            return f"cast({src} as {target})", None
        if target == "VARCHAR":
            return (f"cast({src} as varchar)" if t != "VARCHAR" else src), None
        if target == "TIMESTAMPTZ" and t.startswith("TIMESTAMP"):
            return f"cast({src} as timestamptz)", None  # naive timestamps are read as UTC
        if target == "TIMESTAMPTZ" and (t in INTEGER_TYPES or t in ("DOUBLE", "FLOAT") or t.startswith("DECIMAL")):
            typed = f"try(to_timestamp(cast({src} as double)))"  # 1e15 seconds is no time: null, quarantined
            return typed, f"{src} is not null and ({typed}) is null"
        if target == "DOUBLE" and (t in INTEGER_TYPES or t == "FLOAT" or t.startswith("DECIMAL")):
            return f"cast({src} as double)", None
        if target == "JSON":
            if t.startswith("MAP") or t.startswith("STRUCT"):
                return f"cast(to_json({src}) as varchar)", None
            typed = f"case when json_valid({src}) and starts_with(ltrim({src}), '{{') then {src} end"
            return typed, f"{src} is not null and ({typed}) is null"
        text = f"nullif(trim(cast({src} as varchar)), '')"
        if target == "TIMESTAMPTZ":  # unix seconds, or text (read() requires its offset)
            typed = (f"case when regexp_full_match({text}, {UNIX_SECONDS}) "
                     f"then try(to_timestamp(cast({text} as double))) else try_cast({text} as timestamptz) end")
        elif target == "BIGINT":
            # a whole number only: 12.7 tokens is a bad record, not 13
            typed = f"case when regexp_full_match({text}, '[+-]?[0-9]+(\\.0*)?') then try_cast(split_part({text}, '.', 1) as bigint) end"
        else:
            typed = f"try_cast({text} as {target})"
        return typed, f"{text} is not null and ({typed}) is null"

    def read(self, path: Path, source_file: str, file_fingerprint: str,
             out_file: Path) -> tuple[pa.Table, FileReport, np.ndarray]:
        """Valid events go to `out_file` (see `write_events`); returns the quarantined rows, the file's
        report and the hashes of the ids written. Repeated ids are removed afterwards, for the whole
        run (`drop_repeats`). The format follows the file's top folder (`otel/`, `litellm/`,
        `langfuse/`, else the usage contract)."""
        top = source_file.split("/", 1)[0]
        source_format = top if top in FORMATS and "/" in source_file else "contract"
        source = self._source(path, source_format)
        columns = source.columns
        report = FileReport(path=source_file, records_not_usage=source.not_usage)

        select, checks = [], []
        for name, target in FIELDS.items():
            present = [columns[c] for c in (name, *ALIASES.get(name, ())) if c in columns]
            if not present:
                select.append(f"cast({DEFAULTS.get(name, 'null')} as {target}) as {name}")
                if name in REQUIRED:
                    checks.append(f"'missing {name}'")
                continue
            typed_parts = [self._typed(name, target, c) for c in present]
            typed = typed_parts[0][0] if len(typed_parts) == 1 else \
                "coalesce(" + ", ".join(t for t, _ in typed_parts) + ")"
            raw_null = " and ".join(f"{c.expr} is null" for c in present)
            select.append(f"coalesce({typed}, {DEFAULTS[name]}) as {name}" if name in DEFAULTS else f"{typed} as {name}")
            if name in REQUIRED:
                empty = f" or {typed} = ''" if target == "VARCHAR" else ""
                checks.append(f"case when {raw_null}{empty} then 'missing {name}' end")
            what = {"BIGINT": "an integer", "BOOLEAN": "a boolean", "TIMESTAMPTZ": "a timestamp",
                    "JSON": "an object"}.get(target, "a number")
            for _, bad in typed_parts:
                if bad:
                    checks.append(f"case when {bad} then '{name} is not {what}' end")
            if target == "TIMESTAMPTZ" and not source.naive_timestamps_are_utc:
                for c, (typed_c, _) in zip(present, typed_parts):
                    # a time of day without its offset (the contract requires one): which day is it?
                    if c.sql_type.upper() == "VARCHAR":
                        text = f"trim({c.expr})"
                        checks.append(f"case when ({typed_c}) is not null and length({text}) > 10 "
                                      f"and not regexp_full_match({text}, {UNIX_SECONDS}) "
                                      f"and not regexp_matches({text}, '([zZ]|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') "
                                      f"then '{name} has no UTC offset' end")
        checks.extend(source.checks)
        invariants = [
            *(f"case when {c} < 0 then 'negative {c}' end" for c in COUNTS),
            "case when cache_read_input_tokens + cache_creation_input_tokens > input_tokens "
            "then 'cache tokens exceed input_tokens' end",
            "case when cache_creation_1h_input_tokens > cache_creation_input_tokens "
            "then 'cache_creation_1h_input_tokens exceed cache_creation_input_tokens' end",
            "case when reasoning_output_tokens > output_tokens then 'reasoning_output_tokens exceed output_tokens' end",
            "case when quantity < 0 then 'negative quantity' end",
            # bounds (docs/inputs.md): one stray value must not overflow a sum or stretch every date range
            *(f"case when {c} > {self.bounds.max_tokens_per_call} then '{c} above {self.bounds.max_tokens_per_call:,}' end"
              for c in COUNTS),
            f"case when occurred_at > now() + interval '{self.bounds.max_future_minutes} minutes' "
            "then 'occurred_at in the future' "
            f"when occurred_at < timestamptz '{self.bounds.min_occurred_at}' "
            f"then 'occurred_at before {self.bounds.min_occurred_at}' end",
            "case when reported_cost < 0 then 'negative reported_cost' end",
            f"case when reported_cost > {self.bounds.max_reported_cost} "
            f"then 'reported_cost above {self.bounds.max_reported_cost:,}' end",
            "case when reported_cost is not null and coalesce(trim(reported_cost_currency), '') = '' "
            "then 'reported_cost without reported_cost_currency' end",
        ]
        not_object = f"case when not {source.parsed} then {_sql_str(source.unparsed_reason)} end"
        self.con.execute(f"""
            create or replace temp view _checked as
            select *, nullif(coalesce(_not_object, concat_ws('; ', {", ".join(invariants)}, _type_reason)), '')
                      as _reason
            from (
                select _row, {source.has_content} as _has_content, {source.extras} as extra_fields,
                       {not_object} as _not_object,
                       {", ".join(select)},
                       nullif(concat_ws('; ', {", ".join(checks) if checks else "null"}), '') as _type_reason
                from src
            )
        """)
        ts = datetime.now(timezone.utc)
        read, with_content = self.con.execute(
            "select count(*), count(*) filter (where _has_content) from _checked").fetchall()[0]
        # One pass over the typed rows (`_checked` is a view): valid rows stream to Parquet, rejected
        # ones and the hashes of valid ids (for the run's duplicate check) are set aside.
        stream = self.con.sql(f"""
            select {", ".join(FIELDS)}, extra_fields,
                   {_sql_str(source_file)} as source_file, _row as source_row,
                   {_sql_str(file_fingerprint)} as file_fingerprint, _reason, hash(event_id) as _id_hash
            from _checked
        """).to_arrow_reader(ROW_GROUP_ROWS)
        rejected, id_hashes = [], []

        def valid_rows() -> Iterator[pa.RecordBatch]:
            for batch in stream:
                reason = batch.column("_reason")
                if reason.null_count < batch.num_rows:
                    rejected.append(batch.filter(pc.is_valid(reason)).select(["source_row", "_reason"]))
                    batch = batch.filter(pc.is_null(reason))
                # a copy: a column imported from DuckDB keeps its whole batch alive
                id_hashes.append(batch.column("_id_hash").to_numpy().copy())
                yield batch.drop_columns(["_reason", "_id_hash"])

        schema = pa.schema([f for f in stream.schema if not f.name.startswith("_")])
        loaded = write_events(schema, valid_rows(), out_file)
        self.con.register("_bad", pa.Table.from_batches(
            rejected, pa.schema([("source_row", pa.int64()), ("_reason", pa.string())])))
        quarantine = self.con.sql(f"""
            select {_sql_str(source_file)} as source_file, _bad.source_row,
                   {_sql_str(file_fingerprint)} as file_fingerprint,
                   left({source.raw_text}, {RAW_TEXT_LIMIT}) as raw_text,
                   _reason as reason, cast(? as timestamptz) as quarantined_at
            from _bad join src on src._row = _bad.source_row
        """, params=[ts]).to_arrow_table()
        reasons = self.con.execute("""
            select r, count(*) from (select unnest(string_split(_reason, '; ')) as r from _bad) group by r
        """).fetchall()
        if source.csv_rejects:
            # Lines DuckDB's CSV reader could not parse at all (wrong column count, bad quoting).
            # a line the reader could not split cannot have its content column cut out: withheld whole
            rejects = self._csv_rejects(source_file, file_fingerprint, ts, withhold=source.has_content_columns,
                                        header_cells=len(source.columns))
            if rejects.num_rows:
                quarantine = pa.concat_tables([quarantine, rejects.cast(quarantine.schema)])
                reasons.append(("malformed CSV line", rejects.num_rows))
                read += rejects.num_rows
        report.rows_read = read
        report.rows_loaded = loaded
        report.rows_quarantined = quarantine.num_rows
        report.content_fields_dropped = with_content
        report.reasons = dict(reasons)
        return _nullable(quarantine), report, np.concatenate([np.empty(0, np.uint64), *id_hashes])

    def _csv_rejects(self, source_file: str, file_fingerprint: str, ts: datetime, withhold: bool,
                     header_cells: int) -> pa.Table:
        """One row per line DuckDB's CSV reader could not split (it reports a line once per error). Its
        raw text keeps the cells the header names, no more: a cell beyond them has no name, so nothing
        says it is not a prompt."""
        try:
            delimiter = _sql_str(self.con.execute("select any_value(delimiter) from _csv_scan").fetchall()[0][0] or ",")
        except duckdb.CatalogException:
            return pa.table({})
        raw = ("'[withheld: malformed line of a file with content columns]'" if withhold else f"""
            left(case when len(cells) > {header_cells}
                      then array_to_string(cells[1:{header_cells}], {delimiter}) || {delimiter}
                           || '[' || (len(cells) - {header_cells}) || ' cell(s) beyond the header withheld]'
                      else csv_line end, {RAW_TEXT_LIMIT})""")
        return self.con.sql(f"""
            select {_sql_str(source_file)} as source_file, source_row,
                   {_sql_str(file_fingerprint)} as file_fingerprint,
                   {raw} as raw_text,
                   'malformed CSV line: ' || error_types as reason, cast(? as timestamptz) as quarantined_at
            from (
                select cast(line as bigint) as source_row, any_value(csv_line) as csv_line,
                       string_split(any_value(csv_line), {delimiter}) as cells,
                       array_to_string(list_sort(list_distinct(list(cast(error_type as varchar)))), ', ')
                           as error_types
                from _csv_rejects
                group by line
            )
            order by source_row
        """, params=[ts]).to_arrow_table()


# Upsert on event_id: a run hands dlt each id once (first delivery in path order within the run), and
# a later run's delivery replaces the stored one. The very first load has nothing to replace and the
# run is already free of repeats, so it appends (much faster than a merge into an empty table).
EVENTS_WRITE_DISPOSITION = {"disposition": "merge", "strategy": "upsert"}
QUARANTINE_HINTS = dict(table_name="usage_quarantine", write_disposition={"disposition": "merge",
                        "strategy": "delete-insert"}, merge_key="source_file", primary_key=("source_file", "source_row"))
FILES_HINTS = dict(table_name="usage_files", write_disposition="merge", primary_key="source_file")


@dlt.source(name="usage_events", max_table_nesting=0)
def usage_source(usage_dir: str = dlt.config.value, report: UsageLoadReport | None = None,
                 attribute_names: dict | None = None, max_tokens_per_call: int = Bounds.max_tokens_per_call,
                 max_reported_cost: int = Bounds.max_reported_cost, max_future_minutes: int = Bounds.max_future_minutes,
                 min_occurred_at: str = Bounds.min_occurred_at):
    """All usage files under `usage_dir` (config `sources.usage_events.usage_dir`). `attribute_names`
    (config `sources.usage_events.attribute_names`) says where OpenTelemetry spans, LiteLLM logs and
    Langfuse exports keep the customer, feature, prompt version, environment and workflow: a field's
    list replaces the default (pipelines/usage_formats.py). A record beyond the bounds (tokens per call,
    how far in the future or the past it happened) is quarantined."""
    unknown = set(attribute_names or {}) - set(ATTRIBUTE_NAMES)
    if unknown:
        raise ValueError(f"sources.usage_events.attribute_names: unknown field(s) {sorted(unknown)}; "
                         f"known: {sorted(ATTRIBUTE_NAMES)}")
    bounds = Bounds(int(max_tokens_per_call), int(max_reported_cost), int(max_future_minutes),
                    str(date.fromisoformat(str(min_occurred_at))))
    resource = usage_files(usage_dir, report or UsageLoadReport(), attribute_names or {}, bounds)
    loaded_before = dlt.current.source_state().get("resources", {}).get(resource.name, {}).get("files")
    if not loaded_before:
        resource.apply_hints(write_disposition="append")
    return resource


@dlt.resource(name="usage_events", table_name="usage_events", primary_key="event_id",
              write_disposition=EVENTS_WRITE_DISPOSITION, max_table_nesting=0)
def usage_files(usage_dir: str, report: UsageLoadReport, attribute_names: dict, bounds: Bounds) -> Iterator:
    """Valid events as Parquet files (imported by dlt as they are); quarantined rows and the per-file
    log as table variants of this resource."""
    root = Path(usage_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"usage directory not found: {root}")
    state = dlt.current.resource_state().setdefault("files", {})
    todo = []
    for path in discover_files(root):
        report.files_seen += 1
        rel = path.relative_to(root).as_posix()
        stat = path.stat()
        known = state.get(rel)
        if known and known["size"] == stat.st_size and known["mtime_ns"] == stat.st_mtime_ns:
            report.files_skipped += 1
        else:
            todo.append((path, rel, stat, len(todo)))
    if not todo:
        return
    db = duckdb.connect()
    # Bounded memory: past this DuckDB spills to its temp directory instead of growing.
    db.execute(f"set memory_limit = '{os.environ.get('AI_MARGIN_LOADER_MEMORY_LIMIT', '1GB')}'")
    scratch = Path(tempfile.mkdtemp(prefix="ai-margin-usage-"))

    def out_file(n: int) -> Path:
        return scratch / f"events-{n:06d}.parquet"

    def read(path: Path, rel: str, n: int) -> tuple:
        digest = fingerprint(path)
        known = state.get(rel)
        if known and known["fingerprint"] == digest:
            return digest, None, None, None  # touched, not changed
        con = db.cursor()  # own temp objects per file
        try:
            return digest, *UsageFileReader(con, attribute_names, bounds).read(path, rel, digest, out_file(n))
        except (duckdb.Error, OSError, EOFError, pa.ArrowException, UnicodeError, ValueError) as exc:
            # a file that cannot be read is quarantined as a file; the other files load
            out_file(n).unlink(missing_ok=True)
            return digest, None, FileReport(path=rel, error=unreadable_reason(exc)), \
                np.empty(0, np.uint64)
        finally:
            con.close()

    try:
        # A file's scan runs on one core (one row group at a time), so files are read side by side.
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            futures = [pool.submit(read, path, rel, n) for path, rel, _, n in todo]
            results = [future.result() for future in futures]
        drop_repeats(db, [(out_file(n), file_report, id_hashes)
                          for n, (_, _, file_report, id_hashes) in enumerate(results) if file_report])
        for (path, rel, stat, n), (digest, quarantine, file_report, _) in zip(todo, results):
            if file_report is None:
                state[rel]["mtime_ns"] = stat.st_mtime_ns
                report.files_skipped += 1
                continue
            report.files.append(file_report)
            if file_report.rows_loaded:  # the empty Arrow table tells dlt the file's schema
                yield dlt.mark.with_file_import(str(out_file(n)), "parquet", file_report.rows_loaded,
                                                hints=pq.read_schema(out_file(n)).empty_table())
            if quarantine is not None and quarantine.num_rows:
                yield dlt.mark.with_hints(quarantine, dlt.mark.make_hints(**QUARANTINE_HINTS),
                                          create_table_variant=True)
            yield dlt.mark.with_hints([{
                "source_file": rel, "file_fingerprint": digest, "size_bytes": stat.st_size,
                "rows_read": file_report.rows_read, "rows_loaded": file_report.rows_loaded,
                "rows_quarantined": file_report.rows_quarantined,
                "duplicates_in_file": file_report.duplicates_in_file,
                "duplicates_across_files": file_report.duplicates_across_files,
                "content_fields_dropped": file_report.content_fields_dropped,
                "records_not_usage": file_report.records_not_usage,
                "file_error": file_report.error,
                "read_at": datetime.now(timezone.utc),
            }], dlt.mark.make_hints(**FILES_HINTS), create_table_variant=True)
            state[rel] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "fingerprint": digest}
    finally:
        db.close()
        shutil.rmtree(scratch, ignore_errors=True)

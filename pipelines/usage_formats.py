"""Usage from where applications already record it, mapped onto the usage contract (docs/inputs.md).

Each format lives in its own sub-folder of the usage folder, so the loader knows it without guessing:

    usage/otel/       OpenTelemetry spans as the Collector's file exporter writes them (OTLP JSON)
    usage/litellm/    LiteLLM's standard logging payload, one JSON object per line
    usage/langfuse/   Langfuse observation exports (JSON lines, CSV or Parquet)

A format is a `Source`: the view `src` with `_row` and one SQL expression per contract field. The
usage loader then types, validates and quarantines every format alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

FORMATS = ("otel", "litellm", "langfuse")

# Where the customer, feature, prompt version, environment and workflow of a call are found: span (or
# log) attributes, first name present wins. OpenTelemetry has no standard customer attribute, so the
# defaults cover the common ones (Langfuse, OpenLLMetry, `enduser.id`); configure your own with
# `sources.usage_events.attribute_names` (docs/inputs.md).
ATTRIBUTE_NAMES: dict[str, list[str]] = {
    "customer_id": ["customer_id", "customer.id", "user.id", "enduser.id", "langfuse.user.id",
                    "traceloop.association.properties.customer_id", "traceloop.association.properties.user_id"],
    "feature": ["feature", "app.feature", "langfuse.trace.name", "traceloop.association.properties.feature",
                "traceloop.workflow.name"],
    "prompt_version": ["prompt_version", "gen_ai.prompt.version", "langfuse.prompt.version",
                       "traceloop.association.properties.prompt_version"],
    "environment": ["deployment.environment.name", "deployment.environment", "langfuse.environment"],
    "workflow_id": ["workflow_id", "gen_ai.conversation.id", "traceloop.association.properties.workflow_id"],
}

# Operations that are one billable model call. Agent and tool spans (`invoke_agent`, `execute_tool`)
# wrap such calls: counting them too would count the same tokens twice.
OTEL_INFERENCE_OPERATIONS = ("chat", "text_completion", "generate_content", "embeddings")
# Attributes that can carry prompts or completions (current and older conventions, OpenLLMetry's):
# never read, never stored; a span that has one is counted in `content_fields_dropped`.
OTEL_CONTENT_ATTRIBUTE = (r"^(gen_ai\.(input|output)\.messages|gen_ai\.system_instructions|gen_ai\.prompt\.|"
                          r"gen_ai\.completion\.|gen_ai\.tool\.call\.(arguments|result)|llm\.prompts|"
                          r"traceloop\.entity\.(input|output)|input\.value|output\.value)")


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def list_sql(values) -> str:
    return "[" + ", ".join(sql_str(v) for v in values) + "]"


@dataclass
class Column:
    """How one source field is read: a SQL expression and the DuckDB type it has in the file."""
    expr: str
    sql_type: str = "VARCHAR"


@dataclass
class Source:
    """One file as the view `src`: `_row` (the record's number in the file) and the fields in `columns`."""
    columns: dict[str, Column]
    parsed: str = "true"  # SQL: the record could be read at all
    unparsed_reason: str = "not a JSON object"
    extras: str = "cast(null as varchar)"  # SQL: fields beyond the contract, as a JSON object
    has_content: str = "false"  # SQL: the record carried a prompt or completion (dropped)
    raw_text: str = "null"  # SQL over `src`: the record for the quarantine, never with content
    not_usage: int = 0  # records that are no model call (other spans): counted, not loaded
    csv_rejects: bool = False  # DuckDB's CSV reader keeps the lines it could not split
    has_content_columns: bool = False


def _first_attribute(names: list[str]) -> str:
    """SQL: the value of the first of `names` the record has, in the order given."""
    return "coalesce(" + ", ".join(f"_attr(_attributes, [{sql_str(n)}])" for n in names) + ")"


def otel_source(con: duckdb.DuckDBPyConnection, attribute_names: dict[str, list[str]]) -> Source:
    """Spans of OTLP JSON export requests (one per line in `_keyed`), one record per GenAI call.

    Records are numbered in file order: each call span, and each line that is no export request.
    The event id is `<traceId>-<spanId>`, so a span exported twice is counted once."""
    con.execute("""
        create or replace temp view _otel_lines as
        select *, coalesce(case when _is_object then json_type(_raw, '$.resourceSpans') = 'ARRAY' end, false) as _is_request
        from _keyed
    """)
    con.execute("""
        create or replace temp table _otel_spans as
        with requests as (
            select _row as line, _raw, _is_request from _otel_lines
        ),
        resources as (
            select line, r.i as resource_i, r.v as resource_spans
            from requests, unnest(list_transform(json_extract(_raw, '$.resourceSpans[*]'),
                                                 lambda v, i: {'i': i, 'v': v})) as t(r)
            where _is_request
        ),
        scopes as (
            select line, resource_i, s.i as scope_i, s.v as scope_spans,
                   json_extract(resource_spans, '$.resource.attributes[*]') as resource_attributes
            from resources, unnest(list_transform(json_extract(resource_spans, '$.scopeSpans[*]'),
                                                  lambda v, i: {'i': i, 'v': v})) as t(s)
        ),
        spans as (
            select line as _line, resource_i, scope_i, p.i as span_i, p.v as _span,
                   -- span attributes first, then the resource's: the first of a name wins
                   list_transform(coalesce(json_extract(p.v, '$.attributes[*]'), []) || coalesce(resource_attributes, []),
                       lambda a: {'key': json_extract_string(a, '$.key'),
                                   'value': coalesce(json_extract_string(a, '$.value.stringValue'),
                                                     json_extract_string(a, '$.value.intValue'),
                                                     json_extract_string(a, '$.value.doubleValue'),
                                                     json_extract_string(a, '$.value.boolValue'))})
                       as _attributes
            from scopes, unnest(list_transform(json_extract(scope_spans, '$.spans[*]'),
                                               lambda v, i: {'i': i, 'v': v})) as t(p)
        )
        select *, list_filter(_attributes, lambda a: a.key = 'gen_ai.operation.name')[1].value as _operation
        from spans
    """)
    con.execute("create or replace temp macro _attr(attributes, names) as "
                "list_filter(attributes, lambda a: list_contains(names, a.key))[1].value")
    is_call = (f"coalesce(_operation in {tuple(OTEL_INFERENCE_OPERATIONS)} or _operation is null "
               "and len(list_filter(_attributes, lambda a: starts_with(a.key, 'gen_ai.usage.'))) > 0, false)")
    not_usage = con.execute(f"select count(*) filter (where not {is_call}) from _otel_spans").fetchone()[0]
    usage_keys = ["gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system", "gen_ai.request.model",
                  "gen_ai.response.model", "gen_ai.response.id", "error.type",
                  *(n for names in attribute_names.values() for n in names)]
    con.execute(f"""
        create or replace temp view src as
        select row_number() over (order by _line, resource_i, scope_i, span_i) as _row, *
        from (
            select _row as _line, 0 as resource_i, 0 as scope_i, 0 as span_i, false as _is_span
            from _otel_lines
            where not _is_request
            union all by name
            select *, true as _is_span from _otel_spans where {is_call}
        )
    """)
    field = {
        "event_id": "(_span ->> 'traceId') || '-' || (_span ->> 'spanId')",
        "occurred_at": "make_timestamp(try_cast(try_cast(_span ->> 'startTimeUnixNano' as hugeint) // 1000 as bigint))",
        "latency_ms": "(try_cast(_span ->> 'endTimeUnixNano' as hugeint) "
                      "- try_cast(_span ->> 'startTimeUnixNano' as hugeint)) / 1e6",
        "provider": "coalesce(_attr(_attributes, ['gen_ai.provider.name']), _attr(_attributes, ['gen_ai.system']))",
        "model": "coalesce(_attr(_attributes, ['gen_ai.response.model']), _attr(_attributes, ['gen_ai.request.model']))",
        "operation": "_operation",
        "input_tokens": "_attr(_attributes, ['gen_ai.usage.input_tokens'])",
        "output_tokens": "_attr(_attributes, ['gen_ai.usage.output_tokens'])",
        "cache_read_input_tokens": "_attr(_attributes, ['gen_ai.usage.cache_read.input_tokens'])",
        "cache_creation_input_tokens": "_attr(_attributes, ['gen_ai.usage.cache_creation.input_tokens'])",
        "reasoning_output_tokens": "_attr(_attributes, ['gen_ai.usage.reasoning.output_tokens'])",
        "request_id": "_attr(_attributes, ['gen_ai.response.id'])",
        "service_tier": "nullif(replace(coalesce(_attr(_attributes, ['openai.response.service_tier']), "
                        "_attr(_attributes, ['gen_ai.openai.response.service_tier'])), 'default', 'standard'), 'auto')",
        # OTLP JSON writes the status code as a number (2 = error); protobuf's JSON mapping as a name
        "status": "case when json_extract_string(_span, '$.status.code') in ('2', 'STATUS_CODE_ERROR') then 'error' else 'ok' end",
        **{name: _first_attribute(attribute_names[name])
           for name in ("customer_id", "feature", "prompt_version", "environment")},
        "workflow_id": f"coalesce({_first_attribute(attribute_names['workflow_id'])}, _span ->> 'traceId')",
    }
    columns = {
        name: Column(expr, "TIMESTAMP" if name == "occurred_at" else "DOUBLE" if name == "latency_ms" else "VARCHAR")
        for name, expr in field.items()
    }
    return Source(
        columns, parsed="_is_span", unparsed_reason="not an OTLP JSON export request",
        has_content=f"coalesce(len(list_filter(_attributes, lambda a: regexp_matches(a.key, {sql_str(OTEL_CONTENT_ATTRIBUTE)}))) > 0, false)",
        # the span's ids, name and usage attributes only: attributes can carry prompts
        raw_text=("case when src._is_span then cast(to_json({'line': src._line, 'traceId': src._span ->> 'traceId', "
                  "'spanId': src._span ->> 'spanId', 'name': src._span ->> 'name', 'attributes': "
                  "list_filter(src._attributes, lambda a: starts_with(a.key, 'gen_ai.usage.') "
                  f"or list_contains({list_sql(usage_keys)}, a.key))}}) as varchar) "
                  "else '[line ' || src._line || ': withheld, it can carry prompts]' end"),
        not_usage=not_usage)

"""Usage from where applications already record it, mapped onto the usage contract (docs/inputs.md).

Each format lives in its own sub-folder of the usage folder, so the loader knows it without guessing:

    usage/otel/       OpenTelemetry spans as the Collector's file exporter writes them (OTLP JSON)
    usage/litellm/    LiteLLM's standard logging payload, one JSON object per line
    usage/langfuse/   Langfuse observation exports (JSON lines, CSV or Parquet)

A format is a `Source`: the view `src` with `_row` and one SQL expression per contract field. The
usage loader then types, validates and quarantines every format alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
OTEL_CONTENT_ATTRIBUTE = (r"^(gen_ai\.(input|output)\.messages|gen_ai\.system_instructions|gen_ai\.prompt\.[0-9]|"
                          r"gen_ai\.completion\.[0-9]|gen_ai\.tool\.call\.(arguments|result)|llm\.prompts|"
                          r"traceloop\.entity\.(input|output)|input\.value|output\.value)")
# Token counts of a span: the conventions' names, then the older ones OpenLLMetry still writes
OTEL_TOKEN_COUNTS = {"input": ["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"],
                     "output": ["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"]}


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
    naive_timestamps_are_utc: bool = False  # a format whose timestamps carry no offset and are UTC
    checks: list[str] = field(default_factory=list)  # SQL: more reasons to quarantine a record


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
        "input_tokens": _first_attribute(OTEL_TOKEN_COUNTS["input"]),
        "output_tokens": _first_attribute(OTEL_TOKEN_COUNTS["output"]),
        "cache_read_input_tokens": "coalesce(_attr(_attributes, ['gen_ai.usage.cache_read.input_tokens']), "
                                   "_attr(_attributes, ['gen_ai.usage.cache_read_input_tokens']))",
        "cache_creation_input_tokens": "coalesce(_attr(_attributes, ['gen_ai.usage.cache_creation.input_tokens']), "
                                       "_attr(_attributes, ['gen_ai.usage.cache_creation_input_tokens']))",
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
        # a call span that says nothing of its tokens would cost nothing: not a usage record
        checks=["case when _is_span and len(list_filter(_attributes, lambda a: list_contains("
                f"{list_sql([*OTEL_TOKEN_COUNTS['input'], *OTEL_TOKEN_COUNTS['output']])}, a.key))) = 0 "
                "then 'no gen_ai.usage token counts' end"],
        has_content=f"coalesce(len(list_filter(_attributes, lambda a: regexp_matches(a.key, {sql_str(OTEL_CONTENT_ATTRIBUTE)}))) > 0, false)",
        # the span's ids, name and usage attributes only: attributes can carry prompts
        raw_text=("case when src._is_span then cast(to_json({'line': src._line, 'traceId': src._span ->> 'traceId', "
                  "'spanId': src._span ->> 'spanId', 'name': src._span ->> 'name', 'attributes': "
                  "list_filter(src._attributes, lambda a: starts_with(a.key, 'gen_ai.usage.') "
                  f"or list_contains({list_sql(usage_keys)}, a.key))}}) as varchar) "
                  "else '[line ' || src._line || ': withheld, it can carry prompts]' end"),
        not_usage=not_usage)


def _json_path(*keys: str) -> str:
    """A JSON path of keys, each quoted (attribute names hold dots)."""
    return "'$." + ".".join('"' + k.replace("'", "''").replace('"', '\\"') + '"' for k in keys) + "'"


def _first_json(doc: str, paths: list[str]) -> str:
    """SQL: the first of `paths` present in the JSON `doc`, as text ('' counts as absent)."""
    return "coalesce(" + ", ".join(f"nullif(json_extract_string({doc}, {p}), '')" for p in paths) + ")"


def _token_sum(doc: str, *groups: list[str]) -> str:
    """SQL text: the sum of the first present path of each group in the JSON `doc`; text that is no
    integer when a part is not one (the loader then quarantines the record with the reason)."""
    parts = [_first_json(doc, paths) for paths in groups]
    bad = " or ".join(f"({p} is not null and try_cast({p} as bigint) is null)" for p in parts)
    total = " + ".join(f"coalesce(try_cast({p} as bigint), 0)" for p in parts)
    present = " or ".join(f"{p} is not null" for p in parts)
    return f"case when {bad} then 'not an integer' when {present} then cast({total} as varchar) end"


def _text_sum(*parts: str) -> str:
    """SQL text: the sum of _token_sum texts; not an integer when one is not; null when all are."""
    bad = " or ".join(f"{p} = 'not an integer'" for p in parts)
    total = " + ".join(f"coalesce(try_cast({p} as bigint), 0)" for p in parts)
    present = " or ".join(f"{p} is not null" for p in parts)
    return f"case when {bad} then 'not an integer' when {present} then cast({total} as varchar) end"


# LiteLLM's provider names (custom_llm_provider) in the usage contract's (OpenTelemetry's) terms
LITELLM_PROVIDERS = {
    "text-completion-openai": "openai", "bedrock": "aws.bedrock", "bedrock_converse": "aws.bedrock",
    "azure": "azure.ai.openai", "azure_ai": "azure.ai.inference", "vertex_ai": "gcp.vertex_ai",
    "vertex_ai_beta": "gcp.vertex_ai", "gemini": "gcp.gemini", "mistral": "mistral_ai", "xai": "x_ai",
    "cohere_chat": "cohere",
}
LITELLM_OPERATIONS = {"embedding": "embeddings", "completion": "chat", "text_completion": "chat",
                      "anthropic_messages": "chat", "responses": "chat", "image_generation": "image",
                      "transcription": "audio", "speech": "audio", "rerank": "rerank"}


def _case_map(expr: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"when {sql_str(k)} then {sql_str(v)}" for k, v in mapping.items())
    return f"case {expr} {whens} else {expr} end"


def litellm_source(con: duckdb.DuckDBPyConnection, attribute_names: dict[str, list[str]]) -> Source:
    """LiteLLM's standard logging payload (one object per line in `_keyed`, or one per `.json` file, as its
    S3 logger writes them). `prompt_tokens` counts cache reads and writes for every provider (LiteLLM
    normalises Anthropic's usage), as the contract does; the detail is in `metadata.usage_object`.
    `response_cost` is what LiteLLM charged the call (its price map or the deployment's configured
    prices), in USD: kept as the reported cost, unless LiteLLM says it could not price the call."""
    con.execute("create or replace temp view src as "
                "select _row, _is_object, case when _is_object then _raw end as _json from _keyed")
    usage = ("coalesce(nullif(json_extract(_json, '$.metadata.usage_object'), '{}'), "
             "json_extract(_json, '$.response.usage'))")

    def attribute(field: str, *fallbacks: str) -> str:
        paths = [_json_path(*where, name) for name in attribute_names[field]
                 for where in (("metadata", "requester_metadata"), ("metadata", "spend_logs_metadata"), ("metadata",))]
        return _first_json("_json", paths + list(fallbacks))

    provider = "lower(json_extract_string(_json, '$.custom_llm_provider'))"
    # a cost LiteLLM could not work out is logged as 0 with a diagnostic: not a reported cost
    reported_cost = ("case when coalesce(json_type(_json, '$.response_cost_failure_debug_info'), 'NULL') = 'NULL' "
                     "and coalesce(json_type(_json, '$.zero_cost_diagnostic'), 'NULL') = 'NULL' "
                     "then json_extract_string(_json, '$.response_cost') end")
    # async calls are logged as `a<call type>` (`acompletion`), as the proxy makes every call
    call_type = ("case when substr(json_extract_string(_json, '$.call_type'), 2) in "
                 f"{tuple(LITELLM_OPERATIONS)} then substr(json_extract_string(_json, '$.call_type'), 2) "
                 "else json_extract_string(_json, '$.call_type') end")
    columns = {
        "event_id": Column(_first_json("_json", ["'$.litellm_call_id'", "'$.id'"])),
        "occurred_at": Column("json_extract_string(_json, '$.startTime')"),
        "latency_ms": Column("cast((try_cast(json_extract_string(_json, '$.endTime') as double) "
                             "- try_cast(json_extract_string(_json, '$.startTime') as double)) * 1000 as varchar)"),
        "provider": Column(_case_map(provider, LITELLM_PROVIDERS)),
        # the router logs the deployment's model with LiteLLM's provider prefix ("openai/gpt-4o")
        "model": Column(f"case when starts_with(json_extract_string(_json, '$.model'), {provider} || '/') "
                        f"then substr(json_extract_string(_json, '$.model'), length({provider}) + 2) "
                        "else json_extract_string(_json, '$.model') end"),
        "operation": Column(_case_map(call_type, LITELLM_OPERATIONS)),
        "input_tokens": Column(_token_sum("_json", ["'$.prompt_tokens'"])),
        "output_tokens": Column(_token_sum("_json", ["'$.completion_tokens'"])),
        "cache_read_input_tokens": Column(_token_sum(
            usage, ["'$.prompt_tokens_details.cached_tokens'", "'$.cache_read_input_tokens'"])),
        "cache_creation_input_tokens": Column(_token_sum(
            usage, ["'$.prompt_tokens_details.cache_write_tokens'", "'$.prompt_tokens_details.cache_creation_tokens'",
                    "'$.cache_creation_input_tokens'"])),
        "cache_creation_1h_input_tokens": Column(_token_sum(
            usage, ["'$.prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens'"])),
        "reasoning_output_tokens": Column(_token_sum(usage, ["'$.completion_tokens_details.reasoning_tokens'"])),
        "status": Column("case json_extract_string(_json, '$.status') when 'failure' then 'error' "
                         "when 'success' then 'ok' end"),
        "app_cache_hit": Column("json_extract_string(_json, '$.cache_hit')"),
        "request_id": Column("json_extract_string(_json, '$.id')"),
        "reported_cost": Column(reported_cost),
        "reported_cost_currency": Column(f"case when {reported_cost} is not null then 'USD' end"),
        "customer_id": Column(attribute("customer_id", "'$.end_user'", "'$.metadata.user_api_key_end_user_id'")),
        "feature": Column(attribute("feature")),
        "prompt_version": Column(attribute("prompt_version")),
        "environment": Column(attribute("environment")),
        "workflow_id": Column(attribute("workflow_id", "'$.trace_id'")),
    }
    kept = ["id", "litellm_call_id", "trace_id", "call_type", "status", "custom_llm_provider", "model", "startTime",
            "prompt_tokens", "completion_tokens", "response_cost", "end_user"]
    return Source(
        columns, parsed="_is_object", unparsed_reason="not a JSON object",
        has_content=("coalesce(json_extract_string(src._json, '$.messages') not in ('redacted-by-litellm', '[]', 'null') "
                     "or json_extract_string(src._json, '$.response') not in ('redacted-by-litellm', '{}', 'null'), false)"),
        raw_text=("case when src._is_object then cast(json_object(" + ", ".join(
            f"'{k}', json_extract(src._json, '$.{k}')" for k in kept) + ") as varchar) "
            "else '[withheld: a line that is no JSON object can carry prompts]' end"))


# Langfuse names a model but not its provider: the provider is taken from the metadata when an
# integration put it there, else from the model's name (a model no prefix matches is quarantined).
LANGFUSE_PROVIDER_KEYS = ["gen_ai.provider.name", "gen_ai.system", "provider", "ls_provider"]
MODEL_PREFIX_PROVIDERS = [("gpt-", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4", "openai"),
                          ("chatgpt-", "openai"), ("text-embedding-", "openai"), ("claude-", "anthropic"),
                          ("gemini-", "gcp.gemini"), ("mistral-", "mistral_ai"), ("codestral", "mistral_ai"),
                          ("command", "cohere"), ("deepseek-", "deepseek"), ("grok-", "x_ai")]
LANGFUSE_CALL_TYPES = ("GENERATION", "EMBEDDING")


def langfuse_source(con: duckdb.DuckDBPyConnection, base: Source, attribute_names: dict[str, list[str]]) -> Source:
    """Langfuse observations as its UI export (camelCase, JSON lines or CSV), public API or blob-storage
    export (snake_case, JSON lines, CSV or Parquet) write them; `base` read the file as a table of its
    top-level fields into the relation `_langfuse_all`. Generations and embeddings are calls; other
    observation types (spans, events, agents, tools) are counted, not loaded.

    Langfuse keeps usage in exclusive buckets (`input` without cached tokens, `output` without reasoning
    tokens): the contract's totals are their sums. Its calculated cost comes from its own price table
    and is not kept; a cost the application provided (`providedCostDetails`) is the reported cost."""
    def pick(*names: str) -> str:
        """SQL text of the first of these top-level fields the export has (objects as JSON text)."""
        present = [base.columns[n] for n in names if n in base.columns]
        if not present:
            return "cast(null as varchar)"
        return "coalesce(" + ", ".join(
            f"cast(to_json({c.expr}) as varchar)" if c.sql_type.upper().startswith(("MAP", "STRUCT"))
            else f"nullif(trim(cast({c.expr} as varchar), '\"'), '')"  # the UI's CSV quotes its dates
            for c in present) + ")"

    usage, metadata = pick("usageDetails", "usage_details"), pick("metadata")
    observation_type = f"upper({pick('type')})"
    con.execute(f"""
        create or replace temp view src as
        select *, coalesce({observation_type} in {LANGFUSE_CALL_TYPES}, false) as _is_call from _langfuse_all
        where {observation_type} in {LANGFUSE_CALL_TYPES} or {observation_type} is null
    """)
    not_usage = con.execute(f"select count(*) from _langfuse_all where {observation_type} not in {LANGFUSE_CALL_TYPES}"
                            ).fetchone()[0]

    def attribute(field: str, *fallbacks: str) -> str:
        return "coalesce(" + ", ".join([_first_json(metadata, [_json_path(n) for n in attribute_names[field]]),
                                        *fallbacks]) + ")"

    model = pick("model", "providedModelName", "provided_model_name")
    by_prefix = " ".join(f"when starts_with(lower({model}), {sql_str(prefix)}) then {sql_str(provider)}"
                         for prefix, provider in MODEL_PREFIX_PROVIDERS)
    prompt = f"nullif(concat_ws('@', {pick('promptName', 'prompt_name')}, {pick('promptVersion', 'prompt_version')}), '')"
    provided_cost = pick("providedCostDetails", "provided_cost_details")
    reported_cost = f"json_extract_string({provided_cost}, '$.total')"
    start, end = pick("startTime", "start_time"), pick("endTime", "end_time")
    # an aggregate cache-write key when there is one, else the 5-minute and 1-hour buckets
    cache_write = f"coalesce({_token_sum(usage, _LANGFUSE_CACHE_WRITE)}, {_token_sum(usage, *_LANGFUSE_CACHE_WRITE_BY_TTL)})"
    columns = {
        "event_id": Column(pick("id")),
        "occurred_at": Column(start),
        "latency_ms": Column(f"cast(date_diff('microsecond', try_cast({start} as timestamptz), "
                             f"try_cast({end} as timestamptz)) / 1000 as varchar)"),
        "provider": Column(f"coalesce({_first_json(metadata, [_json_path(k) for k in LANGFUSE_PROVIDER_KEYS])}, "
                           f"case {by_prefix} end)"),
        "model": Column(model),
        "operation": Column(f"case {observation_type} when 'EMBEDDING' then 'embeddings' else 'chat' end"),
        "input_tokens": Column(_text_sum(_token_sum(usage, ["'$.input'"], *_LANGFUSE_CACHE_READ), cache_write)),
        "output_tokens": Column(_token_sum(usage, ["'$.output'"], _LANGFUSE_REASONING)),
        "cache_read_input_tokens": Column(_token_sum(usage, *_LANGFUSE_CACHE_READ)),
        "cache_creation_input_tokens": Column(cache_write),
        "cache_creation_1h_input_tokens": Column(_token_sum(
            usage, ["'$.input_cache_creation_1h'", "'$.cache_creation_ephemeral_1h_input_tokens'"])),
        "reasoning_output_tokens": Column(_token_sum(usage, _LANGFUSE_REASONING)),
        "status": Column(f"case upper({pick('level')}) when 'ERROR' then 'error' else 'ok' end"),
        "reported_cost": Column(reported_cost),
        "reported_cost_currency": Column(f"case when {reported_cost} is not null then 'USD' end"),
        "customer_id": Column(attribute("customer_id", pick("userId", "user_id"))),
        "feature": Column(attribute("feature", pick("traceName", "trace_name"))),
        "prompt_version": Column(attribute("prompt_version", prompt)),
        # Langfuse's own default environment is `default`: the production data of most projects
        "environment": Column(f"nullif({attribute('environment', pick('environment'))}, 'default')"),
        "workflow_id": Column(attribute("workflow_id", pick("traceId", "trace_id"))),
    }
    kept = ["id", "traceId", "trace_id", "type", "startTime", "start_time", "model", "providedModelName",
            "provided_model_name", "usageDetails", "usage_details", "level"]
    return Source(
        columns, parsed=f"{base.parsed} and _is_call", unparsed_reason="not a Langfuse observation",
        has_content=" or ".join(f"{base.columns[k].expr} is not null" for k in ("input", "output") if k in base.columns)
        or "false",
        raw_text="cast(to_json(struct_pack(" + ", ".join(
            f"{sql_ident(k)} := src.{base.columns[k].expr}" for k in kept if k in base.columns) + ")) as varchar)",
        # a CSV line the reader could not split cannot have its input and output cut out: withheld
        not_usage=not_usage, csv_rejects=base.csv_rejects, has_content_columns=True, naive_timestamps_are_utc=True)


_LANGFUSE_CACHE_READ = (["'$.input_cached_tokens'", "'$.cache_read_input_tokens'", "'$.input_cache_read'"],)
_LANGFUSE_CACHE_WRITE = ["'$.cache_creation_input_tokens'", "'$.input_cache_creation'", "'$.cache_write_tokens'"]
_LANGFUSE_CACHE_WRITE_BY_TTL = (["'$.input_cache_creation_5m'"], ["'$.input_cache_creation_1h'"])
_LANGFUSE_REASONING = ["'$.output_reasoning_tokens'", "'$.output_reasoning'", "'$.reasoning_tokens'"]

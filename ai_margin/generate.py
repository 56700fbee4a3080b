"""Deterministic synthetic data in the input layout of shared/contracts/INPUTS.md.

Everything is vectorised with numpy/pyarrow: usage events are written as Parquet, Stripe objects in
the API's own shapes, provider billing computed from the same events at the catalog's list prices
(with a negotiated discount on Bedrock and a small share of usage the application never logged).

The same seed and options always produce byte-identical files.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SCENARIOS = ("model_upgrade", "agent_loop", "unprofitable_customer", "prompt_change", "price_change")
PLANS = ("free", "pro", "enterprise")
PLAN_SHARE = (0.45, 0.40, 0.15)
# Monthly subscription fee per plan, USD cents.
PLAN_FEE_CENTS = {"free": 0, "pro": 9_900, "enterprise": 180_000}
# Relative usage intensity per plan.
PLAN_INTENSITY = {"free": 0.35, "pro": 1.0, "enterprise": 3.0}
SEGMENTS = {"free": "self_serve", "pro": "smb", "enterprise": "enterprise"}
REGIONS = ("us", "eu", "apac")

# Share of provider cost that the application never logged (shows up only on the provider's bill).
UNLOGGED_USAGE_SHARE = Decimal("0.02")
# Negotiated discount on AWS Bedrock list prices (FOCUS EffectiveCost vs ListCost).
BEDROCK_DISCOUNT = Decimal("0.10")
MICRO = Decimal("0.000001")


@dataclass(frozen=True)
class Feature:
    name: str
    provider: str
    model: str
    operation: str
    weight: float  # share of calls
    input_median: float
    output_median: float
    cache_read_share: float = 0.0  # share of input read from the prompt cache, when cached
    cache_prob: float = 0.0  # probability that a call uses the prompt cache
    reasoning_share: float = 0.0
    plans: tuple[str, ...] = PLANS


FEATURES: tuple[Feature, ...] = (
    Feature("chat_assistant", "anthropic", "claude-sonnet-4-5-20250929", "chat", 0.30, 6000, 800, 0.6, 0.7),
    Feature("summarize", "openai", "gpt-4o-mini", "chat", 0.28, 6000, 500, 0.5, 0.3),
    Feature("semantic_search", "openai", "text-embedding-3-small", "embeddings", 0.20, 600, 0),
    Feature("code_review", "openai", "o4-mini", "chat", 0.10, 10000, 4000, 0.4, 0.3, 0.6, ("pro", "enterprise")),
    Feature("doc_extract", "aws.bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0", "chat", 0.08, 12000, 1200),
    Feature("research_agent", "anthropic", "claude-haiku-4-5", "chat", 0.04, 5000, 600, 0.7, 0.8, 0.0, ("enterprise",)),
)
FEATURE_INDEX = {f.name: i for i, f in enumerate(FEATURES)}
UPGRADED_SUMMARIZE_MODEL = "gpt-4.1-mini"
# usage provider name -> genai-prices provider id
CATALOG_PROVIDER = {"openai": "openai", "anthropic": "anthropic", "aws.bedrock": "aws"}


@dataclass
class Options:
    out_dir: Path
    seed: int = 42
    customers: int = 200
    days: int = 90
    events: int = 500_000
    end_date: date = date(2026, 9, 30)
    scenarios: tuple[str, ...] = ()
    progress: Callable[[str], None] = field(default=lambda msg: None)

    @property
    def start_date(self) -> date:
        return self.end_date - timedelta(days=self.days - 1)

    def scenario_day(self, name: str) -> date:
        """The day a scenario starts: spread over the second half so each has a clean baseline."""
        offsets = {"price_change": 0.40, "unprofitable_customer": 0.50, "prompt_change": 0.55,
                   "model_upgrade": 0.65, "agent_loop": 0.75}
        return self.start_date + timedelta(days=int(self.days * offsets[name]))


def _ts(d: date | datetime) -> int:
    if isinstance(d, datetime):
        return int(d.timestamp())
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp())


def _stripe_id(prefix: str, *parts: object) -> str:
    digest = hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()[:14]
    return f"{prefix}_{digest}"


def _add_months(d: date, n: int) -> date:
    month = d.month - 1 + n
    year = d.year + month // 12
    month = month % 12 + 1
    day = min(d.day, [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
    return date(year, month, day)


# ----------------------------------------------------------------------------------------------
# customers


@dataclass
class Customers:
    app_id: list[str]
    plan: np.ndarray  # index into PLANS
    signup: list[date]
    intensity: np.ndarray
    region: list[str]
    stripe_id: list[str]
    discount_pct: np.ndarray  # coupon percent off the subscription
    taxed: np.ndarray  # bool: invoices carry tax


def make_customers(opt: Options, rng: np.random.Generator) -> Customers:
    n = opt.customers
    plan = rng.choice(len(PLANS), size=n, p=PLAN_SHARE)
    # 60% signed up before the period (up to a year), 40% during it.
    before = rng.random(n) < 0.6
    offset = np.where(before, -rng.integers(1, 365, n), rng.integers(0, max(opt.days - 7, 1), n))
    signup = [opt.start_date + timedelta(days=int(o)) for o in offset]
    # Heavy-tailed requests per customer: lognormal intensity, scaled by plan.
    intensity = rng.lognormal(0.0, 0.8, n) * np.array([PLAN_INTENSITY[PLANS[p]] for p in plan])
    region = [REGIONS[i] for i in rng.choice(3, size=n, p=(0.55, 0.30, 0.15))]
    discount = np.where((plan == 1) & (rng.random(n) < 0.15), 20, 0)
    taxed = np.array([r == "eu" for r in region])
    app_id = [f"cust_{i + 1:05d}" for i in range(n)]
    stripe_id = [_stripe_id("cus", opt.seed, a) for a in app_id]
    customers = Customers(app_id, plan, signup, intensity, region, stripe_id, discount, taxed)
    if "unprofitable_customer" in opt.scenarios:
        # A new enterprise design partner on a deep discount, with heavy long-context usage.
        customers.app_id.append("cust_newbig")
        customers.plan = np.append(customers.plan, 2)
        customers.signup.append(opt.scenario_day("unprofitable_customer"))
        customers.intensity = np.append(customers.intensity, 0.0)  # its usage is added explicitly
        customers.region.append("us")
        customers.stripe_id.append(_stripe_id("cus", opt.seed, "cust_newbig"))
        customers.discount_pct = np.append(customers.discount_pct, 80)
        customers.taxed = np.append(customers.taxed, False)
    return customers


# ----------------------------------------------------------------------------------------------
# usage events


def _feature_probs(plan: str) -> np.ndarray:
    w = np.array([f.weight if plan in f.plans else 0.0 for f in FEATURES])
    return w / w.sum()


# Events are made and written a chunk of whole days at a time, so that memory follows the chunk, not the
# dataset (100M events would need about 36 GB at once). A dataset of up to this many events is one chunk:
# the random draws, and so the data, are those of a single pass.
MAX_EVENTS_PER_CHUNK = 12_000_000


def _day_chunks(events_per_day: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """[lo, hi) day ranges of at most `limit` events each (a single day may pass it)."""
    chunks, lo, total = [], 0, 0
    for day, events in enumerate(events_per_day):
        if total and total + events > limit:
            chunks.append((lo, day))
            lo, total = day, 0
        total += events
    return chunks + [(lo, len(events_per_day))]


def usage_chunks(opt: Options, cust: Customers, rng: np.random.Generator) -> Iterator[pa.Table]:
    """One row per AI call, columns named as in the input contract, in chunks of whole days."""
    n_days = opt.days
    active = np.array([[cust.signup[c] <= opt.start_date + timedelta(days=d) for d in range(n_days)]
                       for c in range(len(cust.app_id))])
    weekday = np.array([(opt.start_date + timedelta(days=d)).weekday() for d in range(n_days)])
    day_factor = np.where(weekday >= 5, 0.6, 1.1)
    lam = np.outer(cust.intensity, day_factor) * active
    total = lam.sum()
    scale = opt.events / total if total > 0 else 0.0
    counts = rng.poisson(lam * scale)

    agent_customer = None
    if "agent_loop" in opt.scenarios:
        # A mid-sized enterprise customer's agent starts looping: ~50x its calls for three days.
        ent = [c for c in range(len(cust.app_id)) if PLANS[cust.plan[c]] == "enterprise"
               and cust.signup[c] < opt.start_date and cust.app_id[c] != "cust_newbig"]
        ent.sort(key=lambda c: cust.intensity[c])
        agent_customer = ent[len(ent) // 2] if ent else None

    first_event = 0
    for lo, hi in _day_chunks(counts.sum(axis=0), MAX_EVENTS_PER_CHUNK):
        chunk = _usage_of_days(opt, cust, rng, counts, lo, hi, agent_customer, first_event)
        first_event += chunk.num_rows
        yield chunk


def _usage_of_days(opt: Options, cust: Customers, rng: np.random.Generator, counts: np.ndarray, lo: int, hi: int,
                   agent_customer: int | None, first_event: int) -> pa.Table:
    """The calls of days [lo, hi); event ids continue from `first_event`."""
    n_days = opt.days
    cust_idx = np.repeat(np.arange(len(cust.app_id)), counts[:, lo:hi].sum(axis=1))
    day_idx = np.concatenate([np.repeat(np.arange(lo, hi), counts[c, lo:hi]) for c in range(len(cust.app_id))]) \
        if len(cust_idx) else np.array([], dtype=np.int64)
    n = len(cust_idx)

    feature = np.empty(n, dtype=np.int64)
    plan_of_event = cust.plan[cust_idx]
    for p, plan in enumerate(PLANS):
        mask = plan_of_event == p
        feature[mask] = rng.choice(len(FEATURES), size=int(mask.sum()), p=_feature_probs(plan))

    extra = []
    if agent_customer is not None:
        start = (opt.scenario_day("agent_loop") - opt.start_date).days
        base = max(int(counts[agent_customer, max(start - 7, 0):start].mean()), 20)
        for d in range(max(start, lo), min(start + 3, n_days, hi)):
            k = base * 50
            extra.append((np.full(k, agent_customer), np.full(k, d), np.full(k, FEATURE_INDEX["research_agent"])))
    if "unprofitable_customer" in opt.scenarios:
        c = len(cust.app_id) - 1
        start = (cust.signup[c] - opt.start_date).days
        for d in range(max(start, lo), min(n_days, hi)):
            k = int(rng.poisson(300))
            extra.append((np.full(k, c), np.full(k, d), np.full(k, FEATURE_INDEX["chat_assistant"])))
    if extra:
        cust_idx = np.concatenate([cust_idx] + [e[0] for e in extra])
        day_idx = np.concatenate([day_idx] + [e[1] for e in extra])
        feature = np.concatenate([feature] + [e[2] for e in extra])
        n = len(cust_idx)

    # Order by time so files are append-like, as a real log would be.
    second = rng.integers(0, 86_400, n)
    order = np.lexsort((second, day_idx))
    cust_idx, day_idx, feature, second = cust_idx[order], day_idx[order], feature[order], second[order]

    f_in = np.array([f.input_median for f in FEATURES])[feature]
    f_out = np.array([f.output_median for f in FEATURES])[feature]
    input_tokens = np.maximum(rng.lognormal(np.log(f_in), 0.8), 1)
    output_tokens = np.where(f_out > 0, np.maximum(rng.lognormal(np.log(np.maximum(f_out, 1)), 0.7), 1), 0)

    # Strings are built by Arrow from integer codes (dictionary arrays), never as Python objects.
    model_names = [f.model for f in FEATURES] + [UPGRADED_SUMMARIZE_MODEL]
    model_code = feature.copy()
    prompt_v2 = np.zeros(n, dtype=bool)

    if "unprofitable_customer" in opt.scenarios:
        big = cust_idx == len(cust.app_id) - 1
        input_tokens[big] *= 4  # long-context documents
    if "prompt_change" in opt.scenarios:
        prompt_v2 = (feature == FEATURE_INDEX["chat_assistant"]) & \
            (day_idx >= (opt.scenario_day("prompt_change") - opt.start_date).days)
        input_tokens[prompt_v2] *= 1.4
    if "model_upgrade" in opt.scenarios:
        up = (feature == FEATURE_INDEX["summarize"]) & \
            (day_idx >= (opt.scenario_day("model_upgrade") - opt.start_date).days)
        model_code[up] = len(FEATURES)
        output_tokens[up] *= 1.12  # the new model is also a little more verbose

    input_tokens = input_tokens.astype(np.int64)
    output_tokens = output_tokens.astype(np.int64)
    cache_share = np.array([f.cache_read_share for f in FEATURES])[feature]
    cache_prob = np.array([f.cache_prob for f in FEATURES])[feature]
    cached = rng.random(n) < cache_prob
    cache_read = np.where(cached, (input_tokens * cache_share * rng.uniform(0.7, 1.0, n)), 0).astype(np.int64)
    # Anthropic calls that miss the cache write it; a fifth of the writes use the 1-hour TTL.
    is_anthropic = np.array([f.provider == "anthropic" for f in FEATURES])[feature]
    writes = is_anthropic & ~cached & (cache_prob > 0) & (rng.random(n) < 0.5)
    cache_write = np.where(writes, (input_tokens - cache_read) * 0.5, 0).astype(np.int64)
    cache_write_1h = np.where(writes & (rng.random(n) < 0.2), cache_write, 0).astype(np.int64)
    reasoning = (output_tokens * np.array([f.reasoning_share for f in FEATURES])[feature]).astype(np.int64)

    is_error = rng.random(n) < 0.01  # failed calls still consumed their input
    output_tokens[is_error] = 0
    reasoning[is_error] = 0
    is_retry = (rng.random(n) < 0.012)
    app_cache_hit = (feature == FEATURE_INDEX["summarize"]) & (rng.random(n) < 0.03)
    for arr in (input_tokens, output_tokens, cache_read, cache_write, cache_write_1h, reasoning):
        arr[app_cache_hit] = 0
    is_staging = rng.random(n) < 0.02

    base_ts = _ts(opt.start_date)
    occurred = (base_ts + day_idx * 86_400 + second) * 1_000_000
    ids = pc.binary_join_element_wise("evt_", pc.cast(pa.array(np.arange(n) + 1 + first_event), pa.string()), "")
    app_ids = _strings(cust_idx, cust.app_id)
    agent = feature == FEATURE_INDEX["research_agent"]
    # About six calls per workflow; agent loops keep calling inside one workflow.
    workflow = pc.if_else(pa.array(agent), pc.binary_join_element_wise(
        "wf_", app_ids, "_", pc.cast(pa.array(day_idx), pa.string()), "_",
        pc.cast(pa.array((second // 1800).astype(np.int64)), pa.string()), ""), pa.scalar(None, pa.string()))
    latency = (rng.lognormal(np.log(900), 0.5, n)).astype(np.int64)

    return pa.table({
        "event_id": ids,
        "occurred_at": pa.array(occurred, pa.timestamp("us", tz="UTC")),
        "customer_id": app_ids,
        "feature": _strings(feature, [f.name for f in FEATURES]),
        "provider": _strings(feature, [f.provider for f in FEATURES]),
        "model": _strings(model_code, model_names),
        "operation": _strings(feature, [f.operation for f in FEATURES]),
        "input_tokens": pa.array(input_tokens, pa.int64()),
        "output_tokens": pa.array(output_tokens, pa.int64()),
        "cache_read_input_tokens": pa.array(cache_read, pa.int64()),
        "cache_creation_input_tokens": pa.array(cache_write, pa.int64()),
        "cache_creation_1h_input_tokens": pa.array(cache_write_1h, pa.int64()),
        "reasoning_output_tokens": pa.array(reasoning, pa.int64()),
        "service_tier": _strings(np.zeros(n, dtype=np.int64), ["standard"]),
        "status": _strings(is_error.astype(np.int64), ["ok", "error"]),
        "is_retry": pa.array(is_retry),
        "app_cache_hit": pa.array(app_cache_hit),
        "workflow_id": workflow,
        "latency_ms": pa.array(latency, pa.int64()),
        "prompt_version": _strings(prompt_v2.astype(np.int64), ["v1", "v2"]),
        "environment": _strings(is_staging.astype(np.int64), ["production", "staging"]),
        "plan": _strings(cust.plan[cust_idx], list(PLANS)),  # becomes attributes.plan in the loader
    })


def _strings(codes: np.ndarray, names: list[str]) -> pa.Array:
    """names[codes] as an Arrow string array, built in C++."""
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(names, pa.string())).cast(pa.string())


def write_usage(opt: Options, table: pa.Table, files_in_month: dict[date, int],
                rows_per_file: int = 1_000_000) -> list[Path]:
    """Parquet, one folder per month, files of at most rows_per_file rows (events are sorted by time).
    `files_in_month` numbers the files of each month across chunks."""
    usage_dir = opt.out_dir / "usage"
    usage_dir.mkdir(parents=True, exist_ok=True)
    # attributes as a map<string,string>, the contract's shape
    plan = table["plan"].combine_chunks()
    offsets = pa.array(np.arange(len(plan) + 1, dtype=np.int32))
    attributes = pa.MapArray.from_arrays(offsets, pa.array(["plan"] * len(plan), pa.string()), plan)
    table = table.drop_columns(["plan"]).append_column("attributes", attributes)
    micros = table["occurred_at"].combine_chunks().cast(pa.int64()).to_numpy()
    paths = []
    month = opt.start_date.replace(day=1)
    while month <= opt.end_date:
        next_month = _add_months(month, 1)
        lo, hi = np.searchsorted(micros, [_ts(month) * 1_000_000, _ts(next_month) * 1_000_000])
        for start in range(lo, hi, rows_per_file):
            i = files_in_month[month] = files_in_month.get(month, -1) + 1
            path = usage_dir / month.strftime("%Y-%m") / f"events-{i:04d}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table.slice(start, min(rows_per_file, hi - start)), path, compression="zstd")
            paths.append(path)
        month = next_month
    return paths


# ----------------------------------------------------------------------------------------------
# prices (from the genai-prices catalog, so billing agrees with what the warehouse will price)


PRICE_FIELDS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "cache_write_1h_mtok")


def catalog_price(provider: str, model: str) -> dict[str, Decimal]:
    from genai_prices.data_snapshot import get_snapshot

    prov = next(p for p in get_snapshot().providers if p.id == CATALOG_PROVIDER[provider])
    info = prov.find_model(model)
    if info is None:
        raise ValueError(f"genai-prices has no price for {provider}/{model}")
    prices = info.prices if not isinstance(info.prices, list) else info.prices[0].prices
    out: dict = {"tier_start": None}
    for name in PRICE_FIELDS:
        value = getattr(prices, name, None)
        if getattr(value, "tiers", None):  # context-size tier: the whole call at the tier price
            out["tier_start"] = value.tiers[0].start
            out[f"{name}_tier"] = Decimal(value.tiers[0].price)
        value = getattr(value, "base", value)
        out[name] = Decimal(value) if value is not None else None
    if out["cache_write_1h_mtok"] is None:
        out["cache_write_1h_mtok"] = out["cache_write_mtok"]
    for name in ("cache_read_mtok", "cache_write_mtok", "cache_write_1h_mtok"):
        if out[name] is None:
            out[name] = out["input_mtok"]
    if out["output_mtok"] is None:
        out["output_mtok"] = Decimal(0)
    return out


TOKEN_TYPES = ("uncached_input", "cache_read", "cache_write_5m", "cache_write_1h", "output")
PRICE_OF_TOKEN_TYPE = dict(zip(TOKEN_TYPES, ("input_mtok", "cache_read_mtok", "cache_write_mtok",
                                             "cache_write_1h_mtok", "output_mtok")))


def usage_by_day_model(table: pa.Table, price_cache: dict) -> list[dict]:
    """Tokens per day, provider, model, service tier, context tier and token type of the calls that
    reached a provider."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")  # days are UTC days, as the chunks are
    con.register("usage", table)
    con.register("tiers", pa.table({
        "provider": [k[0] for k in price_cache], "model": [k[1] for k in price_cache],
        "tier_start": pa.array([v["tier_start"] for v in price_cache.values()], pa.int64())}))
    rows = con.execute("""
        select cast(occurred_at as date) as day, provider, model, service_tier,
               coalesce(input_tokens > tier_start, false) as long_context,
               sum(input_tokens - cache_read_input_tokens - cache_creation_input_tokens) as uncached_input,
               sum(cache_read_input_tokens) as cache_read,
               sum(cache_creation_input_tokens - cache_creation_1h_input_tokens) as cache_write_5m,
               sum(cache_creation_1h_input_tokens) as cache_write_1h,
               sum(output_tokens) as output,
               count(*) as requests
        from usage left join tiers using (provider, model) where not app_cache_hit
        group by all order by all
    """).fetchall()
    cols = ["day", "provider", "model", "service_tier", "long_context", *TOKEN_TYPES, "requests"]
    return [dict(zip(cols, r)) for r in rows]


def billed_cost(opt: Options, row: dict, token_type: str, prices: dict[str, Decimal]) -> Decimal:
    """List-price cost of one token type on one day, grossed up for usage the app never logged."""
    field = PRICE_OF_TOKEN_TYPE[token_type]
    price = prices.get(f"{field}_tier") if row["long_context"] and prices.get(f"{field}_tier") else prices[field]
    if "price_change" in opt.scenarios and row["model"].startswith("claude-sonnet-4-5") \
            and row["day"] >= opt.scenario_day("price_change"):
        price = price * Decimal("1.25")  # the provider raised this model's price mid-period
    cost = Decimal(int(row[token_type])) * price / Decimal(1_000_000)
    return cost * (1 + UNLOGGED_USAGE_SHARE)


# ----------------------------------------------------------------------------------------------
# provider billing


def _day_bounds(day: date) -> tuple[int, int]:
    return _ts(day), _ts(day + timedelta(days=1))


def write_openai_costs(opt: Options, usage: list[dict], price_cache: dict) -> None:
    """Costs API pages as returned by GET /v1/organization/costs?group_by=line_item&bucket_width=1d."""
    out = opt.out_dir / "providers" / "openai"
    out.mkdir(parents=True, exist_ok=True)
    days: dict[date, list[dict]] = {}
    for row in usage:
        if row["provider"] != "openai":
            continue
        prices = price_cache[(row["provider"], row["model"])]
        for token_type, label in (("uncached_input", "input"), ("cache_read", "cached input"), ("output", "output")):
            cost = billed_cost(opt, row, token_type, prices)
            if cost == 0:
                continue
            days.setdefault(row["day"], []).append({
                "object": "organization.costs.result",
                "amount": {"value": float(cost.quantize(MICRO, ROUND_HALF_EVEN)), "currency": "usd"},
                "line_item": f"{row['model']}, {label}",
                "project_id": "proj_app_production",
                "api_key_id": None,
                "quantity": None,
                "quantity_unit": None,
            })
    buckets = [{"object": "bucket", "start_time": _day_bounds(d)[0], "end_time": _day_bounds(d)[1],
                "results": days[d]} for d in sorted(days)]
    pages = [buckets[i:i + 31] for i in range(0, len(buckets), 31)] or [[]]
    for i, page in enumerate(pages):
        has_more = i < len(pages) - 1
        body = {"object": "page", "data": page, "has_more": has_more,
                "next_page": f"page_{i + 2:04d}" if has_more else None}
        (out / f"costs_page_{i + 1:04d}.json").write_text(json.dumps(body, indent=1))


def write_anthropic_costs(opt: Options, usage: list[dict], price_cache: dict) -> None:
    """cost_report pages (group_by description): amounts are decimal strings in cents."""
    out = opt.out_dir / "providers" / "anthropic"
    out.mkdir(parents=True, exist_ok=True)
    token_names = {"uncached_input": "uncached_input_tokens", "cache_read": "cache_read_input_tokens",
                   "cache_write_5m": "cache_creation.ephemeral_5m_input_tokens",
                   "cache_write_1h": "cache_creation.ephemeral_1h_input_tokens", "output": "output_tokens"}
    days: dict[date, list[dict]] = {}
    for row in usage:
        if row["provider"] != "anthropic":
            continue
        prices = price_cache[(row["provider"], row["model"])]
        for token_type in TOKEN_TYPES:
            cost = billed_cost(opt, row, token_type, prices)
            if cost == 0:
                continue
            days.setdefault(row["day"], []).append({
                "currency": "USD",
                "amount": str((cost * 100).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)),
                "workspace_id": "wrkspc_app_production",
                "description": f"{row['model']} usage - {token_names[token_type]}",
                "cost_type": "tokens",
                "context_window": "200k-1M" if row["long_context"] else "0-200k",
                "model": row["model"],
                "service_tier": row["service_tier"],
                "token_type": token_names[token_type],
                "inference_geo": None,
            })
    buckets = [{"starting_at": f"{d.isoformat()}T00:00:00Z",
                "ending_at": f"{(d + timedelta(days=1)).isoformat()}T00:00:00Z",
                "results": days[d]} for d in sorted(days)]
    pages = [buckets[i:i + 31] for i in range(0, len(buckets), 31)] or [[]]
    for i, page in enumerate(pages):
        has_more = i < len(pages) - 1
        body = {"data": page, "has_more": has_more, "next_page": f"page_{i + 2:04d}" if has_more else None}
        (out / f"cost_report_page_{i + 1:04d}.json").write_text(json.dumps(body, indent=1))


FOCUS_COLUMNS = ("BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodStart",
                 "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory", "ChargeClass",
                 "ChargeDescription", "ChargeFrequency", "ProviderName", "PublisherName", "InvoiceIssuerName",
                 "ServiceCategory", "ServiceName", "RegionId", "SkuId", "ConsumedQuantity", "ConsumedUnit",
                 "PricingQuantity", "PricingUnit", "ListUnitPrice", "ContractedUnitPrice", "ListCost",
                 "ContractedCost", "EffectiveCost", "BilledCost", "Tags")


def write_focus_bedrock(opt: Options, usage: list[dict], price_cache: dict) -> None:
    """A FOCUS 1.2 export of AWS Bedrock charges, with a negotiated discount off list price."""
    out = opt.out_dir / "providers" / "focus"
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for row in usage:
        if row["provider"] != "aws.bedrock":
            continue
        prices = price_cache[(row["provider"], row["model"])]
        for token_type in ("uncached_input", "output"):
            qty = int(row[token_type])
            if qty == 0:
                continue
            list_cost = billed_cost(opt, row, token_type, prices)
            contracted = list_cost * (1 - BEDROCK_DISCOUNT)
            unit = prices[PRICE_OF_TOKEN_TYPE[token_type]] / 1000  # per 1K tokens, as Bedrock prices
            first_of_month = row["day"].replace(day=1)
            rows.append({
                "BillingAccountId": "123456789012", "BillingAccountName": "acme-ai-prod", "BillingCurrency": "USD",
                "BillingPeriodStart": f"{first_of_month} 00:00:00",
                "BillingPeriodEnd": f"{_add_months(first_of_month, 1)} 00:00:00",
                "ChargePeriodStart": f"{row['day']}T00:00:00Z",
                "ChargePeriodEnd": f"{row['day'] + timedelta(days=1)}T00:00:00Z",
                "ChargeCategory": "Usage", "ChargeClass": "NULL",
                "ChargeDescription": f"{row['model']} {'input' if token_type != 'output' else 'output'} tokens",
                "ChargeFrequency": "Usage-Based", "ProviderName": "AWS", "PublisherName": "Anthropic",
                "InvoiceIssuerName": "AWS", "ServiceCategory": "AI and Machine Learning",
                "ServiceName": "Amazon Bedrock", "RegionId": "us-east-1",
                "SkuId": f"USE1-{row['model']}-{'input' if token_type != 'output' else 'output'}-tokens",
                "ConsumedQuantity": qty, "ConsumedUnit": "Tokens",
                "PricingQuantity": str((Decimal(qty) / 1000)), "PricingUnit": "1K Tokens",
                "ListUnitPrice": str(unit), "ContractedUnitPrice": str(unit * (1 - BEDROCK_DISCOUNT)),
                "ListCost": str(list_cost.quantize(Decimal("0.0000000001"))),
                "ContractedCost": str(contracted.quantize(Decimal("0.0000000001"))),
                "EffectiveCost": str(contracted.quantize(Decimal("0.0000000001"))),
                "BilledCost": str(contracted.quantize(Decimal("0.0000000001"))),
                "Tags": json.dumps({"app": "margin-demo"}),
            })
    # One month-end credit, as AWS issues them: negative cost, ChargeCategory Credit, charged over the
    # billing month it is for (ChargePeriodStart the 1st, ChargePeriodEnd the 1st of the next month): the
    # last month that has ended by the last day billed (the month of that day if it is a month end).
    if rows:
        last = date.fromisoformat(max(r["ChargePeriodStart"] for r in rows)[:10])
        month_end = last + timedelta(days=1) if (last + timedelta(days=1)).day == 1 else last.replace(day=1)
        month = _add_months(month_end, -1)
        rows.append({**rows[-1], "ChargeCategory": "Credit", "ChargeFrequency": "One-Time",
                     "BillingPeriodStart": f"{month} 00:00:00", "BillingPeriodEnd": f"{month_end} 00:00:00",
                     "ChargePeriodStart": f"{month}T00:00:00Z", "ChargePeriodEnd": f"{month_end}T00:00:00Z",
                     "ChargeDescription": "AWS Activate credit", "SkuId": "", "ConsumedQuantity": "NULL",
                     "ConsumedUnit": "NULL", "PricingQuantity": "NULL", "PricingUnit": "NULL",
                     "ListUnitPrice": "NULL", "ContractedUnitPrice": "NULL", "ListCost": "0",
                     "ContractedCost": "-25.00", "EffectiveCost": "-25.00", "BilledCost": "-25.00"})
    with open(out / "bedrock_focus_1.2.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FOCUS_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


# ----------------------------------------------------------------------------------------------
# Stripe objects


def _price_obj(price_id: str, product_id: str, amount: int, created: int) -> dict:
    return {"id": price_id, "object": "price", "active": True, "billing_scheme": "per_unit", "created": created,
            "currency": "usd", "livemode": False, "lookup_key": None, "metadata": {}, "nickname": None,
            "product": product_id, "recurring": {"interval": "month", "interval_count": 1, "meter": None,
                                                 "usage_type": "licensed", "trial_period_days": None},
            "tax_behavior": "exclusive", "tiers_mode": None, "transform_quantity": None, "type": "recurring",
            "unit_amount": amount, "unit_amount_decimal": str(amount)}


def write_stripe(opt: Options, cust: Customers, rng: np.random.Generator) -> None:
    out = opt.out_dir / "stripe"
    out.mkdir(parents=True, exist_ok=True)
    created0 = _ts(opt.start_date - timedelta(days=400))
    products, prices = [], {}
    for plan in PLANS:
        pid = f"prod_{plan}_plan"
        products.append({"id": pid, "object": "product", "active": True, "created": created0,
                         "description": f"{plan.title()} plan", "livemode": False, "metadata": {"plan": plan},
                         "name": f"{plan.title()}", "type": "service", "updated": created0})
        prices[plan] = _price_obj(f"price_{plan}_monthly", pid, PLAN_FEE_CENTS[plan], created0)

    customers, subscriptions, invoices, credit_notes, refunds = [], [], [], [], []
    # Documents every revenue rule meets (none draws from rng, so the rest of the data is unchanged): the
    # first APAC pro customer's prices include 9% GST (tax-inclusive); the first pro customer signed up
    # before the data starts gets a credit note on its first paid invoice, voided two days after it was
    # issued, and its next invoice is issued twice, the copy voided three days later; every other service
    # credit is refunded through its credit note.
    paying = [c for c in range(len(cust.app_id)) if PLANS[cust.plan[c]] == "pro"]
    tax_inclusive_customer = next((c for c in paying if cust.region[c] == "apac" and not cust.taxed[c]), None)
    void_copy_customer = next((c for c in paying if cust.signup[c] <= opt.start_date), None)
    voided_credit_note_made = void_copy_made = False
    for c, app_id in enumerate(cust.app_id):
        plan = PLANS[cust.plan[c]]
        signup = cust.signup[c]
        sid = cust.stripe_id[c]
        customers.append({
            "id": sid, "object": "customer", "address": {"country": {"us": "US", "eu": "DE", "apac": "SG"}[cust.region[c]]},
            "balance": 0, "created": _ts(signup), "currency": "usd", "delinquent": False, "description": None,
            "email": f"billing@{app_id.replace('_', '-')}.example.com", "livemode": False,
            "metadata": {"customer_id": app_id, "segment": SEGMENTS[plan], "region": cust.region[c],
                         "company_size": ("1-10", "11-50", "51-200", "201-1000")[int(rng.integers(0, 4))]},
            "name": f"Customer {app_id}", "tax_exempt": "none", "test_clock": None,
        })
        sub_id = _stripe_id("sub", opt.seed, app_id)
        item_id = _stripe_id("si", opt.seed, app_id)
        discount = int(cust.discount_pct[c])
        # The last billing period that started on or before the end date is the current one.
        k = 0
        while _add_months(signup, k + 1) <= opt.end_date:
            k += 1
        subscriptions.append({
            "id": sub_id, "object": "subscription", "billing_cycle_anchor": _ts(signup), "cancel_at": None,
            "canceled_at": None, "collection_method": "charge_automatically", "created": _ts(signup),
            "currency": "usd", "customer": sid, "discounts": [f"di_{sub_id}"] if discount else [],
            "ended_at": None, "livemode": False, "metadata": {"plan": plan},
            "items": {"object": "list", "has_more": False, "url": f"/v1/subscription_items?subscription={sub_id}",
                      "data": [{"id": item_id, "object": "subscription_item", "created": _ts(signup),
                                "current_period_start": _ts(_add_months(signup, k)),
                                "current_period_end": _ts(_add_months(signup, k + 1)),
                                "metadata": {}, "price": prices[plan], "quantity": 1, "subscription": sub_id}]},
            "start_date": _ts(signup), "status": "active",
        })
        if plan == "free":
            continue
        k = 0
        while True:
            p_start, p_end = _add_months(signup, k), _add_months(signup, k + 1)
            if p_start > opt.end_date:
                break
            k += 1
            if p_end <= opt.start_date:
                continue  # periods entirely before the data window are not exported
            inv_id = _stripe_id("in", opt.seed, app_id, k)
            amount = PLAN_FEE_CENTS[plan]
            disc = amount * discount // 100
            taxable = amount - disc
            tax_inclusive = c == tax_inclusive_customer
            if tax_inclusive:  # GST inside the price: the total is the price; 9/109 of it is tax
                tax = (taxable * 9 * 2 + 109) // (109 * 2)
                total = taxable
            else:
                tax = taxable * 19 // 100 if cust.taxed[c] else 0
                total = taxable + tax
            paid_at = _ts(p_start) + 3600
            line = {
                "id": _stripe_id("il", opt.seed, app_id, k), "object": "line_item", "amount": amount,
                "currency": "usd", "description": f"1 × {plan.title()} (at ${amount / 100:.2f} / month)",
                "discount_amounts": [{"amount": disc, "discount": f"di_{sub_id}"}] if disc else [],
                "discountable": True, "discounts": [f"di_{sub_id}"] if disc else [], "invoice": inv_id,
                "livemode": False, "metadata": {}, "period": {"start": _ts(p_start), "end": _ts(p_end)},
                "quantity": 1, "subscription": sub_id,
                "parent": {"type": "subscription_item_details", "invoice_item_details": None,
                           "subscription_item_details": {"invoice_item": None, "proration": False,
                                                         "proration_details": {"credited_items": None},
                                                         "subscription": sub_id, "subscription_item": item_id}},
                "pricing": {"type": "price_details", "price_details": {"price": prices[plan]["id"],
                                                                       "product": prices[plan]["product"]},
                            "unit_amount_decimal": str(amount)},
                "taxes": [{"amount": tax, "tax_behavior": "inclusive" if tax_inclusive else "exclusive",
                           "taxable_amount": taxable - tax if tax_inclusive else taxable,
                           "type": "tax_rate_details",
                           "tax_rate_details": {"tax_rate": "txr_gst_sg_9" if tax_inclusive else "txr_vat_de_19"},
                           "taxability_reason": "standard_rated"}] if tax else [],
                "pretax_credit_amounts": [],
            }
            status = "paid" if p_start <= opt.end_date - timedelta(days=2) else "open"
            invoices.append({
                "id": inv_id, "object": "invoice", "account_country": "US", "amount_due": total,
                "amount_paid": total if status == "paid" else 0, "amount_remaining": 0 if status == "paid" else total,
                "billing_reason": "subscription_cycle" if k > 1 else "subscription_create",
                "collection_method": "charge_automatically", "created": _ts(p_start), "currency": "usd",
                "customer": sid, "customer_email": customers[-1]["email"], "discounts": line["discounts"],
                "effective_at": _ts(p_start), "livemode": False, "metadata": {},
                "lines": {"object": "list", "data": [line], "has_more": False, "url": f"/v1/invoices/{inv_id}/lines"},
                "parent": {"type": "subscription_details", "subscription_details": {"subscription": sub_id,
                                                                                     "metadata": {}}},
                "period_start": _ts(p_start), "period_end": _ts(p_end),
                "status": status, "status_transitions": {"finalized_at": _ts(p_start),
                                                         "paid_at": paid_at if status == "paid" else None,
                                                         "voided_at": None, "marked_uncollectible_at": None},
                "subtotal": amount, "subtotal_excluding_tax": amount - tax if tax_inclusive else amount,
                "tax": tax, "total": total,
                "total_discount_amounts": line["discount_amounts"], "total_excluding_tax": total - tax,
                "total_taxes": line["taxes"],
                "payments": {"object": "list", "has_more": False, "data": [{
                    "id": _stripe_id("inpay", opt.seed, app_id, k), "object": "invoice_payment",
                    "amount_paid": total if status == "paid" else None, "currency": "usd", "invoice": inv_id,
                    "is_default": True, "payment": {"type": "payment_intent",
                                                    "payment_intent": _stripe_id("pi", opt.seed, app_id, k)},
                    "status": "paid" if status == "paid" else "open"}]},
            })
            if c == void_copy_customer and status == "paid" and voided_credit_note_made and not void_copy_made:
                void_copy_made = True
                copy_id = _stripe_id("in", opt.seed, app_id, k, "copy")
                invoices.append({**invoices[-1], "id": copy_id, "amount_due": 0, "amount_paid": 0,
                                 "amount_remaining": 0, "status": "void", "payments": {**invoices[-1]["payments"], "data": []},
                                 "lines": {**invoices[-1]["lines"], "url": f"/v1/invoices/{copy_id}/lines",
                                           "data": [{**line, "id": _stripe_id("il", opt.seed, app_id, k, "copy"),
                                                     "invoice": copy_id}]},
                                 "status_transitions": {"finalized_at": _ts(p_start), "paid_at": None,
                                                        "voided_at": _ts(p_start) + 3 * 86_400,
                                                        "marked_uncollectible_at": None}})
            if c == void_copy_customer and status == "paid" and not voided_credit_note_made:
                voided_credit_note_made = True
                credit_notes.append(_credit_note(opt, app_id, "voided", sid, inv_id, line["id"], taxable // 10,
                                                 paid_at + 3 * 86_400, voided_at=paid_at + 5 * 86_400))
            # A few customers get a service credit (credit note) or a partial refund on a paid invoice.
            draw = rng.random()
            if status == "paid" and draw < 0.03:
                cn_amount = taxable // 4
                # every other credit is paid back through the credit note (a refund it names)
                refund_id = _stripe_id("re", opt.seed, "cn", app_id, k) if len(credit_notes) % 2 else None
                if refund_id:
                    refunds.append({
                        "id": refund_id, "object": "refund", "amount": cn_amount,
                        "balance_transaction": _stripe_id("txn", opt.seed, "cn", app_id, k),
                        "charge": _stripe_id("ch", opt.seed, app_id, k), "created": paid_at + 5 * 86_400,
                        "currency": "usd", "customer": sid, "metadata": {},
                        "payment_intent": _stripe_id("pi", opt.seed, app_id, k), "reason": "requested_by_customer",
                        "status": "succeeded",
                    })
                credit_notes.append({
                    "id": _stripe_id("cn", opt.seed, app_id, k), "object": "credit_note", "amount": cn_amount,
                    "created": paid_at + 5 * 86_400, "currency": "usd", "customer": sid,
                    "discount_amount": 0, "discount_amounts": [], "effective_at": paid_at + 5 * 86_400,
                    "invoice": inv_id, "livemode": False, "memo": "Service credit for an outage",
                    "metadata": {}, "number": f"CN-{k:04d}", "reason": "product_unsatisfactory",
                    "status": "issued", "subtotal": cn_amount, "subtotal_excluding_tax": cn_amount,
                    "total": cn_amount, "total_excluding_tax": cn_amount, "type": "post_payment",
                    "refunds": [{"refund": refund_id, "amount_refunded": cn_amount, "type": "refund"}] if refund_id else [],
                    "credit_amount": 0 if refund_id else cn_amount, "refund_amount": cn_amount if refund_id else 0,
                    "lines": {"object": "list", "has_more": False, "data": [{
                        "id": _stripe_id("cnli", opt.seed, app_id, k), "object": "credit_note_line_item",
                        "amount": cn_amount, "description": "Service credit", "discount_amount": 0,
                        "discount_amounts": [], "invoice_line_item": line["id"], "livemode": False,
                        "quantity": 1, "tax_rates": [], "taxes": [], "type": "invoice_line_item",
                        "unit_amount": None, "unit_amount_decimal": None, "metadata": {}}]},
                })
            elif status == "paid" and draw < 0.05:
                refunds.append({
                    "id": _stripe_id("re", opt.seed, app_id, k), "object": "refund", "amount": taxable // 2,
                    "balance_transaction": _stripe_id("txn", opt.seed, "re", app_id, k),
                    "charge": _stripe_id("ch", opt.seed, app_id, k), "created": paid_at + 10 * 86_400,
                    "currency": "usd", "customer": sid, "metadata": {"invoice": inv_id},
                    "payment_intent": _stripe_id("pi", opt.seed, app_id, k), "reason": "requested_by_customer",
                    "status": "succeeded",
                })
    _write_stripe_list(out, "customers", customers)
    _write_stripe_list(out, "products", products)
    _write_stripe_list(out, "prices", list(prices.values()))
    _write_stripe_list(out, "subscriptions", subscriptions)
    _write_stripe_list(out, "invoices", invoices)
    _write_stripe_list(out, "credit_notes", credit_notes)
    _write_stripe_list(out, "refunds", refunds)


def _credit_note(opt: Options, app_id: str, tag: str, customer: str, invoice: str, line_id: str, amount: int,
                 effective: int, voided_at: int | None = None) -> dict:
    """A credit note to the customer's balance for `amount` on one invoice line, voided at `voided_at`."""
    cn_id = _stripe_id("cn", opt.seed, app_id, tag)
    return {
        "id": cn_id, "object": "credit_note", "amount": amount, "created": effective, "currency": "usd",
        "customer": customer, "discount_amount": 0, "discount_amounts": [], "effective_at": effective,
        "invoice": invoice, "livemode": False, "memo": "Goodwill credit", "metadata": {}, "number": f"CN-{tag}",
        "reason": "order_change", "status": "void" if voided_at else "issued", "voided_at": voided_at,
        "subtotal": amount, "subtotal_excluding_tax": amount, "total": amount, "total_excluding_tax": amount,
        "type": "post_payment", "refunds": [], "credit_amount": amount, "refund_amount": 0,
        "lines": {"object": "list", "has_more": False, "url": f"/v1/credit_notes/{cn_id}/lines", "data": [{
            "id": _stripe_id("cnli", opt.seed, app_id, tag), "object": "credit_note_line_item", "amount": amount,
            "description": "Goodwill credit", "discount_amount": 0, "discount_amounts": [],
            "invoice_line_item": line_id, "livemode": False, "quantity": 1, "tax_rates": [], "taxes": [],
            "type": "invoice_line_item", "unit_amount": None, "unit_amount_decimal": None, "metadata": {}}]},
    }


def _write_stripe_list(out: Path, name: str, objects: list[dict], page_size: int = 100) -> None:
    """<type>/page_NNNN.json, each a list page as the API returns it."""
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    pages = [objects[i:i + page_size] for i in range(0, len(objects), page_size)] or [[]]
    for i, page in enumerate(pages):
        body = {"object": "list", "url": f"/v1/{name}", "has_more": i < len(pages) - 1, "data": page}
        (folder / f"page_{i + 1:04d}.json").write_text(json.dumps(body))


# ----------------------------------------------------------------------------------------------
# revenue outside Stripe


ADDON_PRICE_PER_CALL = {"USD": Decimal("0.02"), "EUR": Decimal("0.02")}


def addon_calls(usage: pa.Table) -> list[tuple[str, date, int]]:
    """(customer, month, calls) of the usage-based add-on (document extraction, enterprise production)."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.register("usage", usage)
    return con.execute("""
        select customer_id, cast(date_trunc('month', cast(occurred_at as date)) as date) as month, count(*) as calls
        from usage where feature = 'doc_extract' and plan = 'enterprise' and environment = 'production'
        group by all
    """).fetchall()


def write_revenue_events(opt: Options, cust: Customers, calls: dict[tuple[str, date], int]) -> None:
    """Enterprise customers buy document extraction as a usage-based add-on through a marketplace,
    billed monthly in arrears outside Stripe (EU customers in EUR); one refund. `calls`: addon_calls
    summed per (customer, month)."""
    out = opt.out_dir / "revenue"
    out.mkdir(parents=True, exist_ok=True)
    rows = [(customer_id, month, n) for (customer_id, month), n in sorted(calls.items())]
    region = dict(zip(cust.app_id, cust.region))
    lines = []
    for i, (customer_id, month, calls) in enumerate(rows):
        currency = "EUR" if region.get(customer_id) == "eu" else "USD"
        month_end = _add_months(month, 1) - timedelta(days=1)
        lines.append({"event_id": f"mkt_{i + 1:06d}", "occurred_at": f"{month_end}T23:00:00Z",
                      "customer_id": customer_id, "amount": str(calls * ADDON_PRICE_PER_CALL[currency]),
                      "currency": currency, "kind": "charge", "feature": "doc_extract",
                      "service_period_start": str(max(month, opt.start_date)),
                      "service_period_end": str(min(month_end, opt.end_date))})
    if lines:
        first = lines[0]
        lines.append({"event_id": "mkt_refund_1", "occurred_at": first["occurred_at"],
                      "customer_id": first["customer_id"], "amount_minor": 500, "currency": first["currency"],
                      "kind": "refund", "feature": "doc_extract"})
    with open(out / "marketplace.jsonl", "w") as fh:
        fh.writelines(json.dumps(line) + "\n" for line in lines)


# ----------------------------------------------------------------------------------------------
# overhead


def write_overhead(opt: Options, cust: Customers) -> None:
    out = opt.out_dir / "overhead"
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    month = opt.start_date.replace(day=1)
    scale = Decimal(max(len(cust.app_id), 1)) / Decimal(200)
    pools = (("infrastructure", Decimal("1800.00"), "", "requests"),
             ("vector_db", Decimal("450.00"), "semantic_search", "requests"),
             ("observability", Decimal("300.00"), "", "inference_cost"),
             ("support", Decimal("2400.00"), "", "customers"))
    while month <= opt.end_date:
        next_month = _add_months(month, 1)
        for pool, amount, feature, basis in pools:
            rows.append({"period_start": month.isoformat(), "period_end": (next_month - timedelta(days=1)).isoformat(),
                         "cost_pool": pool, "amount": str((amount * scale).quantize(Decimal("0.01"))),
                         "currency": "USD", "feature": feature, "allocation_basis": basis})
        month = next_month
    with open(out / "cost_pools.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


# ----------------------------------------------------------------------------------------------


def _busiest_agent_customer(usage: pa.Table, day: date) -> str | None:
    """The customer with the most research-agent calls on `day`, if the chunk has that day."""
    loop = usage.filter(pc.equal(usage["feature"], "research_agent"))
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.register("loop", loop)
    found = con.execute("select customer_id from loop where cast(occurred_at as date) = ? "
                        "group by 1 order by count(*) desc limit 1", [day]).fetchone()
    return found[0] if found else None


def generate(opt: Options) -> dict:
    """Write the whole input layout under opt.out_dir and return the manifest."""
    unknown = set(opt.scenarios) - set(SCENARIOS)
    if unknown:
        raise ValueError(f"unknown scenario(s) {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")
    opt.out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(opt.seed)
    opt.progress(f"customers: {opt.customers}")
    cust = make_customers(opt, rng)
    opt.progress(f"usage events: ~{opt.events:,} over {opt.days} days")
    events, files, files_in_month, price_cache, daily = 0, [], {}, {}, []
    calls: dict[tuple[str, date], int] = {}
    agent_loop_customer = None
    for usage in usage_chunks(opt, cust, rng):
        files += write_usage(opt, usage, files_in_month)
        events += usage.num_rows
        for provider, model in duckdb.connect().sql("select distinct provider, model from usage").fetchall():
            if (provider, model) not in price_cache:
                price_cache[provider, model] = catalog_price(provider, model)
        daily += usage_by_day_model(usage, price_cache)
        for customer_id, month, n in addon_calls(usage):
            calls[customer_id, month] = calls.get((customer_id, month), 0) + n
        if "agent_loop" in opt.scenarios and agent_loop_customer is None:
            agent_loop_customer = _busiest_agent_customer(usage, opt.scenario_day("agent_loop"))
        opt.progress(f"usage events: wrote {events:,} rows in {len(files)} Parquet files")
    opt.progress("provider billing: OpenAI costs, Anthropic cost report, FOCUS (Bedrock)")
    write_openai_costs(opt, daily, price_cache)
    write_anthropic_costs(opt, daily, price_cache)
    write_focus_bedrock(opt, daily, price_cache)
    opt.progress("stripe: customers, products, prices, subscriptions, invoices, credit notes, refunds")
    write_stripe(opt, cust, rng)
    write_revenue_events(opt, cust, calls)
    write_overhead(opt, cust)
    manifest = {
        "seed": opt.seed, "customers": len(cust.app_id), "days": opt.days, "events": events,
        "start_date": opt.start_date.isoformat(), "end_date": opt.end_date.isoformat(),
        "scenarios": {s: opt.scenario_day(s).isoformat() for s in opt.scenarios},
        "agent_loop_customer": agent_loop_customer,
    }
    (opt.out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


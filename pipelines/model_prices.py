"""dlt source: the genai-prices model price catalog, from the package's bundled snapshot (no network).

Two tables in `raw_model_prices`:
- `model_prices`: one row per provider, model, price variant (batch, flex, priority...) and price
  period, with `valid_from`/`valid_to` dates (null = open-ended) and prices in USD per million tokens
  (base tier; context-size tiers and any other unit prices kept as JSON).
- `model_match_rules`: how a model name reported by an application maps to a catalog model: a model
  matches when every clause of one of its rules matches; the first matching model in catalog order
  (`model_order`) wins, as in genai-prices' own lookup.
"""

from __future__ import annotations

import json
from decimal import Decimal

import dlt

MAIN_PRICES = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "cache_write_1h_mtok",
               "requests_kcount")


def _price_fields(prices) -> dict:
    row: dict = {f: None for f in MAIN_PRICES}
    tiers, other = {}, {}
    for key, value in vars(prices).items():
        if key.startswith("_") or value is None:
            continue
        base = getattr(value, "base", value)
        if getattr(value, "tiers", None):
            tiers[key] = [{"start": t.start, "price": str(t.price)} for t in value.tiers]
        if key in MAIN_PRICES:
            row[key] = Decimal(base)
        else:
            other[key] = str(base)
    row["tiers"] = json.dumps(tiers) if tiers else None
    row["other_prices"] = json.dumps(other) if other else None
    return row


def _periods(conditional: list[tuple]) -> list[tuple]:
    """(valid_from, valid_to, constraint note, ModelPrice) from (constraint, ModelPrice) pairs."""
    dated = []
    for constraint, mp in conditional:
        if constraint is None:
            dated.append((None, None, mp))
        elif hasattr(constraint, "start_date"):
            dated.append((constraint.start_date, None, mp))
        else:  # time-of-day discounts (off-peak hours): kept, flagged, not used for daily pricing
            dated.append((None, f"time_of_day {constraint.start_time}-{constraint.end_time}", mp))
    regular = sorted((d for d in dated if d[1] is None), key=lambda d: (d[0] is not None, d[0]))
    out = []
    for i, (start, _, mp) in enumerate(regular):
        end = regular[i + 1][0] if i + 1 < len(regular) else None
        out.append((start, end, None, mp))
    out += [(None, None, note, mp) for (_, note, mp) in dated if note]
    return out


def _variants(model) -> dict[str, list[tuple]]:
    """Price variant name -> its (constraint, ModelPrice) pairs; the base prices are 'default'."""
    base = model.prices if isinstance(model.prices, list) else None
    out = {"default": [(cp.constraint, cp.prices) for cp in base] if base else [(None, model.prices)]}
    for pv in model.price_variants or []:
        name = ",".join(f"{k}={v}" for k, v in sorted(pv.when.items()))
        out.setdefault(name, []).append((pv.constraint, pv.prices))
    return out


def _clauses(match) -> list[list[tuple[str, str]]]:
    """Match logic as OR of AND-rules of (kind, value) clauses."""
    if hasattr(match, "or_"):
        return [rule for sub in match.or_ for rule in _clauses(sub)]
    if hasattr(match, "and_"):
        rules = [[]]
        for sub in match.and_:
            rules = [r + s for r in rules for s in _clauses(sub)]
        return rules
    for kind in ("equals", "starts_with", "ends_with", "contains", "regex"):
        if hasattr(match, kind):
            return [[(kind, getattr(match, kind))]]
    raise ValueError(f"unknown match clause {match!r}")


def catalog_rows():
    from genai_prices.data_snapshot import get_snapshot

    prices, rules = [], []
    for provider in get_snapshot().providers:
        for model_order, model in enumerate(provider.models):
            for variant, conditional in _variants(model).items():
                for valid_from, valid_to, note, mp in _periods(conditional):
                    prices.append({"provider_id": provider.id, "model_id": model.id, "model_name": model.name,
                                   "variant": variant, "valid_from": valid_from, "valid_to": valid_to,
                                   "constraint_note": note, "context_window": model.context_window,
                                   "is_deprecated": bool(model.deprecated), **_price_fields(mp)})
            for rule_no, rule in enumerate(_clauses(model.match)):
                for clause_no, (kind, value) in enumerate(rule):
                    rules.append({"provider_id": provider.id, "model_id": model.id, "model_order": model_order,
                                  "rule_no": rule_no,
                                  "clause_no": clause_no, "kind": kind, "value": value})
    return prices, rules


@dlt.source(name="model_prices", max_table_nesting=0)
def model_prices_source():
    prices, rules = catalog_rows()
    decimal = {"data_type": "decimal", "precision": 38, "scale": 12}
    return [
        dlt.resource(prices, name="model_prices", write_disposition="replace",
                     columns={**{f: decimal for f in MAIN_PRICES}, "valid_from": {"data_type": "date"},
                              "valid_to": {"data_type": "date"}, "tiers": {"data_type": "text"},
                              "other_prices": {"data_type": "text"}, "constraint_note": {"data_type": "text"}}),
        dlt.resource(rules, name="model_match_rules", write_disposition="replace"),
    ]

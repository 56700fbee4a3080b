"""The simulations (models/simulations/, `ai-margin simulate`) checked against numbers computed by hand
from the catalog's list prices, on a small hand-made data set; then the demo's model_upgrade scenario."""

import json
from decimal import Decimal

import duckdb
import pytest

from conftest import run_cli

# genai-prices list prices, USD per million tokens: (input, cached input, output)
GPT_4O_MINI = (Decimal("0.15"), Decimal("0.075"), Decimal("0.60"))
GPT_41_NANO = (Decimal("0.10"), Decimal("0.025"), Decimal("0.40"))
# claude-sonnet-4-5 above 200k input tokens (its context tier): input 6.00, output 22.50; gpt-4.1: 2.00, 8.00
PERIOD = ["--from", "2026-11-01", "--to", "2026-11-02"]


def _cost(calls: int, uncached: int, cached: int, output: int, prices) -> Decimal:
    return calls * (uncached * prices[0] + cached * prices[1] + output * prices[2]) / 1_000_000


# 1,000 calls of `draft` (1,000 input tokens of which 200 cached, 300 output) on gpt-4o-mini over two days
DRAFT_COST = _cost(1000, 800, 200, 300, GPT_4O_MINI)  # 0.315
DRAFT_REVENUE = Decimal("1.00")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    data = tmp_path_factory.mktemp("sim") / "data"
    (data / "usage").mkdir(parents=True)
    (data / "revenue").mkdir()
    events = []
    for i in range(1000):
        events.append({"event_id": f"d{i}", "occurred_at": f"2026-11-0{1 + i % 2}T12:00:00Z", "customer_id": "acme",
                       "feature": "draft", "provider": "openai", "model": "gpt-4o-mini", "input_tokens": 1000,
                       "cache_read_input_tokens": 200, "output_tokens": 300})
    for i in range(100):
        events.append({"event_id": f"n{i}", "occurred_at": "2026-11-01T13:00:00Z", "customer_id": "acme",
                       "feature": "notes", "provider": "anthropic", "model": "claude-haiku-4-5", "input_tokens": 500,
                       "output_tokens": 100})
    events.append({"event_id": "long", "occurred_at": "2026-11-02T09:00:00Z", "customer_id": "acme",
                   "feature": "longdoc", "provider": "anthropic", "model": "claude-sonnet-4-5", "input_tokens": 250_000,
                   "output_tokens": 1000})
    (data / "usage" / "calls.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    revenue = [{"event_id": f"r{day}", "occurred_at": f"2026-11-0{day}T00:00:00Z", "customer_id": "acme",
                "amount_minor": 50, "currency": "USD", "feature": "draft"} for day in (1, 2)]
    revenue.append({"event_id": "rn", "occurred_at": "2026-11-01T00:00:00Z", "customer_id": "acme",
                    "amount_minor": 50, "currency": "USD", "feature": "notes"})
    (data / "revenue" / "revenue.jsonl").write_text("\n".join(json.dumps(r) for r in revenue) + "\n")
    path = data.parent / "wh.duckdb"
    run_cli("run", "--data-dir", str(data), "--warehouse", str(path), "--quiet", "--no-publish",
            "--only", "model_prices", "--only", "usage_events", "--only", "revenue_events")
    return path


def _query(warehouse, sql, params=()):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_a_swap_costs_what_the_catalog_prices_say(warehouse):
    out = run_cli("simulate", "swap", "--warehouse", str(warehouse), *PERIOD).stdout
    assert "draft: now gpt-4o-mini (mid, MMLU 82.0)" in out and "longdoc: now claude-sonnet-4-5 (unscored" in out
    rows = {r[0]: r[1:] for r in _query(warehouse, """
        select candidate_model, current_cost_usd, projected_cost_usd, savings_usd, savings_per_quarter_usd, tier,
               is_comparable, is_current_model
        from simulations.sim_model_swap where feature = 'draft'""")}
    assert rows["gpt-4o-mini"][:2] == (DRAFT_COST, DRAFT_COST) and rows["gpt-4o-mini"][6]
    nano = _cost(1000, 800, 200, 300, GPT_41_NANO)  # 0.205
    assert rows["gpt-4.1-nano"][:4] == (DRAFT_COST, nano, DRAFT_COST - nano, (DRAFT_COST - nano) * 91 / 2)
    assert rows["gpt-4.1-nano"][4:6] == ("budget", False)  # MMLU 80.1: not comparable to gpt-4o-mini's 82.0
    # a candidate without a cache price bills cached tokens as input: llama-3.1-8b on groq, 0.05 / 0.08
    assert rows["llama-3.1-8b-instant"][1] == _cost(1000, 1000, 0, 300, (Decimal("0.05"), 0, Decimal("0.08")))
    # a call past a candidate's context tier is priced at that tier; a model without tiers at its base price
    longdoc = dict(_query(warehouse, "select candidate_model, projected_cost_usd from simulations.sim_model_swap "
                                     "where feature = 'longdoc'"))
    assert longdoc["claude-sonnet-4-5"] == (250_000 * Decimal("6.00") + 1000 * Decimal("22.50")) / 1_000_000
    assert longdoc["gpt-4.1"] == (250_000 * Decimal("2.00") + 1000 * Decimal("8.00")) / 1_000_000
    scores = dict(_query(warehouse, "select model, tier from simulations.sim_swap_candidates"))
    assert scores["claude-haiku-4-5"] == "unscored" and scores["o3"] == "frontier"


def test_a_2x_openai_shock_turns_draft_red(warehouse):
    out = run_cli("simulate", "shock", "--warehouse", str(warehouse), "--provider", "openai", "--factor", "2",
                  *PERIOD).stdout
    assert "Features falling into the red zone: draft" in out
    draft, notes = (_query(warehouse, """
        select margin_before_usd, margin_after_usd, zone_before, zone_after, shock_cost_usd, shock_cost_per_month_usd,
               swaps_back_to_floor
        from simulations.sim_price_shock where feature = ?""", [f])[0] for f in ("draft", "notes"))
    # 68.5% (yellow above the 60% floor) -> 37.0%, red
    assert draft[:6] == (DRAFT_REVENUE - DRAFT_COST, DRAFT_REVENUE - 2 * DRAFT_COST, "yellow", "red",
                         DRAFT_COST, DRAFT_COST * 30 / 2)
    # back above the floor takes a cost of at most 0.40: llama-3.1-8b (0.074) does, gpt-4.1-nano doubled (0.41) not
    assert "llama-3.1-8b-instant" in draft[6] and "gpt-4.1-nano" not in draft[6]
    assert notes[2:5] == ("green", "green", 0)


def test_40_pct_more_input_tokens_gives_the_hand_computed_margin(warehouse):
    out = run_cli("simulate", "change", "--warehouse", str(warehouse), "--feature", "draft",
                  "--input-tokens-pct", "40", *PERIOD).stdout
    assert "(68.5%) -> 0.63 USD (63.1%)" in out
    change, forecast = _query(warehouse, """
        select sum(change_cost_usd), sum(forecast_margin_usd) from simulations.sim_change_forecast
        where feature = 'draft'""")[0]
    input_cost = _cost(1000, 800, 200, 0, GPT_4O_MINI)  # 0.135: cached input tokens grow too
    assert change == input_cost * Decimal("0.4")
    assert forecast == DRAFT_REVENUE - DRAFT_COST - input_cost * Decimal("0.4")  # 0.631
    assert _query(warehouse, "select sum(change_cost_usd) from simulations.sim_change_forecast "
                             "where feature <> 'draft'")[0][0] == 0
    # a target model that is no candidate fails by name, instead of forecasting nothing
    unknown = run_cli("simulate", "change", "--warehouse", str(warehouse), "--feature", "draft", "--to-model",
                      "no-such-model", "--model-share-pct", "50", *PERIOD, check=False)
    assert unknown.returncode == 1 and "sim_change_forecast" in unknown.stderr
    # the report draws the forecast beside the actual margin
    report = warehouse.parent / "report.html"
    run_cli("report", "--warehouse", str(warehouse), "--out", str(report))
    page = report.read_text(encoding="utf-8")
    assert 'id="chart-change-forecast"' in page and "draft: forecast" in page and "draft: actual" in page


def test_the_demo_upgrade_is_undone_by_the_cheapest_comparable_model(demo):
    rows = _query(demo["warehouse"], """
        select candidate_model, current_model, savings_per_quarter_usd from simulations.sim_model_swap
        where feature = 'summarize' and is_comparable and not is_current_model and savings_usd > 0
        order by projected_cost_usd""")
    assert rows and rows[0][:2] == ("gpt-4o-mini", "gpt-4.1-mini") and rows[0][2] > 0
    backlog = _query(demo["warehouse"], "select action, usd_per_quarter from simulations.sim_margin_backlog "
                                        "where kind = 'model_swap' and feature = 'summarize'")
    assert backlog == [(backlog[0][0], rows[0][2])] and "to gpt-4o-mini" in backlog[0][0]

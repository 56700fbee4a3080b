"""generate -> load -> dbt build on a small data set, through the real CLI, then check the marts."""

import json
from decimal import Decimal

from conftest import run_cli


def test_marts_built_and_tie_out(query, small_dataset):
    manifest = json.loads((small_dataset / "manifest.json").read_text())
    events = query("select count(*) from raw_usage.usage_events")[0][0]
    assert events == manifest["events"]
    # every production call is on the mart, priced
    requests, unpriced = query("select sum(requests), sum(unpriced_requests) from marts.fct_margin_waterfall")[0]
    production = query("select count(*) from staging.stg_usage__events where is_production")[0][0]
    assert requests == production and unpriced == 0
    # each row's layers add up, and margin % is null where revenue is zero
    assert query("""select count(*) from marts.fct_margin_waterfall
                    where revenue_usd - inference_cost_usd - orchestration_usage_cost_usd
                          - orchestration_overhead_cost_usd - infrastructure_cost_usd - support_cost_usd
                          - other_overhead_cost_usd <> gross_margin_usd
                       or (revenue_usd = 0 and gross_margin_pct is not null)""")[0][0] == 0
    # customers and features roll up to the same totals
    daily = query("select sum(revenue_usd), sum(total_cost_usd) from marts.fct_margin_waterfall")[0]
    assert query("select sum(revenue_usd), sum(total_cost_usd) from marts.fct_customer_margin")[0] == daily
    assert query("select sum(revenue_usd), sum(total_cost_usd) from marts.fct_feature_margin")[0] == daily
    # and each feature's row (summed from the monthly rollup) is its days' sums in the waterfall
    by_feature = """select feature, count(distinct customer_id) filter (where requests > 0), sum(requests),
                           sum(revenue_usd), sum(inference_cost_usd), sum(total_cost_usd), sum(gross_margin_usd)
                    from marts.fct_margin_waterfall group by feature"""
    assert set(query("""select feature, active_customers, requests, revenue_usd, inference_cost_usd, total_cost_usd,
                               gross_margin_usd from marts.fct_feature_margin""")) == set(query(by_feature))


def test_effective_usage_cost_ties_to_provider_bills(query):
    """Every dollar the providers billed is on some customer-feature-day, exactly."""
    billed = query("select sum(effective_cost_usd) from intermediate.int_provider_costs_daily")[0][0]
    effective = query("""select sum(effective_cost_usd) from intermediate.int_inference_cost_reconciled
                         where is_reconciled""")[0][0]
    assert billed == effective and billed > 0
    # the generator bills OpenAI at list price plus 2% usage the app never logged
    openai = query("""select sum(residual_usd) / sum(estimated_cost_usd) from marts.fct_provider_reconciliation_daily
                      where provider = 'openai'""")[0][0]
    assert abs(float(openai) - 0.02) < 0.001


def test_revenue_is_exact_finalised_invoices_over_service_period(query):
    """Every finalised invoice line (open or paid) that no credit note, refund or void touched is
    recognised over its days and adds up to the line net of discounts and included tax, to the cent."""
    lines = query("""
        select l.invoice_line_item_id, l.amount_minor - l.discount_minor - l.inclusive_tax_minor
        from staging.stg_stripe__invoice_line_items l
        join staging.stg_stripe__invoices i using (invoice_id)
        where i.status in ('open', 'paid') and i.marked_uncollectible_at is null
            and i.invoice_id not in (select invoice_id from staging.stg_stripe__credit_notes)
            and i.invoice_id not in (select coalesce(r.invoice_id, p.invoice_id) from staging.stg_stripe__refunds r
                                     left join staging.stg_stripe__invoice_payments p using (payment_intent_id)
                                     where coalesce(r.invoice_id, p.invoice_id) is not null)
    """)
    recognized = dict(query("""select revenue_source_id, sum(original_amount_minor)
                               from intermediate.int_revenue_recognized_daily
                               where revenue_source = 'invoice_line' group by 1"""))
    assert len(lines) > 20 and {line_id: recognized.get(line_id, 0) for line_id, _ in lines} == dict(lines)
    assert query("""select count(*) from intermediate.int_revenue_recognized_daily
                    where revenue_source = 'invoice_line' and revenue_usd * 100 <> original_amount_minor""")[0][0] == 0


def test_unprofitable_customer_is_classified(query):
    row = query("""select profitability, gross_margin_usd from marts.fct_customer_margin
                   where customer_id = 'cust_newbig'""")[0]
    assert row[0] == "unprofitable" and row[1] < Decimal(0)
    assert query("select plan, cohort_month is not null from marts.dim_customers where customer_id = 'cust_newbig'")[0] \
        == ("enterprise", True)


def test_scenarios_visible_in_marts_on_their_day(query, small_dataset):
    manifest = json.loads((small_dataset / "manifest.json").read_text())
    days = manifest["scenarios"]

    # model upgrade: summarize's cost per request roughly triples on the day (fct_model_daily)
    before, after = query(f"""
        select sum(estimated_cost_usd) filter (where usage_date between date '{days['model_upgrade']}' - 3
                                                                    and date '{days['model_upgrade']}' - 1)
                 / sum(requests) filter (where usage_date between date '{days['model_upgrade']}' - 3
                                                          and date '{days['model_upgrade']}' - 1),
               sum(estimated_cost_usd) filter (where usage_date = date '{days['model_upgrade']}')
                 / sum(requests) filter (where usage_date = date '{days['model_upgrade']}')
        from marts.fct_model_daily where feature = 'summarize'""")[0]
    assert 2.4 < after / before < 3.6

    # prompt change: input tokens per chat_assistant request up ~40% from the day (fct_model_daily)
    before, after = query(f"""
        select sum(input_tokens) filter (where usage_date between date '{days['prompt_change']}' - 3
                                                            and date '{days['prompt_change']}' - 1)
                 / sum(requests) filter (where usage_date between date '{days['prompt_change']}' - 3
                                                          and date '{days['prompt_change']}' - 1),
               sum(input_tokens) filter (where usage_date = date '{days['prompt_change']}')
                 / sum(requests) filter (where usage_date = date '{days['prompt_change']}')
        from marts.fct_model_daily where feature = 'chat_assistant'""")[0]
    assert 1.2 < after / before < 1.7

    # agent loop: the customer's requests jump ~50x overnight (fct_margin_waterfall)
    base, spike = query(f"""
        select sum(requests) filter (where margin_date between date '{days['agent_loop']}' - 7
                                                       and date '{days['agent_loop']}' - 1) / 7,
               sum(requests) filter (where margin_date = date '{days['agent_loop']}')
        from marts.fct_margin_waterfall where customer_id = '{manifest['agent_loop_customer']}'""")[0]
    assert spike > 20 * base

    # unprofitable customer: loses money from its signup day (fct_customer_margin, fct_margin_waterfall)
    first_date, profitability = query("""select first_date, profitability from marts.fct_customer_margin
                                         where customer_id = 'cust_newbig'""")[0]
    assert str(first_date) == days["unprofitable_customer"] and profitability == "unprofitable"
    day_margin = query(f"""select sum(gross_margin_usd) from marts.fct_margin_waterfall
                           where customer_id = 'cust_newbig' and margin_date = date '{days['unprofitable_customer']}'""")
    assert day_margin[0][0] < 0

    # price change: the provider bill runs ~25% above the estimate from the day (reconciliation mart)
    before, after = query(f"""
        select sum(residual_usd) filter (where cost_date < date '{days['price_change']}')
                 / sum(estimated_cost_usd) filter (where cost_date < date '{days['price_change']}'),
               sum(residual_usd) filter (where cost_date >= date '{days['price_change']}')
                 / sum(estimated_cost_usd) filter (where cost_date >= date '{days['price_change']}')
        from marts.fct_provider_reconciliation_daily where provider = 'anthropic'""")[0]
    assert abs(float(before) - 0.02) < 0.005 and float(after) > 0.2


def test_summary_status_and_idempotent_rerun(built_warehouse, small_dataset, query):
    out = run_cli("summary", "--warehouse", str(built_warehouse)).stdout
    assert "By feature" in out and "chat_assistant" in out and "Least profitable" in out
    status = json.loads(run_cli("status", "--warehouse", str(built_warehouse), "--json").stdout)
    tables = {t["table"]: t["rows"] for t in status["raw_tables"]}
    assert tables["raw_usage.usage_events"] > 0 and tables["raw_stripe.invoices"] > 0
    assert status["last_build"]["results"].get("error", 0) == 0
    before = {t: query(f"select count(*) from {t}")[0][0] for t in tables}
    out = run_cli("load", "--data-dir", str(small_dataset), "--warehouse", str(built_warehouse)).stdout
    assert "unchanged skipped" in out
    after = {t: query(f"select count(*) from {t}")[0][0] for t in tables}
    assert after == before


def test_value_weight_allocation_moves_revenue_between_features_not_in_total(built_warehouse, query, tmp_path):
    """Same data, revenue allocated by the feature_value_weights seed instead of usage: every total ties
    out as before, and features with a high value weight receive more of the subscription revenue."""
    import shutil

    import duckdb

    before = dict(query("select feature, revenue_usd from marts.fct_feature_margin"))
    copy = tmp_path / "value_weights.duckdb"
    shutil.copy(built_warehouse, copy)
    proc = run_cli("build", "--warehouse", str(copy), "--quiet", "--select", "fct_margin_waterfall+",
                   "--vars", "{revenue_allocation_method: value_weights}")
    assert proc.returncode == 0
    con = duckdb.connect(str(copy), read_only=True)
    after = dict(con.execute("select feature, revenue_usd from marts.fct_feature_margin").fetchall())
    con.close()
    assert sum(after.values()) == sum(before.values())
    # many cheap calls at weight 1: less than by share of requests; few calls at weight 3: more
    assert after["semantic_search"] < before["semantic_search"]
    assert after["code_review"] > before["code_review"]

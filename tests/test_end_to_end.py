"""generate -> load -> dbt build on a small data set, through the real CLI, then check the marts."""

import json
from decimal import Decimal

from conftest import run_cli


def test_marts_built_and_tie_out(query, small_dataset):
    manifest = json.loads((small_dataset / "manifest.json").read_text())
    events = query("select count(*) from raw_usage.usage_events")[0][0]
    assert events == manifest["events"]
    # every production call is on the mart, priced
    requests, unpriced = query("select sum(requests), sum(unpriced_requests) from marts.fct_margin_daily")[0]
    production = query("select count(*) from staging.stg_usage__events where is_production")[0][0]
    assert requests == production and unpriced == 0
    # each row's layers add up, and margin % is null where revenue is zero
    assert query("""select count(*) from marts.fct_margin_daily
                    where revenue_usd - inference_cost_usd - orchestration_usage_cost_usd
                          - orchestration_overhead_cost_usd - infrastructure_cost_usd - support_cost_usd
                          - other_overhead_cost_usd <> gross_margin_usd
                       or (revenue_usd = 0 and gross_margin_pct is not null)""")[0][0] == 0
    # customers and features roll up to the same totals
    daily = query("select sum(revenue_usd), sum(total_cost_usd) from marts.fct_margin_daily")[0]
    assert query("select sum(revenue_usd), sum(total_cost_usd) from marts.fct_customer_margin")[0] == daily
    assert query("select sum(revenue_usd), sum(total_cost_usd) from marts.fct_feature_margin")[0] == daily


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


def test_revenue_is_exact_paid_invoices_over_service_period(query):
    """A paid monthly invoice line recognised over its days adds up to the line, to the cent."""
    lines = query("""
        select l.invoice_line_item_id, l.amount_minor - l.discount_minor
        from staging.stg_stripe__invoice_line_items l
        join staging.stg_stripe__invoices i using (invoice_id) where i.status = 'paid'
    """)
    recognized = dict(query("""select revenue_source_id, sum(original_amount_minor)
                               from intermediate.int_revenue_recognized_daily
                               where revenue_source = 'invoice_line' group by 1"""))
    assert lines and all(recognized[line_id] == net for line_id, net in lines)
    assert query("""select count(*) from intermediate.int_revenue_recognized_daily
                    where revenue_source = 'invoice_line' and revenue_usd * 100 <> original_amount_minor""")[0][0] == 0


def test_unprofitable_customer_is_classified(query):
    row = query("""select profitability, gross_margin_usd from marts.fct_customer_margin
                   where customer_id = 'cust_newbig'""")[0]
    assert row[0] == "unprofitable" and row[1] < Decimal(0)
    assert query("select plan, cohort_month is not null from marts.dim_customers where customer_id = 'cust_newbig'")[0] \
        == ("enterprise", True)


def test_model_upgrade_raises_summarize_cost_per_request(query, small_dataset):
    day = json.loads((small_dataset / "manifest.json").read_text())["scenarios"]["model_upgrade"]
    before, after = query(f"""
        select sum(estimated_cost_usd) filter (where usage_date < '{day}') / count(*) filter (where usage_date < '{day}'),
               sum(estimated_cost_usd) filter (where usage_date >= '{day}') / count(*) filter (where usage_date >= '{day}')
        from intermediate.int_usage_events_priced where feature = 'summarize' and not app_cache_hit""")[0]
    assert 2.4 < after / before < 3.6


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

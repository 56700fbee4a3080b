"""The floor `ai-margin bench` measures the project against: the core of the margin chain hand-written
as one DuckDB script, with none of the project's machinery (no dbt, no incremental bookkeeping, no
tests, no marts beyond one table).

On the same data, it prices every production call at the price in force that day, with each token
type at its own price and context-size tiers. It takes the resolved prices and context tiers from
the built warehouse: a few hundred rows, the small part of the work. It spreads each finalised
invoice line, net of discounts and included tax, over its service days. It splits each customer-day's
revenue over its features by requests, and writes revenue, usage cost and margin per day × customer
× feature. Usage is read straight from the generated Parquet files.

It is a yardstick, not a second implementation: credit notes, refunds, reconciliation to provider
bills and overhead pools are left out, so its cost equals the marts' estimated usage cost (checked
by the bench) and its revenue is close to theirs, not equal.

Run as `python -m ai_margin.floor DATA_DIR WAREHOUSE`: prints one JSON line with the totals.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FLOOR_SQL = """
create temp table floor_margin as
with prices as (
    select * from wh.intermediate.int_model_prices_resolved
),
tiers as (
    select provider, model, context_tier_starts from wh.intermediate.int_model_context_thresholds
),
events as (
    select
        cast(make_timestamp(epoch_us(occurred_at)) as date) as usage_date,
        customer_id, feature, lower(provider) as provider, model,
        coalesce(lower(service_tier), 'standard') as service_tier,
        coalesce(app_cache_hit, false) as app_cache_hit,
        input_tokens, cache_read_input_tokens,
        cache_creation_input_tokens - cache_creation_1h_input_tokens as cache_write_5m_tokens,
        cache_creation_1h_input_tokens as cache_write_1h_tokens,
        input_tokens - cache_read_input_tokens - cache_creation_input_tokens as uncached_input_tokens,
        output_tokens
    from read_parquet('{usage}', union_by_name = true)
    where coalesce(lower(environment), 'production') = 'production'
),
priced as (
    select
        events.usage_date, events.customer_id, events.feature,
        case when events.app_cache_hit then 0 else cast(
            -- a token type without a price costs nothing (an embedding model has no output price)
            (events.uncached_input_tokens * coalesce(prices.input_usd_per_mtok, 0)
             + events.cache_read_input_tokens * coalesce(prices.cache_read_usd_per_mtok, 0)
             + events.cache_write_5m_tokens * coalesce(prices.cache_write_5m_usd_per_mtok, 0)
             + events.cache_write_1h_tokens * coalesce(prices.cache_write_1h_usd_per_mtok, 0)
             + events.output_tokens * coalesce(prices.output_usd_per_mtok, 0)) * 0.000001
            + coalesce(prices.usd_per_request, 0) as decimal(38, 10)) end as cost_usd
    from events
    left join tiers using (provider, model)
    left join prices
        on prices.provider = events.provider and prices.model = events.model
        and prices.service_tier = events.service_tier and prices.usage_date = events.usage_date
        and prices.context_tier_start = coalesce(list_max(list_filter(
            tiers.context_tier_starts, lambda t: events.input_tokens > t)), 0)
),
usage as (
    select usage_date, customer_id, feature, count(*) as requests, sum(cost_usd) as cost_usd
    from priced group by all
),
lines as (
    select
        coalesce(customers.metadata ->> 'customer_id', invoices.customer) as customer_id,
        cast(to_timestamp(cast(lines.period ->> 'start' as bigint)) at time zone 'UTC' as date) as start_date,
        greatest(date_diff('day',
            cast(to_timestamp(cast(lines.period ->> 'start' as bigint)) at time zone 'UTC' as date),
            cast(to_timestamp(cast(lines.period ->> 'end' as bigint)) at time zone 'UTC' as date)), 1) as days,
        lines.amount
            - coalesce(list_sum(list_transform(cast(lines.discount_amounts as json[]), lambda d: cast(d ->> 'amount' as bigint))), 0)
            - coalesce(list_sum(list_transform(cast(lines.taxes as json[]), lambda t:
                case when t ->> 'tax_behavior' = 'inclusive' then cast(t ->> 'amount' as bigint) else 0 end)), 0)
            as net_minor
    from wh.raw_stripe.invoice_line_items as lines
    join wh.raw_stripe.invoices as invoices on lines.invoice = invoices.id
    left join wh.raw_stripe.customers as customers on invoices.customer = customers.id
    where invoices.status in ('open', 'paid')
),
-- whole minor units per day, the remainder to the first days (integer math)
revenue as (
    select start_date + cast(i as integer) as usage_date, customer_id,
           sum(net_minor // days + case when i < net_minor % days then 1 else 0 end) as revenue_minor
    from lines, range(days) as r(i)
    group by all
),
allocated as (
    select
        usage.*,
        -- by requests, truncated to the minor unit
        cast(coalesce(revenue.revenue_minor, 0) * usage.requests // sum(usage.requests) over (
            partition by usage.usage_date, usage.customer_id) as decimal(38, 10)) * 0.01 as revenue_usd
    from usage
    left join revenue using (usage_date, customer_id)
),
-- revenue on a customer's days without calls, inside the days usage covers
unallocated as (
    select usage_date, customer_id, 'unallocated' as feature, 0 as requests,
           cast(0 as decimal(38, 10)) as cost_usd, cast(revenue_minor as decimal(38, 10)) * 0.01 as revenue_usd
    from revenue
    anti join usage using (usage_date, customer_id)
    where usage_date between (select min(usage_date) from usage) and (select max(usage_date) from usage)
)
select *, revenue_usd - cost_usd as margin_usd
from (select * from allocated union all by name select * from unallocated)
"""


def run_floor(data_dir: Path, warehouse: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    con.execute(FLOOR_SQL.format(usage=data_dir / "usage" / "**" / "*.parquet"))
    rows, usage_rows, cost, revenue = con.execute(
        "select count(*), count(*) filter (where requests > 0), sum(cost_usd), sum(revenue_usd) "
        "from floor_margin").fetchone()
    con.close()
    return {"rows": rows, "usage_rows": usage_rows, "cost_usd": str(cost), "revenue_usd": str(revenue)}


if __name__ == "__main__":
    print(json.dumps(run_floor(Path(sys.argv[1]), Path(sys.argv[2]))))

-- Cost per request and margin over any period: per feature (default), per customer or per both, the
-- mean and the P50 / P95 / P99 effective usage cost of a production call, the gross margin % (the
-- margin at the mean cost per request) and the margin % at the P95 cost (macro
-- margin_pct_at_cost_per_request). Percentiles do not add up across periods or groups, so a month's
-- P95 cannot come from its days' or the window's: they are taken from the period's calls (macro
-- request_effective_costs, one grouped pass). fct_feature_margin and fct_customer_margin carry the same
-- figures for the whole reporting window; this query is for any other period, hence an analysis and not
-- a model: a table per period or grain would have to be chosen in advance.
--   dbt show --profiles-dir . --select cost_per_request_percentiles --limit 100 --output json \
--       --vars '{from_date: "2026-09-01", to_date: "2026-09-30", group_by: [feature]}'
-- (AI_MARGIN_WAREHOUSE=<file> for another warehouse; without --output json the table shows the first
-- columns), or `dbt compile` the same way and run
-- target/compiled/ai_margin/analyses/cost_per_request_percentiles.sql in any SQL client.
-- Vars: from_date, to_date (inclusive; default the reporting window; revenue and overhead exist for the
-- reporting window's days only), group_by: [feature], [customer_id] or [feature, customer_id].
{%- set group_by = var('group_by', ['feature']) -%}
{%- set group_by = [group_by] if group_by is string else group_by -%}
{%- for column in group_by if column not in ['feature', 'customer_id'] -%}
    {{ exceptions.raise_compiler_error("group_by: feature and/or customer_id, not " ~ column) }}
{%- endfor %}
{%- set keys = group_by | join(', ') %}
with reporting_window as (

    {{ margin_reporting_window(ref('int_inference_cost_reconciled')) }}

),

period as (

    select
        {% if var('from_date', none) %}cast('{{ var("from_date") }}' as date) as {% endif %}from_date,
        {% if var('to_date', none) %}cast('{{ var("to_date") }}' as date) as {% endif %}to_date
    from reporting_window

),

requests as (

    {{ request_effective_costs('period') }}

),

percentiles as (

    select
        {{ keys }},
        count(*) as requests,
        cast(quantile_disc(effective_cost_usd, 0.5) as {{ money_type() }}) as p50_cost_per_request_usd,
        cast(quantile_disc(effective_cost_usd, 0.95) as {{ money_type() }}) as p95_cost_per_request_usd,
        cast(quantile_disc(effective_cost_usd, 0.99) as {{ money_type() }}) as p99_cost_per_request_usd
    from requests
    group by {{ keys }}

),

totals as (

    select
        {{ keys }},
        sum(requests) as requests,
        sum(revenue_usd) as revenue_usd,
        sum(inference_cost_usd + orchestration_usage_cost_usd) as usage_cost_usd,
        sum(total_cost_usd) as total_cost_usd,
        sum(gross_margin_usd) as gross_margin_usd
    from {{ ref('fct_margin_waterfall') }}
    where margin_date between (select from_date from period) and (select to_date from period)
    group by {{ keys }}

)

select
    {% for column in group_by %}coalesce(totals.{{ column }}, percentiles.{{ column }}) as {{ column }},
    {% endfor -%}
    coalesce(totals.requests, percentiles.requests) as requests,
    {{ margin_pct('totals.gross_margin_usd', 'totals.revenue_usd') }} as gross_margin_pct,
    {{ margin_pct_at_cost_per_request('totals.revenue_usd', 'totals.total_cost_usd - totals.usage_cost_usd',
                                      'totals.requests', 'percentiles.p95_cost_per_request_usd') }} as p95_margin_pct,
    cast({{ money_per('totals.usage_cost_usd', 'totals.requests') }} as {{ money_type() }})
        as mean_usage_cost_per_request_usd,
    percentiles.p95_cost_per_request_usd,
    percentiles.p50_cost_per_request_usd,
    percentiles.p99_cost_per_request_usd,
    totals.revenue_usd,
    totals.usage_cost_usd,
    totals.total_cost_usd,
    totals.gross_margin_usd,
    (select from_date from period) as from_date,
    (select to_date from period) as to_date
from totals
full outer join percentiles using ({{ keys }})
order by {{ keys }}

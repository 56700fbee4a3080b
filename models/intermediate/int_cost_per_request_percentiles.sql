-- Cost per request over the reporting window (fct_margin_waterfall's days), per feature and per
-- customer: the production calls, their effective usage cost and its 95th percentile, call by call
-- (macro request_effective_costs: each call's estimate plus its share of the reconciliation residual,
-- in exact decimals). "If your mean margin is 65% but your P95 margin is 25%, you have a tail-cost
-- problem": fct_feature_margin and fct_customer_margin put the P95 beside the mean (their exact usage
-- cost / requests) and the margin % at each.
-- P95 is quantile_disc: the cost of an actual call (no interpolation), the call at rank
-- ceil(0.95 x requests) by cost, taken on the exact decimal costs and then rounded to 1e-10 USD.
-- Percentiles do not add up across periods or groups, so they come from the calls, one grouped pass for
-- both groupings; for another period, analyses/cost_per_request_percentiles.sql.
{{ config(materialized='table') }}

with reporting_window as (

    {{ margin_reporting_window(ref('int_inference_cost_reconciled')) }}

),

requests as (

    {{ request_effective_costs('reporting_window') }}

),

final as (

    select
        cast(case when grouping(feature) = 0 then 'feature' else 'customer' end as string) as grain,
        cast(feature as string) as feature,
        cast(customer_id as string) as customer_id,
        cast(count(*) as bigint) as requests,
        cast(sum(effective_cost_usd) as {{ money_type() }}) as usage_cost_usd,
        cast({{ quantile_of('effective_cost_usd', 0.95) }} as {{ money_type() }}) as p95_cost_per_request_usd
    from requests
    group by grouping sets ((feature), (customer_id))  -- sqlfluff's duckdb dialect cannot parse these -- noqa: PRS

)

select * from final

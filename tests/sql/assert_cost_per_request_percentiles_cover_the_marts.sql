-- The calls the cost-per-request percentiles are taken from are the marts' calls: per feature and per
-- customer, the same number of production calls, and their effective costs add up to the mart's usage
-- cost (inference + orchestration usage) within 2e-10 USD a call: the calls' costs come from the ratio
-- of their day, provider and model, the marts' from each reconciled row's share of the residual, rounded
-- to 1e-10 a row (macro request_effective_costs). A call left out or costed at the wrong ratio shows.
with percentiles as (
    select * from {{ ref('int_cost_per_request_percentiles') }}
),

feature_totals as (
    select 'feature' as grain, feature as group_id, sum(requests) as requests,
           sum(inference_cost_usd + orchestration_usage_cost_usd) as usage_cost_usd
    from {{ ref('fct_margin_monthly') }}
    group by feature
    having sum(requests) > 0
),

customer_totals as (
    select 'customer' as grain, customer_id as group_id, sum(requests) as requests,
           sum(inference_cost_usd + orchestration_usage_cost_usd) as usage_cost_usd
    from {{ ref('fct_margin_waterfall') }}
    group by customer_id
    having sum(requests) > 0
),

marts as (
    select * from feature_totals
    union all
    select * from customer_totals
)

select marts.grain, marts.group_id, marts.requests, percentiles.requests as percentile_requests,
       marts.usage_cost_usd, percentiles.usage_cost_usd as percentile_usage_cost_usd
from marts
full outer join percentiles
    on percentiles.grain = marts.grain
    and coalesce(percentiles.feature, percentiles.customer_id) = marts.group_id
where percentiles.requests is distinct from marts.requests
    or abs(percentiles.usage_cost_usd - marts.usage_cost_usd) > marts.requests * 0.0000000002

-- Estimated inference cost per day, provider, customer, feature and environment class: the grain at
-- which provider bills are reconciled and margins reported.
select
    usage_date,
    provider,
    customer_id,
    feature,
    is_production,
    count(*) as requests,
    count(*) filter (where not is_priced) as unpriced_requests,
    sum(input_tokens) as input_tokens,
    sum(output_tokens) as output_tokens,
    sum(coalesce(estimated_cost_usd, 0)) as estimated_cost_usd
from {{ ref('int_usage_events_priced') }}
group by all

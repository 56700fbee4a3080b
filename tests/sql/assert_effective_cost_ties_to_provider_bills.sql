-- Effective inference cost (all environments, attributed or not) equals what the providers the
-- application calls billed on every reconciled provider-day, to the last 1e-10 USD.
with billed as (
    select cost_date, provider, sum(effective_cost_usd) as billed_usd
    from {{ ref('int_provider_costs_daily') }}
    where provider in (select distinct provider from {{ ref('int_inference_cost_daily') }})
    group by all
),

effective as (
    select usage_date as cost_date, provider, sum(effective_cost_usd) as effective_usd
    from {{ ref('int_inference_cost_reconciled') }}
    where is_reconciled
    group by all
)

select billed.cost_date, billed.provider, billed.billed_usd, effective.effective_usd
from billed
full outer join effective using (cost_date, provider)
where billed.billed_usd is distinct from effective.effective_usd

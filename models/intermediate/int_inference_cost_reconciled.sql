-- Estimated cost reconciled to what each provider billed, per day. The residual (negotiated
-- discounts, credits, price changes the catalog missed, usage the app never logged) is spread back
-- over that day's usage of the provider in proportion to estimated cost, exactly, so effective
-- inference cost adds up to the bill. A provider-day with no bill keeps its estimate (unreconciled).
-- A bill on a day without priced usage stays on `unattributed` / `unallocated`. Charges of providers
-- the application never calls (a cloud export's compute and storage lines) are not reconciled here.
with usage as (

    select * from {{ ref('int_inference_cost_daily') }}

),

estimated as (

    select usage_date, provider, sum(estimated_cost_usd) as estimated_cost_usd
    from usage
    group by all

),

-- only providers the application calls: other cloud charges in an export (compute, storage) are
-- not inference and belong in the overhead pools
billed as (

    select cost_date, provider, sum(effective_cost_usd) as billed_cost_usd
    from {{ ref('int_provider_costs_daily') }}
    where provider in (select distinct provider from usage)
    group by all

),

provider_days as (

    select
        coalesce(estimated.usage_date, billed.cost_date) as usage_date,
        coalesce(estimated.provider, billed.provider) as provider,
        coalesce(estimated.estimated_cost_usd, 0) as estimated_cost_usd,
        billed.billed_cost_usd,
        billed.billed_cost_usd is not null as is_reconciled,
        coalesce(billed.billed_cost_usd - coalesce(estimated.estimated_cost_usd, 0), 0) as residual_usd
    from estimated
    full outer join billed
        on estimated.usage_date = billed.cost_date
        and estimated.provider = billed.provider

),

usage_with_residual as (

    select
        usage.*,
        provider_days.residual_usd as provider_day_residual_usd,
        provider_days.is_reconciled
    from usage
    inner join provider_days using (usage_date, provider)

),

allocated as (

    {{ allocate_exactly(
        relation='usage_with_residual',
        amount='provider_day_residual_usd',
        weight='estimated_cost_usd',
        partition_by='usage_date, provider',
        order_by='customer_id, feature, is_production, cost_layer',
        output='residual_share_usd'
    ) }}

),

unallocated_residual as (

    -- billed provider-days whose usage carries no estimated cost to spread the residual over
    select
        provider_days.usage_date,
        provider_days.provider,
        '{{ var("unattributed_customer_id") }}' as customer_id,
        'unallocated' as feature,
        true as is_production,
        'inference' as cost_layer,
        0 as requests,
        0 as unpriced_requests,
        0 as input_tokens,
        0 as output_tokens,
        cast(0 as {{ money_type() }}) as estimated_cost_usd,
        provider_days.residual_usd as residual_share_usd,
        true as is_reconciled
    from provider_days
    where provider_days.is_reconciled
        and provider_days.residual_usd <> 0
        and provider_days.estimated_cost_usd = 0

),

final as (

    select
        usage_date,
        provider,
        customer_id,
        feature,
        is_production,
        cost_layer,
        requests,
        unpriced_requests,
        input_tokens,
        output_tokens,
        is_reconciled,
        cast(estimated_cost_usd as {{ money_type() }}) as estimated_cost_usd,
        cast(coalesce(residual_share_usd, 0) as {{ money_type() }}) as reconciliation_residual_usd,
        cast(estimated_cost_usd + coalesce(residual_share_usd, 0) as {{ money_type() }}) as effective_cost_usd
    from allocated
    union all by name
    select
        usage_date, provider, customer_id, feature, is_production, cost_layer, requests, unpriced_requests,
        input_tokens, output_tokens, is_reconciled,
        cast(estimated_cost_usd as {{ money_type() }}) as estimated_cost_usd,
        cast(residual_share_usd as {{ money_type() }}) as reconciliation_residual_usd,
        cast(residual_share_usd as {{ money_type() }}) as effective_cost_usd
    from unallocated_residual

)

select * from final

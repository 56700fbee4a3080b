-- Estimated cost reconciled to what each provider billed, per day: per model where the bill breaks
-- cost down by model, else per provider. The residual (negotiated discounts, credits, price changes the
-- catalog missed, usage the app never logged) is spread back over that day's usage of the provider, or
-- of the model, in proportion to estimated cost, exactly, so effective cost adds up to the bill.
-- Grain per provider-day (`reconciliation_grain`):
--   model     every bill line of the day names a model (OpenAI Costs API grouped by line_item, the
--             Anthropic cost report) and the billed models are exactly the models with estimated cost
--             that day (both mapped to the catalog's model id, so a dated snapshot matches its alias);
--             each model's residual stays on that model's usage.
--   provider  otherwise (FOCUS / CUR exports carry no model column; a billed model the app never logged,
--             or logged usage with no bill line): one residual spread over the provider's usage.
-- A provider-day with no bill keeps its estimate (unreconciled, grain null). A bill on a day without
-- priced usage stays on `unattributed` / `unallocated`. Charges of providers the application never
-- calls (a cloud export's compute and storage lines) are not reconciled here.

with matched as (

    select provider, model, catalog_model_id from {{ ref('int_usage_models_matched') }}

),

usage as (

    select
        daily.*,
        coalesce(matched.catalog_model_id, lower(daily.model)) as model_key
    from {{ ref('int_inference_cost_daily') }} as daily
    left join matched using (provider, model)

),

-- only providers the application calls: other cloud charges in an export (compute, storage) are
-- not inference and belong in the overhead pools
billed_lines as (

    select
        bills.cost_date,
        bills.provider,
        case when bills.model is not null then coalesce(matched.catalog_model_id, lower(bills.model)) end
            as model_key,
        sum(bills.effective_cost_usd) as billed_cost_usd
    from {{ ref('int_provider_costs_daily') }} as bills
    left join matched using (provider, model)
    where bills.provider in (select distinct provider from {{ ref('int_inference_cost_daily') }})
    group by all

),

billed as (

    select
        cost_date,
        provider,
        sum(billed_cost_usd) as billed_cost_usd,
        bool_and(model_key is not null) as is_billed_by_model
    from billed_lines
    group by all

),

estimated_by_model as (

    select usage_date, provider, model_key, sum(estimated_cost_usd) as estimated_cost_usd
    from usage
    group by all

),

-- provider-days whose billed models are exactly the models with estimated cost
models_agree as (

    select
        coalesce(estimated.usage_date, billed_models.cost_date) as usage_date,
        coalesce(estimated.provider, billed_models.provider) as provider,
        bool_and(estimated.model_key is not null and billed_models.model_key is not null) as models_agree
    from (select * from estimated_by_model where estimated_cost_usd > 0) as estimated
    full outer join (select * from billed_lines where model_key is not null) as billed_models
        on estimated.usage_date = billed_models.cost_date
        and estimated.provider = billed_models.provider
        and estimated.model_key = billed_models.model_key
    group by all

),

provider_days as (

    select
        coalesce(estimated.usage_date, billed.cost_date) as usage_date,
        coalesce(estimated.provider, billed.provider) as provider,
        coalesce(estimated.estimated_cost_usd, 0) as estimated_cost_usd,
        billed.billed_cost_usd,
        billed.billed_cost_usd is not null as is_reconciled,
        case
            when billed.billed_cost_usd is null then null
            when billed.is_billed_by_model and coalesce(models_agree.models_agree, false) then 'model'
            else 'provider'
        end as reconciliation_grain,
        coalesce(billed.billed_cost_usd - coalesce(estimated.estimated_cost_usd, 0), 0) as residual_usd
    from (select usage_date, provider, sum(estimated_cost_usd) as estimated_cost_usd
          from usage group by all) as estimated
    full outer join billed
        on estimated.usage_date = billed.cost_date
        and estimated.provider = billed.provider
    left join models_agree
        on models_agree.usage_date = coalesce(estimated.usage_date, billed.cost_date)
        and models_agree.provider = coalesce(estimated.provider, billed.provider)

),

-- the residual of each reconciliation unit: the provider-day, or the model on model-grain days
units as (

    select provider_days.usage_date, provider_days.provider, '' as model_key, provider_days.residual_usd
    from provider_days
    where provider_days.reconciliation_grain is distinct from 'model'
    union all
    select
        coalesce(estimated.usage_date, billed_lines.cost_date),
        coalesce(estimated.provider, billed_lines.provider),
        coalesce(estimated.model_key, billed_lines.model_key),
        coalesce(billed_lines.billed_cost_usd, 0) - coalesce(estimated.estimated_cost_usd, 0)
    from estimated_by_model as estimated
    full outer join billed_lines
        on estimated.usage_date = billed_lines.cost_date
        and estimated.provider = billed_lines.provider
        and estimated.model_key = billed_lines.model_key
    where exists (
        select 1 from provider_days
        where provider_days.usage_date = coalesce(estimated.usage_date, billed_lines.cost_date)
            and provider_days.provider = coalesce(estimated.provider, billed_lines.provider)
            and provider_days.reconciliation_grain = 'model'
    )

),

usage_with_residual as (

    select
        usage.*,
        provider_days.is_reconciled,
        provider_days.reconciliation_grain,
        units.residual_usd as unit_residual_usd,
        units.model_key as unit_key
    from usage
    inner join provider_days using (usage_date, provider)
    inner join units
        on units.usage_date = usage.usage_date
        and units.provider = usage.provider
        and units.model_key = case when provider_days.reconciliation_grain = 'model' then usage.model_key else '' end

),

allocated as (

    {{ allocate_exactly(
        relation='usage_with_residual',
        amount='unit_residual_usd',
        weight='estimated_cost_usd',
        partition_by='usage_date, provider, unit_key',
        order_by='customer_id, feature, is_production, cost_layer, model',
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
        cast(null as string) as model,
        0 as requests,
        0 as unpriced_requests,
        0 as input_tokens,
        0 as output_tokens,
        cast(0 as {{ money_type() }}) as estimated_cost_usd,
        provider_days.residual_usd as residual_share_usd,
        true as is_reconciled,
        provider_days.reconciliation_grain
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
        model,
        requests,
        unpriced_requests,
        input_tokens,
        output_tokens,
        is_reconciled,
        reconciliation_grain,
        cast(estimated_cost_usd as {{ money_type() }}) as estimated_cost_usd,
        cast(reported_cost_usd as {{ money_type() }}) as reported_cost_usd,
        cast(coalesce(residual_share_usd, 0) as {{ money_type() }}) as reconciliation_residual_usd,
        cast(estimated_cost_usd + coalesce(residual_share_usd, 0) as {{ money_type() }}) as effective_cost_usd
    from allocated
    union all
    select
        usage_date, provider, customer_id, feature, is_production, cost_layer, model, requests, unpriced_requests,
        input_tokens, output_tokens, is_reconciled, reconciliation_grain,
        cast(estimated_cost_usd as {{ money_type() }}) as estimated_cost_usd,
        cast(0 as {{ money_type() }}) as reported_cost_usd,
        cast(residual_share_usd as {{ money_type() }}) as reconciliation_residual_usd,
        cast(residual_share_usd as {{ money_type() }}) as effective_cost_usd
    from unallocated_residual

)

select * from final

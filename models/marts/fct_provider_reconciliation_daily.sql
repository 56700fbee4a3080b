-- Per provider and day: what usage should have cost at the prices in force (estimate) against what the
-- provider billed, and the residual that was spread back over usage (per model where the bill has it:
-- reconciliation_grain). USD.
with reconciled as (

    select * from {{ ref('int_inference_cost_reconciled') }}

),

final as (

    select
        cast(usage_date as date) as cost_date,
        cast(provider as string) as provider,
        cast(bool_or(is_reconciled) as boolean) as is_reconciled,
        cast(max(reconciliation_grain) as string) as reconciliation_grain,
        cast(sum(estimated_cost_usd) as {{ money_type() }}) as estimated_cost_usd,
        cast(sum(effective_cost_usd) as {{ money_type() }}) as effective_cost_usd,
        cast(sum(reconciliation_residual_usd) as {{ money_type() }}) as residual_usd,
        case when sum(estimated_cost_usd) <> 0
            then round(
                cast(sum(reconciliation_residual_usd) as double) / cast(sum(estimated_cost_usd) as double) * 100, 4
            )
        end as residual_pct_of_estimate
    from reconciled
    group by usage_date, provider

)

select * from final

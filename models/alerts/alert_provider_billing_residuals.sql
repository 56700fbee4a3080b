-- A provider-day whose bill (credits aside) differs from the estimate at the prices in force by more than
-- var max_reconciliation_residual_pct.
with provider_credits as (

    {{ alert_provider_credits() }}

),

-- what a provider billed moved away from what the prices in force predict
billing_residuals as (

    select
        cost_date as alert_date, 'provider_billing_residual' as alert_type, 'warning' as severity,
        'provider' as entity_type, provider as entity_id,
        'billed (credits aside) minus estimated, % of estimate' as metric,
        residual_pct as metric_value,
        {{ var('max_reconciliation_residual_pct', 15) }} as threshold,
        null as baseline_value,
        abs(residual_pct) > {{ var('max_reconciliation_residual_pct', 15) }} as is_on
    from (
        select
            reconciliation.*,
            case when reconciliation.estimated_cost_usd <> 0 then
                cast(reconciliation.residual_usd - coalesce(provider_credits.credit_usd, 0) as double)
                / cast(reconciliation.estimated_cost_usd as double) * 100
            end as residual_pct
        from {{ ref('fct_provider_reconciliation_daily') }} as reconciliation
        left join provider_credits using (cost_date, provider)
        where reconciliation.is_reconciled
    )

)

{{ alert_rows('billing_residuals') }}

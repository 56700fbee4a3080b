-- Revenue recognised per document line and day, in the document's currency and in the reporting
-- currency at the day's rate: Stripe invoice lines net of discounts, tax, credit notes, refunds, voids
-- and write-offs, and revenue events from billing outside Stripe, recognised the way Stripe Revenue
-- Recognition does (macros/revenue_recognition.sql; var revenue_basis). Revenue events may name the
-- feature that earned them.
with recognized as (

    {{ recognized_revenue_lines() }}

),

customers as (

    select * from {{ ref('stg_stripe__customers') }}

),

fx as (

    select * from {{ ref('fx_rates') }}

),

final as (

    select
        recognized.revenue_date,
        coalesce(recognized.app_customer_id, customers.customer_id, '{{ var("unattributed_customer_id") }}')
            as customer_id,
        recognized.stripe_customer_id,
        recognized.feature,
        recognized.revenue_source,
        recognized.revenue_source_id,
        recognized.currency as original_currency,
        recognized.amount_minor as original_amount_minor,
        fx.rate_to_reporting as fx_rate,
        {{ minor_to_money('recognized.amount_minor', 'fx.rate_to_reporting', 'recognized.currency') }} as revenue_usd,
        recognized.restated_minor as original_restated_minor,
        {{ minor_to_money('recognized.restated_minor', 'fx.rate_to_reporting', 'recognized.currency') }} as restated_usd
    from recognized
    left join customers on recognized.stripe_customer_id = customers.stripe_customer_id
    left join fx on {{ fx_rate_on('recognized.currency', 'recognized.revenue_date') }}

)

select * from final

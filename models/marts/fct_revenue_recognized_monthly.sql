-- Recognised revenue per month, customer and currency, in the documents' own currency: the table to
-- set beside Stripe Revenue Recognition's monthly reports (net revenue: Stripe's Revenue account less
-- its contra accounts: credit notes, refunds, voids, bad debt). It evaluates the same recognition as
-- int_revenue_recognized_daily (macros/revenue_recognition.sql), so each month is the sum of its days.
with recognized as (

    {{ recognized_revenue_lines() }}

),

customers as (

    select * from {{ ref('stg_stripe__customers') }}

),

monthly as (

    select
        date_trunc('month', recognized.revenue_date) as revenue_month,
        coalesce(recognized.app_customer_id, customers.customer_id, '{{ var("unattributed_customer_id") }}')
            as customer_id,
        recognized.currency,
        sum(recognized.amount_minor) as recognized_minor
    from recognized
    left join customers on recognized.stripe_customer_id = customers.stripe_customer_id
    group by all

),

final as (

    select
        cast(revenue_month as date) as revenue_month,
        cast(customer_id as string) as customer_id,
        cast(currency as string) as currency,
        cast(recognized_minor as bigint) as recognized_minor,
        cast(recognized_minor * {{ minor_unit('currency') }} as {{ money_type() }}) as recognized_amount
    from monthly

)

select * from final

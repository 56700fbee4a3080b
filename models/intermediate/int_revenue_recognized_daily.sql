-- Revenue recognised per customer and day, in the reporting currency.
-- Paid invoice lines, net of discounts and excluding tax, and revenue events from billing outside
-- Stripe are spread evenly over their service period in whole minor units (the remainder goes to the
-- first days, so the days add up to the document exactly); credit notes and refunds reduce revenue on
-- the day they take effect. Revenue events may name the feature that earned them.
with lines as (

    select * from {{ ref('stg_stripe__invoice_line_items') }}

),

invoices as (

    select * from {{ ref('stg_stripe__invoices') }}

),

customers as (

    select * from {{ ref('stg_stripe__customers') }}

),

fx as (

    select * from {{ ref('fx_rates') }}

),

revenue_events as (

    select * from {{ ref('stg_revenue__events') }}

),

paid_lines as (

    select
        lines.invoice_line_item_id as revenue_source_id,
        'invoice_line' as revenue_source,
        invoices.stripe_customer_id,
        cast(null as varchar) as app_customer_id,
        cast(null as varchar) as feature,
        lines.currency,
        lines.amount_minor - lines.discount_minor as net_minor,
        cast(lines.period_start_at as date) as service_start_date,
        greatest(
            date_diff('day', cast(lines.period_start_at as date), cast(lines.period_end_at as date)), 1
        ) as service_days
    from lines
    inner join invoices on lines.invoice_id = invoices.invoice_id
    where invoices.status = 'paid'

),

external_revenue as (

    select
        revenue_event_id as revenue_source_id,
        'revenue_event' as revenue_source,
        cast(null as varchar) as stripe_customer_id,
        customer_id as app_customer_id,
        feature,
        currency,
        amount_minor as net_minor,
        service_start_date,
        service_days
    from revenue_events

),

spread as (

    select
        revenue_source_id,
        revenue_source,
        stripe_customer_id,
        app_customer_id,
        feature,
        currency,
        service_start_date + cast(day_index as integer) as revenue_date,
        sign(net_minor) * (
            abs(net_minor) // service_days
            + case when day_index < abs(net_minor) % service_days then 1 else 0 end
        ) as amount_minor
    from (select * from paid_lines union all select * from external_revenue) as documents,
        range(service_days) as days(day_index)

),

credit_notes as (

    select
        credit_note_id as revenue_source_id,
        'credit_note' as revenue_source,
        stripe_customer_id,
        cast(null as varchar) as app_customer_id,
        cast(null as varchar) as feature,
        currency,
        cast(effective_at as date) as revenue_date,
        -total_excluding_tax_minor as amount_minor
    from {{ ref('stg_stripe__credit_notes') }}
    where status <> 'void'

),

refunds as (

    select
        refund_id as revenue_source_id,
        'refund' as revenue_source,
        stripe_customer_id,
        cast(null as varchar) as app_customer_id,
        cast(null as varchar) as feature,
        currency,
        cast(created_at as date) as revenue_date,
        -amount_minor as amount_minor
    from {{ ref('stg_stripe__refunds') }}
    where status = 'succeeded'

),

all_revenue as (

    select * from spread
    union all
    select * from credit_notes
    union all
    select * from refunds

),

final as (

    select
        all_revenue.revenue_date,
        coalesce(all_revenue.app_customer_id, customers.customer_id, '{{ var("unattributed_customer_id") }}')
            as customer_id,
        all_revenue.stripe_customer_id,
        all_revenue.feature,
        all_revenue.revenue_source,
        all_revenue.revenue_source_id,
        all_revenue.currency as original_currency,
        all_revenue.amount_minor as original_amount_minor,
        fx.rate_to_reporting as fx_rate,
        {{ minor_to_money('all_revenue.amount_minor', 'fx.rate_to_reporting', 'all_revenue.currency') }} as revenue_usd
    from all_revenue
    left join customers on all_revenue.stripe_customer_id = customers.stripe_customer_id
    left join fx on {{ fx_rate_on('all_revenue.currency', 'all_revenue.revenue_date') }}

)

select * from final

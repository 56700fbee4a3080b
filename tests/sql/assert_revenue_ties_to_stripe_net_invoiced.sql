-- Recognised revenue over all loaded documents equals Stripe's net invoiced amount, to the cent:
-- paid invoices excluding tax, minus credit notes (excluding tax) and refunds, at the same FX rates.
with fx as (
    select * from {{ ref('fx_rates') }}
),
net_invoiced as (
    select sum({{ minor_to_money('invoices.total_excluding_tax_minor', 'fx.rate_to_reporting', 'invoices.currency') }}) as amount
    from {{ ref('stg_stripe__invoices') }} as invoices
    left join fx on invoices.currency = fx.currency
        and cast(invoices.created_at as date) >= fx.valid_from and cast(invoices.created_at as date) < fx.valid_to
    where invoices.status = 'paid'
),
credits as (
    select sum({{ minor_to_money('credit_notes.total_excluding_tax_minor', 'fx.rate_to_reporting', 'credit_notes.currency') }}) as amount
    from {{ ref('stg_stripe__credit_notes') }} as credit_notes
    left join fx on credit_notes.currency = fx.currency
        and cast(credit_notes.effective_at as date) >= fx.valid_from and cast(credit_notes.effective_at as date) < fx.valid_to
    where credit_notes.status <> 'void'
),
refunds as (
    select sum({{ minor_to_money('refunds.amount_minor', 'fx.rate_to_reporting', 'refunds.currency') }}) as amount
    from {{ ref('stg_stripe__refunds') }} as refunds
    left join fx on refunds.currency = fx.currency
        and cast(refunds.created_at as date) >= fx.valid_from and cast(refunds.created_at as date) < fx.valid_to
    where refunds.status = 'succeeded'
),
recognized as (
    select sum(revenue_usd) as amount from {{ ref('int_revenue_recognized_daily') }}
    where revenue_source in ('invoice_line', 'credit_note', 'refund')
)
select
    recognized.amount as recognized_usd,
    coalesce(net_invoiced.amount, 0) - coalesce(credits.amount, 0) - coalesce(refunds.amount, 0) as stripe_net_usd
from recognized, net_invoiced, credits, refunds
where round(coalesce(recognized.amount, 0), 2)
    <> round(coalesce(net_invoiced.amount, 0) - coalesce(credits.amount, 0) - coalesce(refunds.amount, 0), 2)

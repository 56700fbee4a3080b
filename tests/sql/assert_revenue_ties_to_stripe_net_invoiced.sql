-- Recognised Stripe revenue, over all days, equals Stripe's net invoiced amount to the minor unit, in
-- each document currency (before FX, so the check holds whatever rates apply on each recognised day),
-- computed here from the documents alone: finalised invoices excluding tax (nothing for voided or
-- uncollectible ones), less credit notes not voided (excluding tax) and the pre-tax share of refunds
-- not made through a credit note. Accrual basis. Invoices written off are left out on both sides: one
-- paid afterwards gets back what was recognised by the day it was written off.
{{ config(enabled=var('revenue_basis', 'accrual') == 'accrual') }}
with all_invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
),
left_out as (
    -- voided (they net to zero) or written off
    select invoice_id from all_invoices where status = 'void' or marked_uncollectible_at is not null
),
refunds as (
    select
        refunds.*,
        coalesce(refunds.invoice_id, (
            select min(payments.invoice_id) from {{ ref('stg_stripe__invoice_payments') }} as payments
            where payments.payment_intent_id = refunds.payment_intent_id or payments.charge_id = refunds.charge_id
        )) as refunded_invoice_id
    from {{ ref('stg_stripe__refunds') }} as refunds
    where refunds.status = 'succeeded'
        and refunds.refund_id not in (select refund_id from {{ ref('stg_stripe__credit_note_refunds') }})
),
stripe_net as (
    select currency, total_excluding_tax_minor as amount_minor
    from all_invoices
    where status in ('open', 'paid') and invoice_id not in (select invoice_id from left_out)
    union all
    select currency, -total_excluding_tax_minor
    from {{ ref('stg_stripe__credit_notes') }}
    where status = 'issued' and invoice_id not in (select invoice_id from left_out)
    union all
    select refunds.currency, -case when invoices.total_minor > 0
        then (2 * refunds.amount_minor * invoices.total_excluding_tax_minor + invoices.total_minor)
             // (2 * invoices.total_minor)
        else refunds.amount_minor end
    from refunds
    left join all_invoices as invoices on refunds.refunded_invoice_id = invoices.invoice_id
    where refunds.refunded_invoice_id is null or refunds.refunded_invoice_id not in (select invoice_id from left_out)
),
expected as (
    select currency, sum(amount_minor) as amount_minor from stripe_net group by currency
),
recognized as (
    select recognized.original_currency as currency, sum(recognized.original_amount_minor) as amount_minor
    from {{ ref('int_revenue_recognized_daily') }} as recognized
    left join {{ ref('stg_stripe__invoice_line_items') }} as lines
        on split_part(recognized.revenue_source_id, ':', 1) = lines.invoice_line_item_id
    where recognized.revenue_source <> 'revenue_event'
        and (lines.invoice_id is null or lines.invoice_id not in (select invoice_id from left_out))
    group by recognized.original_currency
)
select expected.currency, expected.amount_minor as stripe_net_minor, recognized.amount_minor as recognized_minor
from expected
full outer join recognized using (currency)
where coalesce(expected.amount_minor, 0) <> coalesce(recognized.amount_minor, 0)

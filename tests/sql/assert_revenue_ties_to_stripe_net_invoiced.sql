-- Recognised Stripe revenue, over all days, equals Stripe's net invoiced amount to the minor unit, in
-- each document currency (before FX, so the check holds whatever rates apply on each recognised day),
-- computed here from the documents alone: open and paid invoices excluding tax, less credit notes not
-- voided (excluding tax) and the pre-tax share of refunds not made through a credit note (the whole
-- refund when its invoice was not loaded; nothing for a refund of a charge no invoice shows). A voided
-- invoice nets to nothing. Accrual basis. Invoices written off are left out on both sides: one paid
-- afterwards gets back what was recognised by the day it was written off (see the unit tests).
{{ config(enabled=var('revenue_basis', 'accrual') == 'accrual') }}
with all_invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
),

voided as (
    select invoice_id from all_invoices where status = 'void'
),

written_off as (
    select invoice_id from all_invoices where status = 'uncollectible' or marked_uncollectible_at is not null
),

refunds as (
    select
        refunds.*,
        coalesce(refunds.invoice_id, by_intent.invoice_id, by_charge.invoice_id) as refunded_invoice_id
    from {{ ref('stg_stripe__refunds') }} as refunds
    left join (select payment_intent_id, min(invoice_id) as invoice_id from {{ ref('stg_stripe__invoice_payments') }}
               group by all) as by_intent on by_intent.payment_intent_id = refunds.payment_intent_id
    left join (select charge_id, min(invoice_id) as invoice_id from {{ ref('stg_stripe__invoice_payments') }}
               group by all) as by_charge on by_charge.charge_id = refunds.charge_id
    where refunds.status = 'succeeded'
        and not exists (select 1 from {{ ref('stg_stripe__credit_note_refunds') }} as through_note
                        where through_note.refund_id = refunds.refund_id)
),

stripe_net as (
    select currency, cast(total_excluding_tax_minor as {{ big_int_type() }}) as amount_minor
    from all_invoices
    where status in ('open', 'paid') and invoice_id not in (select invoice_id from written_off)
    union all
    select currency, -cast(total_excluding_tax_minor as {{ big_int_type() }})
    from {{ ref('stg_stripe__credit_notes') }}
    where status = 'issued'
        and (
            invoice_id is null
            or invoice_id not in (
                select invoice_id from written_off
                union
                select invoice_id from voided
            )
        )
    union all
    select refunds.currency, -case when invoices.total_minor > 0
        then {{ int_div('2 * cast(refunds.amount_minor as ' ~ big_int_type() ~ ') * invoices.total_excluding_tax_minor'
                        ~ ' + invoices.total_minor', '2 * invoices.total_minor') }}
        else refunds.amount_minor end
    from refunds
    left join all_invoices as invoices on refunds.refunded_invoice_id = invoices.invoice_id
    where refunds.refunded_invoice_id is not null
        and refunds.refunded_invoice_id not in (select invoice_id from written_off)
),

expected as (
    select currency, sum(amount_minor) as amount_minor from stripe_net group by currency
),

recognized as (
    select recognized.original_currency as currency, sum(recognized.original_amount_minor) as amount_minor
    from {{ ref('int_revenue_recognized_daily') }} as recognized
    left join {{ ref('stg_stripe__invoice_line_items') }} as lines
        on {{ dbt.split_part('recognized.revenue_source_id', "':'", 1) }} = lines.invoice_line_item_id
    where recognized.revenue_source <> 'revenue_event'
        and (lines.invoice_id is null or lines.invoice_id not in (select invoice_id from written_off))
    group by recognized.original_currency
)

select expected.currency, expected.amount_minor as stripe_net_minor, recognized.amount_minor as recognized_minor
from expected
full outer join recognized using (currency)
where coalesce(expected.amount_minor, 0) <> coalesce(recognized.amount_minor, 0)

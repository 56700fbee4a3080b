-- Recognised Stripe revenue equals Stripe's net invoiced amount, to the minor unit, in each document
-- currency (before FX, so the check holds whatever rates apply on each recognised day): paid invoices
-- excluding tax, minus credit notes (excluding tax) and refunds.
with stripe_net as (
    select currency, sum(total_excluding_tax_minor) as amount_minor
    from {{ ref('stg_stripe__invoices') }} where status = 'paid' group by currency
    union all
    select currency, -sum(total_excluding_tax_minor)
    from {{ ref('stg_stripe__credit_notes') }} where status <> 'void' group by currency
    union all
    select currency, -sum(amount_minor)
    from {{ ref('stg_stripe__refunds') }} where status = 'succeeded' group by currency
),
expected as (
    select currency, sum(amount_minor) as amount_minor from stripe_net group by currency
),
recognized as (
    select original_currency as currency, sum(original_amount_minor) as amount_minor
    from {{ ref('int_revenue_recognized_daily') }}
    where revenue_source in ('invoice_line', 'credit_note', 'refund')
    group by original_currency
)
select expected.currency, expected.amount_minor as stripe_net_minor, recognized.amount_minor as recognized_minor
from expected
full outer join recognized using (currency)
where expected.amount_minor is distinct from recognized.amount_minor

-- Refunds of charges that no invoice shows (Checkout or Payment Link payments): they give back money
-- that was never revenue here, so revenue recognition does not take them off. Listed, as a warning, so
-- none goes unseen: a refund that should belong to an invoice needs its invoice (or metadata.invoice)
-- exported with it.
{{ config(severity='warn') }}
select refund_id, stripe_customer_id, payment_intent_id, charge_id, amount_minor, currency, created_at
from ({{ refunds_with_invoice() }}) as refunds
where refunded_invoice_id is null

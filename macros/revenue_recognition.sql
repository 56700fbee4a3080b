{#- Revenue recognition, following Stripe Revenue Recognition's methodology (docs/revenue.md):
    a select of recognised revenue per document line and day, in integer minor units of the
    document's currency (before FX). int_revenue_recognized_daily (days, FX, customers) and
    fct_revenue_recognized_monthly (months, in each currency, to compare with Stripe's reports) both
    evaluate it, so the two cannot disagree.

    Accrual basis (var revenue_basis = 'accrual', default). Every line of a finalised invoice (open,
    paid, uncollectible or void), net of discounts and of tax included in its price, is spread evenly
    over its service period, paid or not. What later changes a line changes the amount "in force"
    from its effective day on:
      - a credit note takes its amount (excluding tax) off the lines it names, else off every line of
        the invoice in proportion to their amounts; voided, it gives the amount back from its void day;
      - a refund not made through a credit note takes off its pre-tax share (refund x invoice total
        excluding tax / total); a refund made through a credit note is already in the credit note;
      - voiding an invoice, or marking it uncollectible, takes the whole line off (Stripe's voids and
        bad-debt contra revenue); an uncollectible invoice paid later gets back, on its payment day,
        what had been recognised when it was written off (Stripe books the rest as recoverables).
    Revenue recognised through day t of a line is A(t) x elapsed(t) / N: the amount in force on t, times
    the share of its N service days elapsed by the end of t (0 before the period, N after it), in minor
    units rounded half away from zero. A day's revenue is that total less the day before's. This is
    Stripe's rule, in one formula: an adjustment reverses on its day the same share of what was already
    recognised and takes the rest off the days still to come, so an early credit just lowers the amount
    spread and a late one is taken wholly on its day; the days of a line add up exactly to its final amount.
    Each day's amount says how much of it re-states earlier days (restated_minor: what the amount now
    in force gives the days before, less what they had), so detectors can judge a day on its own revenue.
    Revenue events from billing outside Stripe follow the same rule: a charge is spread over its service
    period; a refund or credit is taken off from the day it occurred, over the service period it names.
    With var revenue_catch_up (Stripe's "catch-up revenue" setting; off by default), service days before an
    invoice's finalisation (a charge's occurrence) are recognised on that day instead.

    Paid basis (revenue_basis = 'paid', for cash reporting): an invoice's payment, excluding its tax
    share, on the day it was paid (paid_at: a partial payment counts once the invoice is paid); every
    refund of an invoice, its pre-tax share (in full when the invoice was not loaded), on its day;
    revenue events on their day. Credit notes change revenue only through the refunds they make. -#}
{% macro recognized_revenue_lines() %}
{%- set basis = var('revenue_basis', 'accrual') -%}
{%- if basis not in ('accrual', 'paid') -%}
    {{ exceptions.raise_compiler_error("var revenue_basis must be 'accrual' or 'paid', not '" ~ basis ~ "'") }}
{%- endif -%}
with invoices as (

    select * from {{ ref('stg_stripe__invoices') }}
    -- drafts are not revenue yet; every other status was finalised
    where status in ('open', 'paid', 'uncollectible', 'void')

),

invoice_lines as (

    select * from {{ ref('stg_stripe__invoice_line_items') }}

),

credit_notes as (

    select * from {{ ref('stg_stripe__credit_notes') }}
    where status in ('issued', 'void')

),

-- refunds of invoices (a refund of a charge no invoice shows was never revenue here: it is not taken
-- off, and the warn test refunds_without_an_invoice lists it); on the accrual basis, not those made
-- through a credit note, which are in the credit note
refunds as (

    select * from ({{ refunds_with_invoice() }}) as refunds
    where refunds.refunded_invoice_id is not null
    {%- if basis == 'accrual' %}
        and not refunds.is_through_credit_note
    {%- endif %}

),

revenue_events as (

    select * from {{ ref('stg_revenue__events') }}

),

{%- if basis == 'accrual' %}

lines as (

    select
        invoice_lines.invoice_line_item_id as revenue_source_id,
        'invoice_line' as revenue_source,
        invoice_lines.invoice_id,
        invoices.stripe_customer_id,
        cast(null as string) as app_customer_id,
        cast(null as string) as feature,
        invoice_lines.currency,
        invoice_lines.amount_minor - invoice_lines.discount_minor - invoice_lines.inclusive_tax_minor as net_minor,
        -- a line without a period is recognised when the invoice was finalised
        cast(coalesce(invoice_lines.period_start_at, invoices.finalized_at) as date) as service_start_date,
        greatest(coalesce({{ dbt.datediff('cast(invoice_lines.period_start_at as date)',
                                          'cast(invoice_lines.period_end_at as date)', 'day') }}, 1), 1)
            as service_days,
        {% if var('revenue_catch_up', false) %}cast(invoices.finalized_at as date){% else %}cast(null as date){% endif %}
            as in_force_from,
        -- the day the whole line goes: voided, or written off as uncollectible (least ignores nulls)
        cast(least(
            case when invoices.status = 'void' then coalesce(invoices.voided_at, invoices.finalized_at) end,
            coalesce(invoices.marked_uncollectible_at,
                     case when invoices.status = 'uncollectible' then invoices.finalized_at end)
        ) as date) as in_force_until,
        -- written off, then paid: the day the payment brought back what had been recognised
        case when invoices.marked_uncollectible_at is not null and invoices.paid_at >= invoices.marked_uncollectible_at
            then cast(invoices.paid_at as date) end as recovered_date
    from invoice_lines
    inner join invoices on invoice_lines.invoice_id = invoices.invoice_id

),

named_credit_lines as (

    select credit_note_id, invoice_line_item_id, sum(amount_minor - discount_minor) as amount_minor
    from {{ ref('stg_stripe__credit_note_line_items') }}
    where invoice_line_item_id in (select revenue_source_id from lines)
    group by all

),

-- credit notes and refunds over the lines they apply to: the lines a credit note names (by the amounts
-- it names), else the invoice's lines by net amount (a line that charges nothing takes no share)
adjustment_weights as (

    select
        credit_notes.credit_note_id as adjustment_id,
        -credit_notes.total_excluding_tax_minor as amount_minor,
        cast(credit_notes.effective_at as date) as effective_date,
        case when credit_notes.status = 'void'
            then cast(coalesce(credit_notes.voided_at, credit_notes.effective_at) as date) end as reverted_date,
        lines.revenue_source_id,
        coalesce(named_credit_lines.amount_minor, greatest(lines.net_minor, 0)) as weight
    from credit_notes
    inner join lines on credit_notes.invoice_id = lines.invoice_id
    left join named_credit_lines
        on named_credit_lines.credit_note_id = credit_notes.credit_note_id
        and named_credit_lines.invoice_line_item_id = lines.revenue_source_id
    where named_credit_lines.amount_minor is not null
        or not exists (select 1 from named_credit_lines as named
                       where named.credit_note_id = credit_notes.credit_note_id)

    union all

    select
        refunds.refund_id,
        -{{ _pre_tax_share('refunds.amount_minor', 'invoices') }},
        cast(refunds.created_at as date),
        cast(null as date),
        lines.revenue_source_id,
        greatest(lines.net_minor, 0)
    from refunds
    inner join invoices on refunds.refunded_invoice_id = invoices.invoice_id
    inner join lines on lines.invoice_id = refunds.refunded_invoice_id

),

-- exactly, in minor units: truncated shares, then the units they leave one each to the largest remainders
adjustment_shares as (

    select
        *,
        {{ sign_of('amount_minor') }} * {{ sign_of('weight') }} * {{ sign_of('total_weight') }}
            * {{ int_div('abs(cast(amount_minor as ' ~ big_int_type() ~ ') * weight)', 'abs(total_weight)') }}
            as share_minor,
        abs(cast(amount_minor as {{ big_int_type() }}) * weight) % abs(total_weight) as remainder
    from (
        select *, sum(weight) over (partition by adjustment_id) as total_weight
        from adjustment_weights
    )
    where total_weight <> 0

),

adjustments as (

    select
        adjustment_id,
        revenue_source_id,
        effective_date,
        reverted_date,
        share_minor + case
            when row_number() over (partition by adjustment_id order by remainder desc, revenue_source_id)
                 <= abs(amount_minor - sum(share_minor) over (partition by adjustment_id))
            then {{ sign_of('amount_minor - sum(share_minor) over (partition by adjustment_id)') }} else 0 end
            as amount_minor
    from adjustment_shares

),

-- each line's amounts and from which day to which (exclusive) each is in force: the line itself, then
-- the adjustments applied to it, each until voided or until the whole line goes (void, write-off);
-- one dated on or after that day applies to what a later payment recovers, if any (recovery_amounts)
line_amounts as (

    select revenue_source_id, net_minor as amount_minor, in_force_from, in_force_until
    from lines
    union all
    select
        adjustments.revenue_source_id,
        adjustments.amount_minor,
        adjustments.effective_date,
        least(adjustments.reverted_date, lines.in_force_until)
    from adjustments
    inner join lines using (revenue_source_id)
    where lines.in_force_until is null or adjustments.effective_date < lines.in_force_until

),

-- invoices written off and paid later: what had been recognised by the write-off comes back on the
-- payment day (Stripe books the rest of the payment as recoverables, not revenue)
recoveries as (

    select
        lines.revenue_source_id || ':recovered' as revenue_source_id,
        'bad_debt_recovery' as revenue_source,
        lines.invoice_id,
        lines.stripe_customer_id,
        lines.app_customer_id,
        lines.feature,
        lines.currency,
        lines.net_minor as line_net_minor,
        {{ _recognized_to_date('written_off.amount_minor', 'lines.in_force_until - 1', 'lines') }} as net_minor,
        lines.recovered_date as service_start_date,
        1 as service_days,
        cast(null as date) as in_force_from,
        cast(null as date) as in_force_until
    from lines
    inner join (
        -- the line's amount in force on its last day before the write-off
        select line_amounts.revenue_source_id, sum(line_amounts.amount_minor) as amount_minor
        from line_amounts
        inner join lines using (revenue_source_id)
        where {{ _in_force('line_amounts', 'lines.in_force_until - 1') }}
        group by all
    ) as written_off using (revenue_source_id)
    where lines.recovered_date is not null

),

-- credit notes and refunds after the write-off of an invoice paid later: the same share of what came back
recovery_amounts as (

    select
        recoveries.revenue_source_id,
        {{ sign_of('adjustments.amount_minor * recoveries.net_minor * recoveries.line_net_minor') }} * {{ int_div(
            '2 * abs(cast(adjustments.amount_minor as ' ~ big_int_type() ~ ') * recoveries.net_minor)'
                ~ ' + abs(recoveries.line_net_minor)',
            '2 * abs(recoveries.line_net_minor)'
        ) }} as amount_minor,
        adjustments.effective_date as in_force_from,
        adjustments.reverted_date as in_force_until
    from adjustments
    inner join lines using (revenue_source_id)
    inner join recoveries on recoveries.revenue_source_id = lines.revenue_source_id || ':recovered'
    where adjustments.effective_date >= lines.in_force_until and recoveries.line_net_minor <> 0

),

-- credit notes and refunds whose invoice was not loaded: taken in full on their day
unmatched_adjustments as (

    select
        credit_note_id as revenue_source_id, 'credit_note' as revenue_source, invoice_id, stripe_customer_id,
        cast(null as string) as app_customer_id, cast(null as string) as feature, currency,
        -total_excluding_tax_minor as net_minor,
        cast(effective_at as date) as service_start_date, 1 as service_days,
        cast(effective_at as date) as in_force_from,
        case when status = 'void' then cast(coalesce(voided_at, effective_at) as date) end as in_force_until
    from credit_notes
    where credit_note_id not in (select adjustment_id from adjustments)
    union all
    select
        refund_id, 'refund', refunded_invoice_id, stripe_customer_id, null, null, currency, -amount_minor,
        cast(created_at as date), 1, cast(created_at as date), null
    from refunds
    where refund_id not in (select adjustment_id from adjustments)

),

external_revenue as (

    select
        revenue_event_id as revenue_source_id,
        'revenue_event' as revenue_source,
        cast(null as string) as invoice_id,
        cast(null as string) as stripe_customer_id,
        customer_id as app_customer_id,
        feature,
        currency,
        amount_minor as net_minor,
        service_start_date,
        service_days,
        -- a refund or credit takes effect when it occurred; a charge then only with catch-up
        case when amount_minor < 0 {%- if var('revenue_catch_up', false) %} or true{% endif %}
            then cast(occurred_at as date) end as in_force_from,
        cast(null as date) as in_force_until
    from revenue_events

),

{%- set document_columns = [
    'revenue_source_id', 'revenue_source', 'invoice_id', 'stripe_customer_id', 'app_customer_id', 'feature',
    'currency', 'net_minor', 'service_start_date', 'service_days', 'in_force_from', 'in_force_until'
] %}

documents as (

    {%- for relation in ['lines', 'recoveries', 'unmatched_adjustments', 'external_revenue'] %}
    select {{ document_columns | join(', ') }} from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

amounts_in_force as (

    select * from line_amounts
    union all
    select * from recovery_amounts
    union all
    select revenue_source_id, net_minor, in_force_from, in_force_until
    from documents
    where revenue_source <> 'invoice_line'

),

-- the days a document's revenue can change: its service days, and any day an amount starts or stops
document_days as (

    select revenue_source_id, service_start_date + cast(day_index as integer) as revenue_date
    from (
        select revenue_source_id, service_start_date, {{ array_rows(index_range('service_days')) }} as day_index
        from documents
    ) as days
    union
    select revenue_source_id, in_force_from from amounts_in_force where in_force_from is not null
    union
    select revenue_source_id, in_force_until from amounts_in_force where in_force_until is not null

),

recognized_to_date as (

    select
        document_days.revenue_source_id,
        document_days.revenue_date,
        {{ _recognized_to_date('coalesce(sum(amounts_in_force.amount_minor), 0)', 'document_days.revenue_date', 'documents') }}
            as recognized_to_date_minor,
        -- what the amount now in force gives the days before this one
        {{ _recognized_to_date('coalesce(sum(amounts_in_force.amount_minor), 0)', 'document_days.revenue_date - 1', 'documents') }}
            as restated_to_date_minor
    from document_days
    inner join documents using (revenue_source_id)
    left join amounts_in_force
        on amounts_in_force.revenue_source_id = document_days.revenue_source_id
        and {{ _in_force('amounts_in_force', 'document_days.revenue_date') }}
    group by document_days.revenue_source_id, document_days.revenue_date,
        documents.service_start_date, documents.service_days

),

recognized as (

    select
        documents.revenue_source_id,
        documents.revenue_source,
        documents.stripe_customer_id,
        documents.app_customer_id,
        documents.feature,
        documents.currency,
        recognized_to_date.revenue_date,
        recognized_to_date.recognized_to_date_minor - coalesce(lag(recognized_to_date.recognized_to_date_minor) over by_day, 0)
            as amount_minor,
        -- of which re-stating earlier days: a credit note's or refund's reversal of revenue already
        -- recognised, a voided credit note's return, catch-up revenue; all of a credit note or refund
        -- taken in full on its day and of a recovery (the rest is the day's own revenue)
        case when documents.revenue_source in ('credit_note', 'refund', 'bad_debt_recovery')
            then recognized_to_date.recognized_to_date_minor
            else recognized_to_date.restated_to_date_minor
        end - coalesce(lag(recognized_to_date.recognized_to_date_minor) over by_day, 0) as restated_minor
    from recognized_to_date
    inner join documents using (revenue_source_id)
    window by_day as (partition by recognized_to_date.revenue_source_id order by recognized_to_date.revenue_date)

)

select
    revenue_date, revenue_source, revenue_source_id, stripe_customer_id, app_customer_id, feature, currency,
    cast(amount_minor as bigint) as amount_minor,
    cast(restated_minor as bigint) as restated_minor
from recognized
where amount_minor <> 0 or restated_minor <> 0

{%- else %}

payments as (

    select
        invoice_id as revenue_source_id,
        'invoice_payment' as revenue_source,
        stripe_customer_id,
        cast(null as string) as app_customer_id,
        cast(null as string) as feature,
        currency,
        cast(paid_at as date) as revenue_date,
        {{ _pre_tax_share('amount_paid_minor', 'invoices') }} as amount_minor
    from invoices
    where paid_at is not null and amount_paid_minor <> 0

),

cash_refunds as (

    select
        refunds.refund_id,
        'refund',
        coalesce(invoices.stripe_customer_id, refunds.stripe_customer_id),
        null,
        null,
        refunds.currency,
        cast(refunds.created_at as date),
        -{{ _pre_tax_share('refunds.amount_minor', 'invoices') }}
    from refunds
    left join invoices on refunds.refunded_invoice_id = invoices.invoice_id

),

external_revenue as (

    select
        revenue_event_id, 'revenue_event', null, customer_id, feature, currency, cast(occurred_at as date),
        amount_minor
    from revenue_events

)

select
    revenue_date, revenue_source, revenue_source_id, stripe_customer_id, app_customer_id, feature, currency,
    cast(amount_minor as bigint) as amount_minor,
    cast(0 as bigint) as restated_minor
from (
    select * from payments
    union all
    select * from cash_refunds
    union all
    select * from external_revenue
)
where amount_minor <> 0

{%- endif %}
{% endmacro %}


{#- Minor units of `amount` recognised through the end of `day` for a document of `alias` (its
    service_start_date and service_days): amount x elapsed days / service days, half away from zero. -#}
{% macro _recognized_to_date(amount, day, alias) -%}
    ({{ sign_of(amount) }} * {{ int_div(
        '2 * abs(cast(' ~ amount ~ ' as ' ~ big_int_type() ~ '))'
            ~ ' * least(greatest(' ~ dbt.datediff(alias ~ '.service_start_date', '(' ~ day ~ ')', 'day') ~ ' + 1, 0), '
            ~ alias ~ '.service_days)'
            ~ ' + ' ~ alias ~ '.service_days',
        '2 * ' ~ alias ~ '.service_days'
    ) }})
{%- endmacro %}


{#- Whether an amount of `alias` (in_force_from, in_force_until: exclusive, null = open) applies on `day`. -#}
{% macro _in_force(alias, day) -%}
    ({{ alias }}.in_force_from is null or {{ day }} >= {{ alias }}.in_force_from)
    and ({{ alias }}.in_force_until is null or {{ day }} < {{ alias }}.in_force_until)
{%- endmacro %}


{#- The share of `amount` (minor units paid or refunded on an invoice, tax included) that is not tax:
    amount x total excluding tax / total of the invoice `alias`, half away from zero. -#}
{% macro _pre_tax_share(amount, alias) -%}
    case when {{ alias }}.total_minor > 0
        then {{ sign_of(amount) }} * {{ sign_of(alias ~ '.total_excluding_tax_minor') }} * {{ int_div(
            '2 * abs(cast(' ~ amount ~ ' as ' ~ big_int_type() ~ ') * ' ~ alias ~ '.total_excluding_tax_minor) + '
                ~ alias ~ '.total_minor',
            '2 * ' ~ alias ~ '.total_minor') }}
        else {{ amount }} end
{%- endmacro %}


{#- Stripe refunds (succeeded) with the invoice each gives money back on: metadata.invoice when an export
    sets it, else the invoice its payment intent or charge paid (the first, if one paid several), and
    whether it was made through a credit note. refunded_invoice_id is null for a refund of a charge no
    invoice shows. Used by the recognition above and by the test that lists such refunds. -#}
{% macro refunds_with_invoice() %}
    select
        refunds.*,
        coalesce(refunds.invoice_id, by_intent.invoice_id, by_charge.invoice_id) as refunded_invoice_id,
        refunds.refund_id in (select refund_id from {{ ref('stg_stripe__credit_note_refunds') }}
                              where refund_id is not null) as is_through_credit_note
    from {{ ref('stg_stripe__refunds') }} as refunds
    left join (
        select payment_intent_id, min(invoice_id) as invoice_id from {{ ref('stg_stripe__invoice_payments') }}
        where payment_intent_id is not null group by all
    ) as by_intent on by_intent.payment_intent_id = refunds.payment_intent_id
    left join (
        select charge_id, min(invoice_id) as invoice_id from {{ ref('stg_stripe__invoice_payments') }}
        where charge_id is not null group by all
    ) as by_charge on by_charge.charge_id = refunds.charge_id
    where refunds.status = 'succeeded'
{% endmacro %}

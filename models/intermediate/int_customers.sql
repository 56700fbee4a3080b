-- One row per application customer: every key seen in usage or mapped from Stripe, plus the
-- explicit `unattributed` bucket for usage, cost and revenue that maps to no known customer.
with stripe_customers as (

    select * from {{ ref('stg_stripe__customers') }}

),

subscriptions as (

    select
        stripe_customer_id,
        plan,
        started_at
    from {{ ref('stg_stripe__subscriptions') }}
    qualify row_number() over (
        partition by stripe_customer_id
        order by (status in ('active', 'trialing', 'past_due')) desc, started_at desc
    ) = 1

),

from_stripe as (

    select
        stripe_customers.customer_id,
        stripe_customers.stripe_customer_id,
        stripe_customers.customer_name,
        stripe_customers.segment,
        stripe_customers.region,
        stripe_customers.company_size,
        subscriptions.plan,
        cast(stripe_customers.created_at as date) as signup_date
    from stripe_customers
    left join subscriptions using (stripe_customer_id)  -- one subscription per customer, chosen above

),

usage_customers as (

    -- customers known from usage, or billed outside Stripe (revenue events) without usage. The usage is
    -- read from int_usage_events_priced (every event, priced or not): its stored day is cheaper to read
    -- than the staging view's
    select customer_id, min(usage_date) as first_usage_date, bool_or(has_usage) as has_usage
    from (
        select customer_id, usage_date, true as has_usage from {{ ref('int_usage_events_priced') }}
        union all
        select customer_id, null, false from {{ ref('stg_revenue__events') }}
    )
    group by customer_id

),

-- the plan the application last logged in the event attributes, for customers without a Stripe plan
-- only: the events are joined to those few customers first (an anti join with the planned ones read
-- the JSON of every event, this model's costliest step), and usually there are none
unplanned_customers as (

    select customer_id from usage_customers
    anti join (select customer_id from from_stripe where plan is not null) as planned using (customer_id)

),

usage_plans as (

    select events.customer_id, max_by(events.attribute_plan, events.occurred_at) as attribute_plan
    from {{ ref('stg_usage__events') }} as events
    semi join unplanned_customers on events.customer_id = unplanned_customers.customer_id
    group by events.customer_id

),

combined as (

    select
        coalesce(from_stripe.customer_id, usage_customers.customer_id) as customer_id,
        from_stripe.stripe_customer_id,
        from_stripe.customer_name,
        coalesce(from_stripe.plan, usage_plans.attribute_plan, 'unknown') as plan,
        coalesce(from_stripe.segment, 'unknown') as segment,
        coalesce(from_stripe.region, 'unknown') as region,
        from_stripe.company_size,
        coalesce(from_stripe.signup_date, usage_customers.first_usage_date) as signup_date,
        usage_customers.first_usage_date,
        from_stripe.stripe_customer_id is not null as is_billed_in_stripe,
        coalesce(usage_customers.has_usage, false) as has_usage
    from from_stripe
    full outer join usage_customers on from_stripe.customer_id = usage_customers.customer_id
    left join usage_plans on usage_plans.customer_id = coalesce(from_stripe.customer_id, usage_customers.customer_id)

),

unattributed as (

    select
        '{{ var("unattributed_customer_id") }}' as customer_id,
        cast(null as string) as stripe_customer_id,
        'Unattributed' as customer_name,
        'unattributed' as plan,
        'unattributed' as segment,
        'unattributed' as region,
        cast(null as string) as company_size,
        cast(null as date) as signup_date,
        cast(null as date) as first_usage_date,
        false as is_billed_in_stripe,
        false as has_usage

),

final as (

    select *, cast(date_trunc('month', signup_date) as date) as cohort_month from combined
    union all
    select *, cast(null as date) as cohort_month from unattributed

)

select * from final

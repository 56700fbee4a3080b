-- Paying customers whose last 7 days cost more than var alert_cost_to_revenue_ratio of their own revenue,
-- and new customers (var alert_new_customer_days) who cost more than they paid since signing up.
with customer_days as (

    {{ alert_customer_days() }}

),

-- revenue that re-states earlier days (a refund's or credit note's reversal of revenue already
-- recognised), per customer-day: the 7-day ratio judges the days' own revenue, so a refund lowers it
-- from its day on instead of wiping out a week at once
customer_restated as (

    select revenue_date as margin_date, customer_id, sum(restated_usd) as restated_usd
    from {{ ref('int_revenue_recognized_daily') }}
    where restated_usd <> 0
        and revenue_date between (select min(margin_date) from customer_days)
                             and (select max(margin_date) from customer_days)
    group by all

),

customer_rolling as (

    select
        customer_days.*,
        customers.signup_date,
        sum(revenue_usd - coalesce(customer_restated.restated_usd, 0)) over last_7_days as own_revenue_7d_usd,
        sum(total_cost_usd) over last_7_days as total_cost_7d_usd,
        min(margin_date) over (partition by customer_id) as first_margin_date,
        -- a paying customer: revenue recognised on this day or before (of either sign)
        bool_or(revenue_usd <> 0) over to_day as is_paying,
        sum(revenue_usd) over to_day as revenue_to_date_usd,
        sum(total_cost_usd) over to_day as total_cost_to_date_usd
    from customer_days
    left join customer_restated using (margin_date, customer_id)
    left join {{ ref('dim_customers') }} as customers using (customer_id)
    window last_7_days as (partition by customer_id order by margin_date range between 6 preceding and current row),
           to_day as (partition by customer_id order by margin_date rows between unbounded preceding and current row)

),

customer_alerts as (

    -- paying customers (revenue recognised by that day) whose last 7 days cost more than the set
    -- share of those days' own revenue, whatever its sign: refunds that took it below zero make the
    -- worst case, not an unjudged one (the ratio is then null: cost against no revenue)
    select
        margin_date as alert_date, 'customer_cost_to_revenue_high' as alert_type, 'warning' as severity,
        'customer' as entity_type, customer_id as entity_id, 'cost-to-revenue ratio (7-day)' as metric,
        case when own_revenue_7d_usd > 0 then cast(total_cost_7d_usd as double) / cast(own_revenue_7d_usd as double) end
            as metric_value,
        {{ var('alert_cost_to_revenue_ratio', 0.8) }} as threshold,
        null as baseline_value,
        total_cost_7d_usd > own_revenue_7d_usd * {{ var('alert_cost_to_revenue_ratio', 0.8) }} as is_on
    from customer_rolling
    where total_cost_7d_usd > 0 and is_paying and margin_date >= first_margin_date + 6
    union all
    -- paying customers in their first days who cost more than they paid since signing up (whatever the sign)
    select
        margin_date, 'new_customer_unprofitable', 'critical', 'customer', customer_id,
        'gross margin since signup, USD', revenue_to_date_usd - total_cost_to_date_usd, 0, null,
        total_cost_to_date_usd > revenue_to_date_usd
    from customer_rolling
    where signup_date >= (select min(margin_date) from customer_days)
        and margin_date < signup_date + {{ var('alert_new_customer_days', 30) }}
        and is_paying and total_cost_to_date_usd > 0

)

{{ alert_rows('customer_alerts') }}

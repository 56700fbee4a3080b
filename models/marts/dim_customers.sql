select
    cast(customer_id as varchar) as customer_id,
    cast(stripe_customer_id as varchar) as stripe_customer_id,
    cast(customer_name as varchar) as customer_name,
    cast(plan as varchar) as plan,
    cast(segment as varchar) as segment,
    cast(region as varchar) as region,
    cast(company_size as varchar) as company_size,
    cast(signup_date as date) as signup_date,
    cast(cohort_month as date) as cohort_month,
    cast(is_billed_in_stripe as boolean) as is_billed_in_stripe,
    cast(has_usage as boolean) as has_usage
from {{ ref('int_customers') }}

select
    cast(customer_id as string) as customer_id,
    cast(stripe_customer_id as string) as stripe_customer_id,
    cast(customer_name as string) as customer_name,
    cast(plan as string) as plan,
    cast(segment as string) as segment,
    cast(region as string) as region,
    cast(company_size as string) as company_size,
    cast(signup_date as date) as signup_date,
    cast(cohort_month as date) as cohort_month,
    cast(is_billed_in_stripe as boolean) as is_billed_in_stripe,
    cast(has_usage as boolean) as has_usage
from {{ ref('int_customers') }}

-- AWS CUR 2.0 in the common FOCUS-shaped cost layout.
with source as (

    {{ source_columns('provider_costs', 'aws_cur_costs', {
        '_row_key': 'string', 'line_item_unblended_cost': 'string', 'line_item_net_unblended_cost': 'string',
        'pricing_public_on_demand_cost': 'string', 'line_item_line_item_type': 'string',
        'line_item_usage_start_date': 'string', 'line_item_usage_end_date': 'string',
        'line_item_currency_code': 'string', 'line_item_product_code': 'string',
        'product_servicecode': 'string', 'line_item_line_item_description': 'string',
        'line_item_usage_account_id': 'string'
    }) }}

),

final as (

    select
        _row_key as cost_row_id,
        case
            when coalesce(line_item_product_code, product_servicecode) ilike '%bedrock%' then 'aws.bedrock'
            else 'aws'
        end as provider,
        'AWS' as invoice_issuer,
        {{ parse_export_timestamp('line_item_usage_start_date') }} as charge_period_start,
        {{ parse_export_timestamp('line_item_usage_end_date') }} as charge_period_end,
        case lower(trim(line_item_line_item_type))
            when 'usage' then 'usage'
            when 'discountedusage' then 'usage'
            when 'savingsplancoveredusage' then 'usage'
            when 'tax' then 'tax'
            when 'credit' then 'credit'
            when 'refund' then 'credit'
            when 'fee' then 'purchase'
            when 'rifee' then 'purchase'
            when 'savingsplanupfrontfee' then 'purchase'
            when 'savingsplanrecurringfee' then 'purchase'
            else 'adjustment'  -- EdpDiscount, BundledDiscount, PrivateRateDiscount, SavingsPlanNegation...
        end as charge_category,
        cast(null as string) as model,
        line_item_line_item_description as charge_description,
        {{ parse_amount('line_item_unblended_cost') }} as billed_cost,
        {{ parse_amount('coalesce(nullif(trim(line_item_net_unblended_cost), \'\'), line_item_unblended_cost)') }}
            as effective_cost,
        {{ parse_amount('pricing_public_on_demand_cost') }} as list_cost,
        upper(coalesce(nullif(trim(line_item_currency_code), ''), 'USD')) as billing_currency,
        line_item_usage_account_id as sub_account_id
    from source

)

select * from final

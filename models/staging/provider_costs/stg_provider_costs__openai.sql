with source as (

    {{ source_columns('provider_costs', 'openai_costs', {
        '_row_key': 'string', 'start_time': 'bigint', 'end_time': 'bigint', 'amount_value': 'decimal(38, 12)',
        'amount_currency': 'string', 'line_item': 'string', 'project_id': 'string', 'quantity': 'decimal(38, 9)',
        'quantity_unit': 'string'
    }) }}

),

final as (

    select
        _row_key as cost_row_id,
        'openai' as provider,
        'OpenAI' as invoice_issuer,
        {{ epoch_to_utc('start_time') }} as charge_period_start,
        {{ epoch_to_utc('end_time') }} as charge_period_end,
        'usage' as charge_category,
        -- line items look like "gpt-4o-mini, input" or "gpt-4o-mini, cached input (batch)"
        nullif(trim(split_part(line_item, ',', 1)), '') as model,
        nullif(trim(split_part(line_item, ',', 2)), '') as charge_description,
        cast(amount_value as {{ money_type() }}) as billed_cost,
        cast(amount_value as {{ money_type() }}) as effective_cost,
        cast(null as {{ money_type() }}) as list_cost,
        upper(amount_currency) as billing_currency,
        project_id as sub_account_id
    from source

)

select * from final

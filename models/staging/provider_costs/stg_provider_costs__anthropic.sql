with source as (

    {{ source_columns('provider_costs', 'anthropic_cost_report', {
        '_row_key': 'string', 'starting_at': 'timestamptz', 'ending_at': 'timestamptz', 'amount': 'string',
        'currency': 'string', 'description': 'string', 'cost_type': 'string', 'model': 'string',
        'service_tier': 'string', 'token_type': 'string', 'workspace_id': 'string'
    }) }}

),

final as (

    select
        _row_key as cost_row_id,
        'anthropic' as provider,
        'Anthropic' as invoice_issuer,
        {{ to_utc('starting_at') }} as charge_period_start,
        {{ to_utc('ending_at') }} as charge_period_end,
        'usage' as charge_category,
        model,
        coalesce(token_type, description) as charge_description,
        -- amounts arrive as decimal strings in cents
        cast(cast(amount as decimal(38, 12)) * 0.01 as {{ money_type() }}) as billed_cost,
        cast(cast(amount as decimal(38, 12)) * 0.01 as {{ money_type() }}) as effective_cost,
        cast(null as {{ money_type() }}) as list_cost,
        upper(currency) as billing_currency,
        workspace_id as sub_account_id
    from source

)

select * from final

-- FOCUS exports from any producer (and CUR 2.0 files carrying FOCUS-like columns): literal 'NULL'
-- strings become nulls, enumerations are lower-cased, timestamps without a zone are read as UTC,
-- amounts formatted like "$10,000.00 " are read as 10000.00.
with source as (

    {{ source_columns('provider_costs', 'focus_costs', {
        '_row_key': 'string',
        'billed_cost|billedcost': 'string', 'effective_cost|effectivecost': 'string',
        'list_cost|listcost': 'string', 'charge_category|chargecategory': 'string',
        'charge_period_start|chargeperiodstart': 'string', 'charge_period_end|chargeperiodend': 'string',
        'billing_currency|billingcurrency': 'string', 'provider_name|providername|provider': 'string',
        'service_name|servicename': 'string', 'charge_description|chargedescription': 'string',
        'sub_account_id|subaccountid': 'string', 'sku_meter|skumeter|x_sku_description|x_skudescription': 'string'
    }) }}

),

cleaned as (

    select
        _row_key,
        {% for col in ['billed_cost', 'effective_cost', 'list_cost', 'charge_category', 'charge_period_start',
                       'charge_period_end', 'billing_currency', 'provider_name', 'service_name',
                       'charge_description', 'sub_account_id', 'sku_meter'] %}
        case when upper(trim({{ col }})) in ('', 'NULL') then null else trim({{ col }}) end
            as {{ col }}{{ "," if not loop.last }}
        {% endfor %}
    from source

),

final as (

    select
        _row_key as cost_row_id,
        case
            when service_name ilike '%bedrock%' then 'aws.bedrock'
            when service_name ilike '%openai%' then 'azure.ai.openai'
            -- Azure bills Azure OpenAI under "Azure AI Services"; the meter names the model
            when service_name ilike 'azure ai services%'
                and (sku_meter ilike '%gpt%' or sku_meter ilike '%openai%' or charge_description ilike '%openai%'
                     or sku_meter ilike '%o1%' or sku_meter ilike '%o3%' or sku_meter ilike '%embedding%')
                then 'azure.ai.openai'
            when service_name ilike '%vertex%' or service_name ilike '%gemini%' then 'gcp.vertex_ai'
            else lower(provider_name)
        end as provider,
        provider_name as invoice_issuer,
        {{ parse_export_timestamp('charge_period_start') }} as charge_period_start,
        {{ parse_export_timestamp('charge_period_end') }} as charge_period_end,
        lower(charge_category) as charge_category,
        cast(null as string) as model,
        charge_description,
        {{ parse_amount('billed_cost') }} as billed_cost,
        {{ parse_amount('coalesce(effective_cost, billed_cost)') }} as effective_cost,
        {{ parse_amount('list_cost') }} as list_cost,
        upper(billing_currency) as billing_currency,
        sub_account_id
    from cleaned

)

select * from final

-- Each (provider, model) seen in usage (or on a provider bill) mapped to a catalog model, exactly as genai-prices
-- looks it up: the first model in catalog order one of whose rules matches in every clause.
-- Dated snapshots, Bedrock/Azure names and case are handled by the catalog's own match rules.
-- Models named on provider bills are matched too, so that a bill's model and the usage's meet on the
-- catalog model id when reconciling by model (int_inference_cost_reconciled).
with usage_models as (

    select distinct provider, model from {{ ref('stg_usage__events') }}
    union
    select distinct provider, model from {{ ref('int_provider_costs_daily') }} where model is not null

),

provider_ids as (

    select * from {{ ref('provider_catalog_ids') }}

),

rules as (

    select * from {{ ref('stg_model_prices__match_rules') }}

),

mapped as (

    select
        usage_models.provider,
        usage_models.model,
        coalesce(provider_ids.catalog_provider_id, usage_models.provider) as catalog_provider_id
    from usage_models
    left join provider_ids on usage_models.provider = provider_ids.provider

),

rule_results as (

    select
        mapped.provider,
        mapped.model,
        rules.provider_id,
        rules.model_id,
        rules.model_order,
        rules.rule_no,
        bool_and(
            case rules.clause_kind
                when 'equals' then lower(mapped.model) = rules.clause_value
                when 'starts_with' then left(lower(mapped.model), length(rules.clause_value)) = rules.clause_value
                when 'ends_with' then right(lower(mapped.model), length(rules.clause_value)) = rules.clause_value
                when 'contains' then contains(lower(mapped.model), rules.clause_value)
                when 'regex' then {{ regex_matches_ignoring_case('mapped.model', 'rules.clause_value') }}
                else false
            end
        ) as is_match
    from mapped
    inner join rules on rules.provider_id = mapped.catalog_provider_id
    group by all

),

first_match as (

    select provider, model, provider_id as catalog_provider_id, model_id as catalog_model_id
    from rule_results
    where is_match
    qualify row_number() over (partition by provider, model order by model_order, rule_no) = 1

),

final as (

    select
        mapped.provider,
        mapped.model,
        first_match.catalog_provider_id,
        first_match.catalog_model_id,
        first_match.catalog_model_id is not null as has_catalog_match
    from mapped
    left join first_match using (provider, model)

)

select * from final

-- Every alert condition evaluated on every day it can be judged: one row per detector, entity and day,
-- with `is_on` when the condition holds (macros/alerts.sql). fct_margin_alerts keeps the day each
-- condition starts. Series that can never reach a detector's minimums (cost anomalies under the minimum
-- daily cost, agent loops under the minimum calls) are not judged.
select * from {{ ref('alert_feature_margin_zones') }}
union all
select * from {{ ref('alert_feature_cost_per_request') }}
union all
select * from {{ ref('alert_customer_margin') }}
union all
select * from {{ ref('alert_cost_anomalies') }}
union all
select * from {{ ref('alert_agent_loops') }}
union all
select * from {{ ref('alert_model_mix_shifts') }}
union all
select * from {{ ref('alert_prompt_version_costs') }}
union all
select * from {{ ref('alert_model_price_changes') }}
union all
select * from {{ ref('alert_provider_billing_residuals') }}
union all
select * from {{ ref('alert_budgets') }}
union all
select * from {{ ref('alert_data_quality') }}

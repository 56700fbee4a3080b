-- Production calls to a model with no price (not in the genai-prices catalog, no override in
-- model_price_overrides, no per-unit price): their cost would count as zero in every margin. One row
-- per provider and model, with its calls and days. Fix: add a row to seeds/model_price_overrides.csv or
-- a name the catalog knows. Reads a leaf mart, so a failure never stops the other models.
select provider, model, sum(unpriced_requests) as unpriced_calls, min(usage_date) as first_day,
       max(usage_date) as last_day
from {{ ref('fct_model_daily') }}
where unpriced_requests > 0
group by provider, model

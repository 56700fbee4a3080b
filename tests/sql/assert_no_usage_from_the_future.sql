-- Production calls dated after tomorrow (UTC): a clock or unit error (Unix milliseconds read as
-- seconds, a year typed wrong). The reporting window follows the data, so one such call would stretch
-- it and every rolling margin. Fix the source and reload. Reads a leaf mart, so a failure never stops
-- the other models.
select usage_date, provider, model, feature, requests
from {{ ref('fct_model_daily') }}
where usage_date > {{ dbt.dateadd('day', 1, utc_today()) }}

-- Day x feature margins, rolling 3- and 7-day, with floor and zone: what the margin floor tests judge.
-- Nothing reads this mart (alerts and simulations read int_feature_margin_rolling), so a failing floor test
-- never stops another model from building. USD.
select
    cast(margin_date as date) as margin_date,
    cast(feature as string) as feature,
    cast(category as string) as category,
    cast(margin_floor_pct as decimal(9, 4)) as margin_floor_pct,
    cast(yellow_ceiling_pct as decimal(9, 4)) as yellow_ceiling_pct,
    cast(floor_exception_reason as string) as floor_exception_reason,
    cast(floor_exception_review_date as date) as floor_exception_review_date,
    cast(has_floor_exception as boolean) as has_floor_exception,
    cast(requests as bigint) as requests,
    {% for column in ['revenue_usd', 'usage_cost_usd', 'total_cost_usd'] %}
    cast({{ column }} as {{ money_type() }}) as {{ column }},
    {% endfor %}
    cast(margin_pct as double) as margin_pct,
    {% for days in [3, 7] %}
    cast(revenue_{{ days }}d_usd as {{ money_type() }}) as revenue_{{ days }}d_usd,
    cast(total_cost_{{ days }}d_usd as {{ money_type() }}) as total_cost_{{ days }}d_usd,
    cast(margin_pct_{{ days }}d as double) as margin_pct_{{ days }}d,
    cast(zone_{{ days }}d as string) as zone_{{ days }}d{{ "," if not loop.last }}
    {% endfor %}
from {{ ref('int_feature_margin_rolling') }}

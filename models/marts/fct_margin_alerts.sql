-- One row per alert: a condition from int_alert_conditions on the day it starts, so an ongoing problem
-- is raised once, not every day. "Starts" means it holds that day and held on none of the entity's
-- previous var('alert_cooldown_days') judged days (a metric hovering at its threshold is not raised
-- again and again). Rolling-state conditions (margin zones, cost-to-revenue) must also have been
-- judged clear at least once: one already true on the first judged day began before the data did, and
-- shows in the floor tests and fct_customer_margin rather than as a new alert.
-- Each alert names its primary cost driver: the model, feature, customer or token type whose daily
-- cost moved most against the entity's trailing 7-day average.
with conditions as (

    select
        *,
        coalesce(bool_or(is_on) over recent, false) as was_on_recently,
        count(*) over recent as judged_days_before
    from {{ ref('int_alert_conditions') }}
    window recent as (partition by alert_type, entity_type, entity_id order by alert_date
                      rows between {{ var('alert_cooldown_days', 14) }} preceding and 1 preceding)

),

started as (

    select * from conditions
    where is_on
        and not was_on_recently
        and (judged_days_before > 0
             or alert_type not in ('feature_margin_red_3d', 'feature_margin_yellow_7d', 'customer_cost_to_revenue_high'))

),

drivers as (

    select * from {{ ref('int_usage_cost_drivers_daily') }}

),

-- cost per candidate driver around each alert: the alert day and the 7 days before it
driver_costs as (

    {% set token_types = ['uncached_input', 'cache_read', 'cache_write', 'output', 'reasoning', 'request_and_unit'] %}
    {% for dimension, column in [('model', 'model'), ('customer', 'customer_id'), ('feature', 'feature'),
                                 ('token_type', none)] %}
    select
        started.alert_date, started.alert_type, started.entity_type, started.entity_id,
        '{{ dimension }}' as driver_type,
        {% if column %}
        drivers.{{ column }} as driver,
        sum(drivers.estimated_cost_usd) filter (where drivers.usage_date = started.alert_date) as cost_today_usd,
        sum(drivers.estimated_cost_usd) filter (where drivers.usage_date < started.alert_date) / 7 as cost_baseline_usd
        {% else %}
        token_type as driver,
        sum(token_cost) filter (where drivers.usage_date = started.alert_date) as cost_today_usd,
        sum(token_cost) filter (where drivers.usage_date < started.alert_date) / 7 as cost_baseline_usd
        {% endif %}
    from started
    inner join (
        {% if column %}
        select * from drivers
        {% else %}
        unpivot (select usage_date, customer_id, feature, provider, model,
                 {% for t in token_types %}{{ t }}_cost_usd as {{ t }}{{ "," if not loop.last }}{% endfor %}
                 from drivers)
        on {{ token_types | join(', ') }} into name token_type value token_cost
        {% endif %}
    ) as drivers
        on drivers.usage_date between started.alert_date - 7 and started.alert_date
        and case started.entity_type
            when 'feature' then drivers.feature = split_part(started.entity_id, ' / prompt ', 1)
            when 'customer' then drivers.customer_id = started.entity_id
            when 'provider' then drivers.provider = started.entity_id
            when 'model' then drivers.provider || '/' || drivers.model = split_part(started.entity_id, ' (', 1)
        end
    where '{{ dimension }}' <> started.entity_type
    group by all
    {{ "union all" if not loop.last }}
    {% endfor %}

),

primary_driver as (

    select
        alert_date, alert_type, entity_type, entity_id,
        arg_max(driver_type || ': ' || driver,
                abs(coalesce(cost_today_usd, 0) - coalesce(cost_baseline_usd, 0))) as primary_cost_driver,
        arg_max(coalesce(cost_today_usd, 0) - coalesce(cost_baseline_usd, 0),
                abs(coalesce(cost_today_usd, 0) - coalesce(cost_baseline_usd, 0))) as primary_cost_driver_change_usd
    from driver_costs
    group by all

),

final as (

    select
        cast(md5(started.alert_type || '|' || started.entity_type || '|' || started.entity_id || '|'
                 || started.alert_date) as varchar) as alert_id,
        started.alert_date,
        started.alert_type,
        started.severity,
        started.entity_type,
        started.entity_id,
        started.metric,
        started.metric_value,
        started.threshold,
        started.baseline_value,
        cast(case
            when started.baseline_value is null or started.baseline_value = 0 then null
            else round((started.metric_value - started.baseline_value) / abs(started.baseline_value) * 100, 1)
        end as decimal(18, 1)) as change_vs_baseline_pct,
        cast(case
            when started.baseline_value is null then 'new'
            when started.metric_value > started.baseline_value then 'rising'
            when started.metric_value < started.baseline_value then 'falling'
            else 'flat'
        end as varchar) as trend,
        cast(primary_driver.primary_cost_driver as varchar) as primary_cost_driver,
        cast(primary_driver.primary_cost_driver_change_usd as {{ money_type() }}) as primary_cost_driver_change_usd
    from started
    left join primary_driver using (alert_date, alert_type, entity_type, entity_id)

)

select * from final

-- One row per alert: a condition from alert_conditions (models/alerts/) on the day it starts, so an ongoing problem
-- is raised once, not every day. "Starts" means it holds that day and held on none of the entity's
-- previous var('alert_cooldown_days') judged days (a metric hovering at its threshold is not raised
-- again and again). Rolling-state conditions (margin zones, cost-to-revenue) must also have been
-- judged clear at least once: one already true on the first judged day began before the data did, and
-- shows in the floor tests and fct_customer_margin rather than as a new alert.
-- Each alert names its primary cost driver: the model, feature, customer or token type whose daily
-- cost moved most against the entity's trailing 7-day average.
{% set driver_days = 7 %}
with conditions as (

    select
        *,
        coalesce(bool_or(is_on) over recent, false) as was_on_recently,
        count(*) over recent as judged_days_before
    from {{ ref('alert_conditions') }}
    window recent as (partition by alert_type, entity_type, entity_id order by alert_date
                      rows between {{ var('alert_cooldown_days', 14) }} preceding and 1 preceding)

),

started as (

    select * from conditions
    where is_on
        and not was_on_recently
        and (
            judged_days_before > 0
            or alert_type not in ('feature_margin_red_3d', 'feature_margin_yellow_7d', 'customer_cost_to_revenue_high')
        )

),

identified as (

    select
        cast(md5(alert_type || '|' || entity_type || '|' || entity_id || '|' || alert_date) as string) as alert_id,
        *
    from started

),

-- the alerts whose driver is looked up, with their entity as a key of int_usage_cost_drivers_daily
-- ("chat / prompt v2" -> chat, "openai/x (batch)" -> openai/x)
started_keys as (

    select
        alert_id,
        alert_date,
        entity_type,
        case entity_type
            when 'feature' then split_part(entity_id, ' / prompt ', 1)
            when 'model' then split_part(entity_id, ' (', 1)
            else entity_id
        end as entity_key
    from identified

),

-- usage rows of each alert's entity on the alert day and the days before it (equality joins: fast)
alert_usage as (

    {% for entity_type, key in [('feature', 'drivers.feature'), ('customer', 'drivers.customer_id'),
                                ('provider', 'drivers.provider'), ('model', "drivers.provider || '/' || drivers.model")] %}
    select started.alert_id, started.alert_date, started.entity_type, drivers.*
    from started_keys as started
    inner join {{ ref('int_usage_cost_drivers_daily') }} as drivers
        on {{ key }} = started.entity_key
        and drivers.usage_date between started.alert_date - {{ driver_days }} and started.alert_date
    where started.entity_type = '{{ entity_type }}'
    {{ "union all" if not loop.last }}
    {% endfor %}

),

-- cost per candidate driver: on the alert day, and its daily average over the days before
{% set token_types = ['uncached_input', 'cache_read', 'cache_write', 'output', 'reasoning', 'request_and_unit'] %}
driver_costs as (

    {% for dimension, column in [('model', 'model'), ('customer', 'customer_id'), ('feature', 'feature')] %}
    select
        alert_id,
        '{{ dimension }}' as driver_type,
        {{ column }} as driver,
        sum(estimated_cost_usd) filter (where usage_date = alert_date) as cost_today_usd,
        -- a double (DuckDB's "/" on decimals): only ranks the drivers
        cast(sum(estimated_cost_usd) filter (where usage_date < alert_date) as double) / {{ driver_days }}
            as cost_baseline_usd
    from alert_usage
    where entity_type <> '{{ dimension }}'
    group by all
    union all
    {% endfor %}
    select
        alert_id,
        'token_type' as driver_type,
        token_type as driver,
        sum(token_cost) filter (where usage_date = alert_date) as cost_today_usd,
        cast(sum(token_cost) filter (where usage_date < alert_date) as double) / {{ driver_days }} as cost_baseline_usd
    from (
        -- one row per usage row and token type with a cost (an unpivot, as a union)
        {% for t in token_types %}
        select alert_id, alert_date, usage_date, '{{ t }}' as token_type, {{ t }}_cost_usd as token_cost
        from alert_usage
        where {{ t }}_cost_usd is not null
        {{ "union all" if not loop.last }}
        {% endfor %}
    ) as token_costs
    group by all

),

primary_driver as (

    select
        alert_id,
        driver_type || ': ' || driver as primary_cost_driver,
        {{ to_decimal('coalesce(cost_today_usd, 0) - coalesce(cost_baseline_usd, 0)', 38, 10) }}
            as primary_cost_driver_change_usd
    from driver_costs
    -- the largest move; a tie (a customer with one model and one feature moves both by the same amount)
    -- goes to the model, then the customer, the feature, the token type, and the first name, so that
    -- every build names the same driver
    qualify row_number() over (
        partition by alert_id
        order by abs(coalesce(cost_today_usd, 0) - coalesce(cost_baseline_usd, 0)) desc,
                 case driver_type when 'model' then 1 when 'customer' then 2 when 'feature' then 3 else 4 end, driver
    ) = 1

),

final as (

    select
        started.alert_id,
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
            -- a double, as DuckDB's "/" on decimals gives
            else round(cast(started.metric_value - started.baseline_value as double)
                       / cast(abs(started.baseline_value) as double) * 100, 1)
        end as decimal(18, 1)) as change_vs_baseline_pct,
        cast(case
            when started.baseline_value is null then 'new'
            when started.metric_value > started.baseline_value then 'rising'
            when started.metric_value < started.baseline_value then 'falling'
            else 'flat'
        end as string) as trend,
        started.note,
        cast(drivers.primary_cost_driver as string) as primary_cost_driver,
        cast(drivers.primary_cost_driver_change_usd as {{ money_type() }}) as primary_cost_driver_change_usd
    from identified as started
    left join primary_driver as drivers using (alert_id)

)

select * from final

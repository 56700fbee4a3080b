{#- Alert detectors (models/alerts/): one model per detector, each one row per entity and day judged,
    with `is_on` when its condition holds; alert_conditions unions them for fct_margin_alerts. Thresholds
    are dbt vars (prefix `alert_`). Statistics (z-scores, ratios, shares) are doubles: they rank and flag,
    they are never summed into money. Day windows are ranges of whole days over dates (`range between 6
    preceding`): an interval would cast the dates to timestamps, and each window would sort the rows apart. -#}

{#- The columns every detector returns, from its last CTE; `note` says what the comparison rests on where
    a reader needs it (a new configuration period, say). -#}
{% macro alert_rows(relation, note='null') %}
select
    cast(alert_date as date) as alert_date,
    cast(alert_type as string) as alert_type,
    cast(severity as string) as severity,
    cast(entity_type as string) as entity_type,
    cast(entity_id as string) as entity_id,
    cast(metric as string) as metric,
    {{ to_decimal('metric_value', 38, 10) }} as metric_value,
    {{ to_decimal('threshold', 38, 10) }} as threshold,
    {{ to_decimal('baseline_value', 38, 10) }} as baseline_value,
    cast({{ note }} as string) as note,
    coalesce(is_on, false) as is_on
from {{ relation }}
{% endmacro %}

{#- Revenue and total cost per customer-day, from the waterfall. -#}
{% macro alert_customer_days() %}
    select
        margin_date,
        customer_id,
        sum(revenue_usd) as revenue_usd,
        sum(total_cost_usd) as total_cost_usd
    from {{ ref('fct_margin_waterfall') }}
    group by margin_date, customer_id
{% endmacro %}

{#- Credits on provider bills (FOCUS ChargeCategory Credit, spread over their charge period): money, so in
    every cost and margin, but not usage: the provider's cost series and billing residual leave them out,
    so a promotional credit raises neither a cost drop nor a residual alert. -#}
{% macro alert_provider_credits() %}
    select cost_date, provider, sum(effective_cost_usd) as credit_usd
    from {{ ref('int_provider_costs_daily') }}
    where charge_category = 'credit'
    group by all
{% endmacro %}

{#- Per feature-day (int_feature_margin_rolling): the day's cost per request, the 7 days before it, and the
    previous day's 7-day margin. -#}
{% macro alert_feature_days() %}
    select
        *,
        lag(margin_pct_7d) over by_day as prev_margin_pct_7d,
        {{ money_per('usage_cost_usd', 'requests') }} as cost_per_request_usd,
        sum(usage_cost_usd) over days_before as usage_cost_prev_7d_usd,
        sum(requests) over days_before as requests_prev_7d,
        row_number() over by_day as day_number
    from {{ ref('int_feature_margin_rolling') }}
    window by_day as (partition by feature order by margin_date),
           days_before as (partition by feature order by margin_date rows between 7 preceding and 1 preceding)
{% endmacro %}

{#- Spend per budget and day (usage days matching `where`), with its running total in the budget's period
    (the day, or the month, of the spend): effective usage cost of every environment, from
    int_inference_cost_reconciled, over `budgets` (a relation with budget_id, period, customer_id, feature).
    fct_budget_status takes its current period, alert_budgets every day. -#}
{% macro budget_daily_spend(budgets, where='true') %}
    select
        budget_id,
        usage_date,
        period_start,
        cost_usd,
        sum(cost_usd) over (partition by budget_id, period_start order by usage_date) as cumulative_usd
    from (
        select
            {{ budgets }}.budget_id,
            usage.usage_date,
            case {{ budgets }}.period when 'day' then usage.usage_date
                 else cast(date_trunc('month', usage.usage_date) as date) end as period_start,
            sum(usage.effective_cost_usd) as cost_usd
        from {{ budgets }}
        inner join {{ ref('int_inference_cost_reconciled') }} as usage
            on ({{ budgets }}.customer_id is null or usage.customer_id = {{ budgets }}.customer_id)
            and ({{ budgets }}.feature is null or usage.feature = {{ budgets }}.feature)
        where {{ where }}
        group by all
    )
{% endmacro %}

{#- Budgets with their amount in USD at the rate of `on_day` (an expression). -#}
{% macro budgets_in_usd(on_day) %}
    select
        budgets.*,
        cast(budgets.amount * fx.rate_to_reporting as {{ money_type() }}) as amount_usd,
        -- the thresholds default to 50%, 80% and 100%
        {{ array_map(split_to_array("coalesce(budgets.warn_at_pct, '50|80|100')", '|'), 't', 'cast(trim(t) as double)') }}
            as warn_at
    from {{ ref('budgets') }} as budgets
    left join {{ ref('fx_rates') }} as fx on {{ fx_rate_on('upper(budgets.currency)', on_day) }}
{% endmacro %}

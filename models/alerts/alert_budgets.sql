-- Budgets (seed budgets): on each day with spend, a budget's spend so far in its period (the day, or the
-- month) past its lowest warning threshold (budget_warning) or past the budget (budget_exceeded).
with budgets as (

    {{ budgets_in_usd(as_of_date()) }}

),

daily as (

    {{ budget_daily_spend('budgets') }}

),

judged as (

    select
        daily.usage_date,
        budgets.budget_id,
        budgets.period,
        budgets.amount_usd,
        daily.period_start,
        daily.cumulative_usd,
        cast(daily.cumulative_usd as double) / cast(budgets.amount_usd as double) * 100 as utilisation_pct,
        cast({{ array_smallest('budgets.warn_at') }} as decimal(9, 4)) as first_warning_pct
    from daily
    inner join budgets using (budget_id)

),

budget_alerts as (

    select
        usage_date as alert_date, 'budget_exceeded' as alert_type, 'critical' as severity, 'budget' as entity_type,
        -- one entity per budget period, so a new period's breach is not held back by the last one's cooldown
        budget_id || ' (' || period_start || ')' as entity_id, period || ' spend, USD' as metric,
        cumulative_usd as metric_value, amount_usd as threshold, null as baseline_value,
        cumulative_usd >= amount_usd as is_on
    from judged
    union all
    select
        usage_date, 'budget_warning', 'warning', 'budget', budget_id || ' (' || period_start || ')',
        period || ' spend, % of budget', utilisation_pct, first_warning_pct, null,
        -- decided in decimals: a double would put 290 / 1000 just below 29%
        cumulative_usd * 100 >= amount_usd * first_warning_pct and cumulative_usd < amount_usd
    from judged

)

{{ alert_rows('budget_alerts') }}

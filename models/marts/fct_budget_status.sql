-- Each budget (seed budgets) in its current period as of var as_of_date (else the last day of margins):
-- spend to date at effective usage cost (reconciled to bills where billed, else estimated; every
-- environment), utilisation, the highest warning threshold reached, a forecast for the period's end
-- from the run rate of its last 7 days (or fewer, early in the period), and a status: exceeded,
-- forecast_exceeded, warning or ok. `is_blocked`: exceeded and on_exceed = block; those go on the
-- published blocklist.json (ai-margin publish) that the SDK guard reads. USD.
with as_of as (

    select {{ as_of_date() }} as as_of_date

),

budgets as (

    select
        budgets.*,
        as_of.as_of_date,
        case budgets.period when 'day' then as_of.as_of_date
             else cast(date_trunc('month', as_of.as_of_date) as date) end as period_start,
        case budgets.period when 'day' then as_of.as_of_date
             else cast(date_trunc('month', as_of.as_of_date) + interval 1 month as date) - 1 end as period_end
    from ({{ budgets_in_usd('(select as_of_date from as_of)') }}) as budgets
    cross join as_of

),

daily as (

    {{ budget_daily_spend('budgets', 'usage.usage_date between budgets.period_start and budgets.as_of_date') }}

),

spend as (

    select
        daily.budget_id,
        sum(daily.cost_usd) as spend_usd,
        sum(daily.cost_usd) filter (where daily.usage_date > budgets.as_of_date - 7) as spend_last_7d_usd,
        min(daily.usage_date) filter (where daily.cumulative_usd >= budgets.amount_usd) as exceeded_on
    from daily
    inner join budgets using (budget_id)
    group by daily.budget_id

),

measured as (

    select
        budgets.*,
        cast(coalesce(spend.spend_usd, 0) as {{ money_type() }}) as spend_usd,
        spend.exceeded_on,
        least(
            {{ dbt.datediff('budgets.period_start', 'budgets.as_of_date', 'day') | trim }} + 1,
            7
        ) as run_rate_days,
        {{ dbt.datediff('budgets.as_of_date', 'budgets.period_end', 'day') }}
            as days_left,
        coalesce(spend.spend_last_7d_usd, 0) as spend_last_7d_usd
    from budgets
    left join spend using (budget_id)

),

forecast as (

    -- the period's end at the run rate of its last 7 days (fewer early in the period)
    select
        *,
        cast(spend_usd + {{ money_per('spend_last_7d_usd', 'run_rate_days') }} * days_left as {{ money_type() }})
            as forecast_usd
    from measured

),

final as (

    select
        cast(budget_id as string) as budget_id,
        cast(scope as string) as scope,
        cast(customer_id as string) as customer_id,
        cast(feature as string) as feature,
        cast(period as string) as period,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(as_of_date as date) as as_of_date,
        cast(amount as decimal(18, 4)) as amount,
        cast(upper(currency) as string) as currency,
        amount_usd,
        spend_usd,
        cast(round(cast(spend_usd as double) / cast(amount_usd as double) * 100, 2) as double) as utilisation_pct,
        -- thresholds are judged in decimals (a double puts 290 / 1000 just below 29%)
        cast({{ array_largest(array_where('warn_at', 't',
                                          'spend_usd * 100 >= amount_usd * cast(t as decimal(9, 4))')) }}
            as double) as threshold_reached_pct,
        forecast_usd,
        cast(case
            when spend_usd >= amount_usd then 'exceeded'
            when forecast_usd >= amount_usd then 'forecast_exceeded'
            when spend_usd * 100 >= amount_usd * cast({{ array_smallest('warn_at') }} as decimal(9, 4)) then 'warning'
            else 'ok'
        end as string) as status,
        cast(on_exceed as string) as on_exceed,
        cast(spend_usd >= amount_usd and on_exceed = 'block' as boolean) as is_blocked,
        cast(exceeded_on as date) as exceeded_on
    from forecast

)

select * from final

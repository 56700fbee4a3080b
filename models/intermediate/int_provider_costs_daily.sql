-- What providers billed, per provider and day (and model, where the bill names one: OpenAI Costs API
-- line items, the Anthropic cost report), in the reporting currency (all sources unioned).
-- Each bill row is spread evenly over the days of its charge period [start, end) (end exclusive, as in
-- FOCUS): a month's credit, commitment fee or tax (a FOCUS Credit or Purchase row, a CUR monthly fee)
-- lowers or raises each of its days a little instead of landing whole on its first day, where it
-- turned that day's inference cost negative and raised cost-drop and residual alerts. A row of one day
-- or less (hourly and daily usage), or without an end, stays on its start day. The split is exact
-- (macro split_evenly: whole 1e-10 units of the amount in its own currency, the remainder to the first
-- days), so a row's days add up to the row; each day's part is converted at that day's FX rate.
{%- set bill_columns = [
    'cost_row_id', 'provider', 'invoice_issuer', 'charge_period_start', 'charge_period_end', 'charge_category',
    'model', 'charge_description', 'billed_cost', 'effective_cost', 'list_cost', 'billing_currency',
    'sub_account_id'
] %}

with unioned as (

    {%- for source in ['openai', 'anthropic', 'focus', 'aws_cur'] %}
    select {{ bill_columns | join(', ') }} from {{ ref('stg_provider_costs__' ~ source) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

fx as (

    select * from {{ ref('fx_rates') }}

),

periods as (

    select
        *,
        -- whole days the charge period lasts, rounded up; at least one
        greatest(1, coalesce(
            {{ int_div(microseconds_between('charge_period_start', 'charge_period_end') ~ ' + 86399999999',
                       '86400000000') }},
            1
        )) as period_days
    from unioned

),

-- one row per bill row and day of its period
days as (

    select
        *,
        cast(charge_period_start as date) + cast(day_index as integer) as cost_date,
        {{ split_evenly('billed_cost', 'period_days', 'day_index') }} as billed_cost_part,
        {{ split_evenly('effective_cost', 'period_days', 'day_index') }} as effective_cost_part
    from (select *, {{ array_rows(index_range('period_days')) }} as day_index from periods) as period_rows

),

final as (

    select
        days.cost_date,
        days.provider,
        days.charge_category,
        days.model,
        days.billing_currency,
        count(*) as cost_rows,
        sum(cast(days.billed_cost_part * fx.rate_to_reporting as {{ money_type() }})) as billed_cost_usd,
        sum(cast(days.effective_cost_part * fx.rate_to_reporting as {{ money_type() }})) as effective_cost_usd
    from days
    left join fx on {{ fx_rate_on('days.billing_currency', 'days.cost_date') }}
    group by all

)

select * from final

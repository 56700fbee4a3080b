{#- Cost per request, request by request: what percentiles are taken of. Percentiles do not add up
    across periods or groups, so they are computed from the events of the period asked for, never from
    daily or monthly rollups (int_cost_per_request_percentiles: the reporting window;
    analyses/cost_per_request_percentiles.sql: any period).

    request_effective_costs(period): one row per production call on a day of `period` (a relation of one
    row: from_date, to_date, inclusive) with `effective_cost_usd`, its effective usage cost: the call's
    estimated cost (int_usage_events_priced; an unpriced call counts as zero, as in the marts) plus its
    share of the reconciliation residual, i.e. the estimate times the effective / estimated cost of its
    reconciliation unit. A unit's residual (a provider-day's, or a model's on model-grain days) was spread
    over its rows in proportion to estimated cost (int_inference_cost_reconciled), so the rows of a day,
    provider and model share that ratio (up to the 1e-10 rounding of each row's share): it is taken from
    their sums, a few thousand rows to join to the calls instead of every reconciled row.
    Exact decimals, never a double: the ratio is rounded half away from zero to 1e-16 by integer math,
    once per day, provider and model, and a call's cost is the exact product, decimal(38, 26). DuckDB
    multiplies decimals without a rescale (0.05 s for 1M calls, percentiles included), where rounding
    each call to 1e-10 took ten times as long: round the results instead, cast(... as money_type()),
    half away from zero. A day, provider and model without estimated cost carries no residual (ratio 1). -#}
{% macro request_effective_costs(period) %}
    select
        events.usage_date,
        events.customer_id,
        events.feature,
        events.provider,
        events.model,
        coalesce(events.estimated_cost_usd, 0) * coalesce(units.effective_per_estimated, 1) as effective_cost_usd
    from {{ ref('int_usage_events_priced') }} as events
    cross join {{ period }} as period
    left join (
        select
            usage_date,
            provider,
            model,
            cast(case
                when estimated_units = 0 then 1
                else {{ sign_of('effective_units') }} * {{ sign_of('estimated_units') }} * cast(
                    {{ int_div('2 * abs(effective_units) * 10000000000000000 + abs(estimated_units)',
                               '2 * abs(estimated_units)') }}
                    as decimal(38, 0)) * 0.0000000000000001
            end as decimal(38, 16)) as effective_per_estimated
        from (
            select
                usage_date,
                provider,
                model,
                cast(sum(estimated_cost_usd) * 10000000000 as {{ big_int_type() }}) as estimated_units,
                cast(sum(effective_cost_usd) * 10000000000 as {{ big_int_type() }}) as effective_units
            from {{ ref('int_inference_cost_reconciled') }} as reconciled, {{ period }} as period
            -- rows with calls: not the residual of a provider-day without usage (`unallocated`)
            where reconciled.requests > 0 and reconciled.usage_date between period.from_date and period.to_date
            group by usage_date, provider, model
        )
    ) as units
        on units.usage_date = events.usage_date
        and units.provider = events.provider
        and units.model is not distinct from events.model
    where events.is_production and events.usage_date between period.from_date and period.to_date
{% endmacro %}

{#- The margin % of a request that costs `cost_per_request` (usage), with the group's revenue and its
    other costs (overhead pools) per request: (revenue - overhead - requests x cost per request) /
    revenue x 100, the same as (revenue per request - overhead per request - cost per request) / revenue
    per request. At the mean cost per request it is the group's gross margin %; at the P95 cost, the
    margin of the dearest 5% of requests. Null where revenue is zero or negative, or without requests. -#}
{% macro margin_pct_at_cost_per_request(revenue, other_cost, requests, cost_per_request) -%}
    {%- set margin = '(' ~ revenue ~ ') - (' ~ other_cost ~ ') - (' ~ requests ~ ') * (' ~ cost_per_request ~ ')' -%}
    case when ({{ revenue }}) > 0 and ({{ requests }}) > 0 then {{ margin_pct('(' ~ margin ~ ')', '(' ~ revenue ~ ')') }} end
{%- endmacro %}

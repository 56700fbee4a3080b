{#- The simulations (models/simulations/) judge one period: vars simulate_from / simulate_to, by default
    the last 30 days of production usage (the 30 days up to simulate_to when only that is set). -#}
{% macro simulation_period() -%}
    select
        from_date,
        to_date,
        cast({{ dbt.datediff('from_date', 'to_date', 'day') }} + 1 as integer) as days
    from (
        select
            coalesce(cast(nullif('{{ var("simulate_from", "") }}', '') as date),
                     coalesce(cast(nullif('{{ var("simulate_to", "") }}', '') as date), max(usage_date)) - 29) as from_date,
            coalesce(cast(nullif('{{ var("simulate_to", "") }}', '') as date), max(usage_date)) as to_date
        from {{ ref('int_usage_token_mix_daily') }}
    )
{%- endmacro %}

{#- A candidate's price per million tokens for the mix row's input size: its context tier when the calls
    passed one (the highest), else its base price. -#}
{% macro tier_price(base, tiers, bucket='mix.input_size_bucket') -%}
    coalesce({{ array_item(array_sorted(array_where(tiers, 't', bucket ~ ' >= t.start')), -1) }}.price, {{ base }})
{%- endmacro %}

{#- The cost of a token-mix row (int_usage_token_mix_daily, alias `mix`) at the prices of `c` (a row of
    sim_swap_candidates), in USD: every token type at its own price (a model with no cache price bills
    cached tokens as input), plus its per-request price. -#}
{% macro repriced_cost(c='candidate', input_scale=none, output_scale=none, reasoning_scale=none, request_scale=none) -%}
    {%- set i = ' * ' ~ input_scale if input_scale else '' -%}
    {%- set o = ' * ' ~ output_scale if output_scale else '' -%}
    {%- set r = ' * ' ~ reasoning_scale if reasoning_scale else '' -%}
    {%- set n = ' * ' ~ request_scale if request_scale else '' -%}
    cast(((
        mix.uncached_input_tokens{{ i }} * {{ tier_price(c ~ '.input_usd_per_mtok', c ~ '.input_mtok_tiers') }}
        + mix.cache_read_input_tokens{{ i }} * {{ tier_price('coalesce(' ~ c ~ '.cache_read_usd_per_mtok, ' ~ c ~ '.input_usd_per_mtok)', c ~ '.cache_read_mtok_tiers') }}
        + mix.cache_write_5m_input_tokens{{ i }} * {{ tier_price('coalesce(' ~ c ~ '.cache_write_5m_usd_per_mtok, ' ~ c ~ '.input_usd_per_mtok)', c ~ '.cache_write_mtok_tiers') }}
        + mix.cache_write_1h_input_tokens{{ i }} * {{ tier_price('coalesce(' ~ c ~ '.cache_write_1h_usd_per_mtok, ' ~ c ~ '.cache_write_5m_usd_per_mtok, ' ~ c ~ '.input_usd_per_mtok)', c ~ '.cache_write_1h_mtok_tiers') }}
        + mix.non_reasoning_output_tokens{{ o }} * {{ tier_price(c ~ '.output_usd_per_mtok', c ~ '.output_mtok_tiers') }}
        + mix.reasoning_tokens{{ r }} * {{ tier_price(c ~ '.output_usd_per_mtok', c ~ '.output_mtok_tiers') }}
    ) * 0.000001 + mix.requests * coalesce({{ c }}.usd_per_thousand_requests, 0) * 0.001){{ n }} as {{ money_type() }})
{%- endmacro %}

{#- Profitability of a margin on a revenue: unprofitable below -var('break_even_band_pct') % (or with no
    positive revenue), profitable above +that, else break-even. -#}
{% macro profitability(margin, revenue) -%}
    case
        when coalesce({{ revenue }}, 0) <= 0 then 'unprofitable'
        when {{ margin }} * 100 > {{ revenue }} * {{ var('break_even_band_pct') }} then 'profitable'
        when {{ margin }} * 100 < -{{ revenue }} * {{ var('break_even_band_pct') }} then 'unprofitable'
        else 'break_even'
    end
{%- endmacro %}

{#- An amount over the simulation period scaled to `days` (30: a month, 91: a quarter), exact to 1e-10. -#}
{% macro per_days(amount, period_days, days) -%}
    {{ money_per(amount ~ ' * ' ~ days, period_days) }}
{%- endmacro %}

{#- The shock of `scenario` (shock_scenario) hits this provider and any of these model names. -#}
{% macro is_shocked(provider, model_names) -%}
    ({{ provider }} = scenario.shock_provider
     and (scenario.shock_model is null or scenario.shock_model in ({{ model_names | join(', ') }})))
{%- endmacro %}

{#- The price-shock drill's window and scenario: vars shock_provider (default: the provider carrying most
    of the period's estimated cost), shock_model (default: all its models), shock_factor (default 2) and
    shock_from (default: the period's first day), to the period's last day. -#}
{% macro shock_scenario() -%}
    select
        greatest(coalesce(cast(nullif('{{ var("shock_from", "") }}', '') as date), period.from_date), period.from_date)
            as from_date,
        period.to_date,
        cast({{ dbt.datediff(
            "greatest(coalesce(cast(nullif('" ~ var('shock_from', '') ~ "', '') as date), period.from_date), period.from_date)",
            'period.to_date', 'day') }} + 1 as integer) as days,
        coalesce(nullif(lower('{{ var("shock_provider", "") }}'), ''), costliest.provider) as shock_provider,
        nullif('{{ var("shock_model", "") }}', '') as shock_model,
        cast('{{ var("shock_factor", 2) }}' as decimal(18, 6)) as factor
    from ({{ simulation_period() }}) as period
    -- the provider carrying most of the period's estimated cost
    cross join (
        select max_by(by_provider.provider, by_provider.cost) as provider
        from (
            select mix.provider, sum(mix.estimated_cost_usd) as cost
            from {{ ref('int_usage_token_mix_daily') }} as mix
            cross join ({{ simulation_period() }}) as period
            where mix.usage_date between period.from_date and period.to_date
            group by mix.provider
        ) as by_provider
    ) as costliest
{%- endmacro %}

{#- Revenue and gross margin from the waterfall over `window` (a relation with from_date and to_date),
    per `group_by` (columns of fct_margin_waterfall), USD. -#}
{% macro waterfall_totals(group_by, window, where='true') -%}
    select
        {% for column in group_by %}waterfall.{{ column }}, {% endfor %}
        sum(waterfall.revenue_usd) as revenue_usd,
        sum(waterfall.gross_margin_usd) as margin_usd
    from {{ ref('fct_margin_waterfall') }} as waterfall, {{ window }}
    where waterfall.margin_date between {{ window }}.from_date and {{ window }}.to_date and {{ where }}
    group by {% for column in group_by %}waterfall.{{ column }}{{ ", " if not loop.last }}{% endfor %}
{%- endmacro %}

{#- Each feature's margin floor, as the floor tests and zones judge it (int_feature_margin_rolling). -#}
{% macro feature_floors() -%}
    select feature, max_by(margin_floor_pct, margin_date) as margin_floor_pct
    from {{ ref('int_feature_margin_rolling') }}
    group by feature
{%- endmacro %}

{#- Money arithmetic in one place. Amounts are DECIMAL(38,10) in the reporting currency; never
    floats. DuckDB's "/" on decimals returns a double, so divisions go through exact integer math. -#}

{#- Integers wider than 64 bits: DuckDB's hugeint; Spark has none, so decimal(38, 0). -#}
{%- macro big_int_type() -%}{{ return(adapter.dispatch('big_int_type')()) }}{%- endmacro -%}
{%- macro default__big_int_type() -%}hugeint{%- endmacro -%}
{%- macro spark__big_int_type() -%}decimal(38, 0){%- endmacro -%}

{#- a / b for integers, truncated towards zero (DuckDB's `//`). Spark has no exact integer division of
    decimals (`div` returns a 64-bit long), so a - a % b, an exact multiple of b, is divided: exact while
    the quotient stays below 1e20, that is amounts below 10 billion in 1e-10 units. Past that Spark's
    decimal division overflows to null, which the not_null tests on money columns report. -#}
{%- macro int_div(a, b) -%}{{ return(adapter.dispatch('int_div')(a, b)) }}{%- endmacro -%}
{%- macro default__int_div(a, b) -%}({{ a }}) // ({{ b }}){%- endmacro -%}
{%- macro spark__int_div(a, b) -%}
    cast((({{ a }}) - ({{ a }}) % ({{ b }})) / ({{ b }}) as decimal(38, 0))
{%- endmacro -%}

{#- sign(x) as an integer: Spark's sign() returns a double, which would turn the money it multiplies into
    a double. -#}
{%- macro sign_of(x) -%}{{ return(adapter.dispatch('sign_of')(x)) }}{%- endmacro -%}
{%- macro default__sign_of(x) -%}sign({{ x }}){%- endmacro -%}
{%- macro spark__sign_of(x) -%}cast(sign({{ x }}) as int){%- endmacro -%}

{%- macro money_type() -%}decimal(38, 10){%- endmacro -%}

{#- One call's cost: the same scale in 8 bytes instead of 16 (up to 99,999,999 USD a call), for the
    event-grain table's millions of rows. Sums of it are money_type(). -#}
{%- macro event_money_type() -%}decimal(18, 10){%- endmacro -%}

{#- tokens x USD per million tokens, exact, rounded half away from zero to the money scale (1e-10 USD):
    the same value as cast(tokens * price(38, 12) * 0.000001 as decimal(38, 10)), computed without
    DuckDB's per-value 128-bit decimal rescale and division, which made pricing five times slower.
    price_parts(price, prefix), once per price row, splits the price in units of 1e-18 USD per token
    into hi (whole 1e-10 USD: multiples of 1e8) and lo (the rest, < 1e8). tokens x hi is exact in
    128-bit integers; tokens x lo / 1e8 is split again on the tokens (t = th x 1e8 + tl) so that every
    product and the one rounding division stay in 64-bit integers. -#}
{%- macro price_parts(price_per_mtok, prefix) -%}
    cast(cast(abs({{ price_per_mtok }}) as decimal(38, 12)) * 1000000000000 as {{ big_int_type() }}) as {{ prefix }}_units,
    {{ int_div(prefix ~ '_units', '100000000') }} as {{ prefix }}_hi,
    cast({{ prefix }}_units % 100000000 as bigint) as {{ prefix }}_lo,
    {{ sign_of(price_per_mtok) }} as {{ prefix }}_sign
{%- endmacro -%}

{%- macro token_cost(tokens, price_prefix) -%}
    cast({{ sign_of(tokens) }} * {{ price_prefix }}_sign * (
        cast(abs({{ tokens }}) as {{ big_int_type() }}) * {{ price_prefix }}_hi
        + {{ int_div('abs(' ~ tokens ~ ')', '100000000') }} * {{ price_prefix }}_lo
        + {{ int_div('abs(' ~ tokens ~ ') % 100000000 * ' ~ price_prefix ~ '_lo + 50000000', '100000000') }}
    ) as decimal(38, 0)) * 0.0000000001
{%- endmacro -%}

{#- Value of one minor unit of `currency` (vars zero_decimal_currencies / three_decimal_currencies). -#}
{%- macro minor_unit(currency) -%}
    case
        when upper({{ currency }}) in ('{{ var("zero_decimal_currencies") | join("', '") }}') then cast(1 as decimal(4, 3))
        when upper({{ currency }}) in ('{{ var("three_decimal_currencies") | join("', '") }}') then cast(0.001 as decimal(4, 3))
        else cast(0.01 as decimal(4, 3))
    end
{%- endmacro -%}

{#- How many minor units make one unit of `currency` (100 for USD, 1 for JPY, 1000 for KWD). -#}
{%- macro minor_units_per_unit(currency) -%}
    cast(1 / {{ minor_unit(currency) }} as integer)
{%- endmacro -%}

{#- Integer minor units of `currency` to reporting-currency money at `rate`. -#}
{%- macro minor_to_money(amount_minor, rate, currency) -%}
    cast(cast({{ amount_minor }} as decimal(38, 0)) * {{ minor_unit(currency) }} * cast({{ rate }} as decimal(38, 12)) as {{ money_type() }})
{%- endmacro -%}

{#- Margin % = margin / revenue x 100; display-only, so a double is fine. Null where revenue is zero or
    negative (refunds or credits above what was recognised): a ratio there would mislead, e.g. -50 of
    revenue and -80 of margin would read +160%. Zones treat a null margin with a cost as red. -#}
{%- macro margin_pct(margin, revenue) -%}
    case when {{ revenue }} > 0 then round(cast({{ margin }} as double) / cast({{ revenue }} as double) * 100, 4) end
{%- endmacro -%}

{#- A select over `relation` adding `output` = `amount` (money, the same on every row of a partition)
    split across the rows of `partition_by` in proportion to `weight`, so that the parts add up to the
    amount exactly, to the last 1e-10 (largest-remainder method on integer units; DuckDB's decimal "/"
    would go through a double). Rows whose partition has no positive weight get null. -#}
{%- macro allocate_exactly(relation, amount, weight, partition_by, order_by, output) -%}
    select
        {{ star_except(["_sign", "_units", "_weight", "_total_weight", "_floor", "_remainder"]) }},
        _sign * cast(
            _floor + case when row_number() over (
                    partition by {{ partition_by }} order by _remainder desc, {{ order_by }}
                ) <= _units - sum(_floor) over (partition by {{ partition_by }}) then 1 else 0 end
            as decimal(38, 0)
        ) * 0.0000000001 as {{ output }}
    from (
        select
            *,
            {{ int_div('_units * _weight', 'nullif(_total_weight, 0)') }} as _floor,
            (_units * _weight) % nullif(_total_weight, 0) as _remainder
        from (
            select
                *,
                sum(_weight) over (partition by {{ partition_by }}) as _total_weight
            from (
                select
                    *,
                    -- whole units of 1e-10, allocated as a magnitude so integer division floors
                    {{ sign_of(amount) }} as _sign,
                    abs(cast({{ amount }} * 10000000000 as {{ big_int_type() }})) as _units,
                    cast(({{ weight }}) * 1000000000000 as {{ big_int_type() }}) as _weight
                from {{ relation }}
            )
        )
    )
{%- endmacro -%}

{#- money / count, exact to 1e-10 (truncated): an average amount without passing through a double. -#}
{%- macro money_per(amount, count) -%}
    case when {{ count }} > 0 then
        cast({{ int_div('cast(' ~ amount ~ ' * 10000000000 as ' ~ big_int_type() ~ ')', count) }} as decimal(38, 0)) * 0.0000000001
    end
{%- endmacro -%}

{#- The price of a call under context-size tiers: the highest tier whose start its input tokens pass
    (genai-prices' rule), times the service-tier multiplier; else the (already multiplied) base price. -#}
{%- macro context_tier_price(base_price, tiers, multiplier) -%}
    case
        when {{ tiers }} is null then {{ base_price }}
        else coalesce(
            {{ array_item(array_where(tiers, 't', 'input_tokens > t.start'), 1) }}.price * {{ multiplier }},
            {{ base_price }}
        )
    end
{%- endmacro -%}

{#- The waterfall layer of a call's cost: embedding, retrieval, rerank and tool calls are orchestration;
    every other call is inference. -#}
{%- macro cost_layer(operation='operation') -%}
    case when {{ operation }} in ('embeddings', 'retrieval', 'rerank', 'tool') then 'orchestration' else 'inference' end
{%- endmacro -%}

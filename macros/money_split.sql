{#- Part `part_index` (0-based) of `amount` (money) split evenly into `parts` parts, exactly: whole units
    of 1e-10 of the amount, the remainder one unit each to the first parts, so the parts add up to the
    amount to the last decimal (-25.00 over 30 days: 10 days of -0.8333333334, 20 of -0.8333333333).
    Split as a magnitude so integer division floors towards zero whatever the sign (macros/money.sql
    style: integer math, never a double). -#}
{%- macro split_evenly(amount, parts, part_index) -%}
    {{ sign_of(amount) }} * cast(
        {{ int_div('abs(cast(' ~ amount ~ ' * 10000000000 as ' ~ big_int_type() ~ '))', parts) }}
        + case when ({{ part_index }}) < abs(cast({{ amount }} * 10000000000 as {{ big_int_type() }})) % ({{ parts }}) then 1 else 0 end
        as decimal(38, 0)
    ) * 0.0000000001
{%- endmacro -%}

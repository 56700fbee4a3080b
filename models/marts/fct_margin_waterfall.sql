-- The margin waterfall, day x customer x feature: recognised revenue, then each cost layer (inference;
-- orchestration from embedding/retrieval/rerank/tool calls and from pools such as the vector DB;
-- infrastructure; support; other overhead), down to gross margin. Usage costs are effective costs: the
-- estimate at the prices in force plus its share of the provider's reconciliation residual, so they
-- add up to what providers billed; overhead pools come from int_overhead_allocated_daily.
-- Usage-based revenue stays on the feature that earned it. A customer-day's subscription revenue is
-- split over the features it used that day by var `revenue_allocation_method`: `usage` (share of the
-- day's requests) or `value_weights` (the feature_value_weights seed), exactly: the parts add up to the
-- day's revenue. Not by cost: revenue that follows cost would give every feature its customer's margin
-- and hide a feature whose cost per request jumps.
-- Revenue on days without usage stays on the customer under feature `unallocated`.
-- The mart covers the days usage was loaded for (vars margin_from_date / margin_to_date override);
-- revenue recognised outside them stays in int_revenue_recognized_daily.

{%- set allocated_columns = [
    'margin_date', 'customer_id', 'feature', 'requests', 'unpriced_requests', 'input_tokens', 'output_tokens',
    'estimated_inference_cost_usd', 'reported_usage_cost_usd', 'reconciliation_residual_usd', 'inference_cost_usd',
    'orchestration_usage_cost_usd'
] %}

with reporting_window as (

    {{ margin_reporting_window(ref('int_inference_cost_reconciled')) }}

),

inference as (

    select inference.*
    from {{ ref('int_inference_cost_reconciled') }} as inference, reporting_window
    where inference.is_production
        and inference.usage_date between reporting_window.from_date and reporting_window.to_date

),

revenue_in_window as (

    select recognized.*
    from {{ ref('int_revenue_recognized_daily') }} as recognized, reporting_window
    where recognized.revenue_date between reporting_window.from_date and reporting_window.to_date

),

-- subscription revenue: earned by the customer as a whole, allocated to features below
revenue as (

    select revenue_date, customer_id, sum(revenue_usd) as revenue_usd
    from revenue_in_window
    where feature is null
    group by revenue_date, customer_id

),

-- usage-based revenue billed for one feature goes where it was earned
feature_revenue as (

    select
        revenue_date as margin_date,
        customer_id,
        feature,
        sum(revenue_usd) as revenue_usd
    from revenue_in_window
    where feature is not null
    group by all

),

usage_daily as (

    select
        inference.usage_date as margin_date,
        inference.customer_id,
        inference.feature,
        sum(inference.requests) as requests,
        sum(inference.unpriced_requests) as unpriced_requests,
        sum(inference.input_tokens) as input_tokens,
        sum(inference.output_tokens) as output_tokens,
        sum(inference.estimated_cost_usd) as estimated_inference_cost_usd,
        sum(inference.reported_cost_usd) as reported_usage_cost_usd,
        sum(inference.reconciliation_residual_usd) as reconciliation_residual_usd,
        sum(inference.effective_cost_usd) filter (where inference.cost_layer = 'inference') as inference_cost_usd,
        sum(inference.effective_cost_usd) filter (where inference.cost_layer = 'orchestration')
            as orchestration_usage_cost_usd
    from inference
    group by all

),

overhead as (

    select
        overhead.cost_date as margin_date,
        overhead.customer_id,
        overhead.feature,
        sum(overhead.overhead_cost_usd) filter (where overhead.cost_layer = 'orchestration')
            as orchestration_overhead_cost_usd,
        sum(overhead.overhead_cost_usd) filter (where overhead.cost_layer = 'infrastructure')
            as infrastructure_cost_usd,
        sum(overhead.overhead_cost_usd) filter (where overhead.cost_layer = 'support') as support_cost_usd,
        sum(overhead.overhead_cost_usd) filter (where overhead.cost_layer = 'other') as other_overhead_cost_usd
    from {{ ref('int_overhead_allocated_daily') }} as overhead, reporting_window
    where overhead.cost_date between reporting_window.from_date and reporting_window.to_date
    group by all

),

with_revenue as (

    select
        usage_daily.*,
        revenue.revenue_usd as customer_day_revenue_usd,
        coalesce(value_weights.value_weight, 1) as value_weight
    from usage_daily
    left join revenue
        on usage_daily.margin_date = revenue.revenue_date
        and usage_daily.customer_id = revenue.customer_id
    left join {{ ref('feature_value_weights') }} as value_weights
        on usage_daily.feature = value_weights.feature

),

allocated as (

    {{ allocate_exactly(
        relation='with_revenue',
        amount='customer_day_revenue_usd',
        weight=("value_weight" if var('revenue_allocation_method') == 'value_weights' else "requests"),
        partition_by='margin_date, customer_id',
        order_by='feature',
        output='allocated_revenue_usd'
    ) }}

),

revenue_without_usage as (

    select
        revenue.revenue_date as margin_date,
        revenue.customer_id,
        'unallocated' as feature,
        revenue.revenue_usd
    from revenue
    anti join usage_daily
        on revenue.revenue_date = usage_daily.margin_date
        and revenue.customer_id = usage_daily.customer_id

),

allocated_parts as (

    select
        {{ allocated_columns | join(', ') }},
        coalesce(allocated_revenue_usd, 0) as revenue_usd
    from allocated

),

combined as (

    select
        margin_date,
        customer_id,
        feature,
        sum(requests) as requests,
        sum(unpriced_requests) as unpriced_requests,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(estimated_inference_cost_usd) as estimated_inference_cost_usd,
        sum(reported_usage_cost_usd) as reported_usage_cost_usd,
        sum(reconciliation_residual_usd) as reconciliation_residual_usd,
        coalesce(sum(inference_cost_usd), 0) as inference_cost_usd,
        coalesce(sum(orchestration_usage_cost_usd), 0) as orchestration_usage_cost_usd,
        coalesce(sum(orchestration_overhead_cost_usd), 0) as orchestration_overhead_cost_usd,
        coalesce(sum(infrastructure_cost_usd), 0) as infrastructure_cost_usd,
        coalesce(sum(support_cost_usd), 0) as support_cost_usd,
        coalesce(sum(other_overhead_cost_usd), 0) as other_overhead_cost_usd,
        coalesce(sum(revenue_usd), 0) as revenue_usd
    from (
        {{ union_all_by_name([
            ('allocated_parts', allocated_columns + ['revenue_usd']),
            ('revenue_without_usage', ['margin_date', 'customer_id', 'feature', 'revenue_usd']),
            ('feature_revenue', ['margin_date', 'customer_id', 'feature', 'revenue_usd']),
            ('overhead', ['margin_date', 'customer_id', 'feature', 'orchestration_overhead_cost_usd',
                          'infrastructure_cost_usd', 'support_cost_usd', 'other_overhead_cost_usd']),
        ]) }}
    ) as parts
    -- parts without a column (revenue-only or overhead-only rows) contribute nulls, summed as zero
    group by margin_date, customer_id, feature

),

with_totals as (

    select
        *,
        inference_cost_usd + orchestration_usage_cost_usd + orchestration_overhead_cost_usd
            + infrastructure_cost_usd + support_cost_usd + other_overhead_cost_usd as total_cost_usd
    from combined

),

final as (

    select
        cast(margin_date as date) as margin_date,
        cast(customer_id as string) as customer_id,
        cast(feature as string) as feature,
        cast(coalesce(requests, 0) as bigint) as requests,
        cast(coalesce(unpriced_requests, 0) as bigint) as unpriced_requests,
        cast(coalesce(input_tokens, 0) as bigint) as input_tokens,
        cast(coalesce(output_tokens, 0) as bigint) as output_tokens,
        cast(coalesce(revenue_usd, 0) as {{ money_type() }}) as revenue_usd,
        cast(coalesce(estimated_inference_cost_usd, 0) as {{ money_type() }}) as estimated_usage_cost_usd,
        cast(coalesce(reported_usage_cost_usd, 0) as {{ money_type() }}) as reported_usage_cost_usd,
        cast(coalesce(reconciliation_residual_usd, 0) as {{ money_type() }}) as reconciliation_residual_usd,
        cast(inference_cost_usd as {{ money_type() }}) as inference_cost_usd,
        cast(orchestration_usage_cost_usd as {{ money_type() }}) as orchestration_usage_cost_usd,
        cast(orchestration_overhead_cost_usd as {{ money_type() }}) as orchestration_overhead_cost_usd,
        cast(infrastructure_cost_usd as {{ money_type() }}) as infrastructure_cost_usd,
        cast(support_cost_usd as {{ money_type() }}) as support_cost_usd,
        cast(other_overhead_cost_usd as {{ money_type() }}) as other_overhead_cost_usd,
        cast(total_cost_usd as {{ money_type() }}) as total_cost_usd,
        cast(revenue_usd - total_cost_usd as {{ money_type() }}) as gross_margin_usd,
        {{ margin_pct('revenue_usd - total_cost_usd', 'revenue_usd') }} as gross_margin_pct
    from with_totals

)

select * from final

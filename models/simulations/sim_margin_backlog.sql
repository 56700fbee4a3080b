-- The margin-improvement backlog: the cheaper comparable model for each feature (sim_model_swap), the
-- features below their floor and the unprofitable customers over the simulation period, each with
-- the dollars a quarter at stake, ranked.
with period as (

    {{ simulation_period() }}

),

best_swaps as (

    select
        'model_swap' as kind,
        feature,
        cast(null as string) as customer_id,
        'move ' || feature || ' from ' || current_model || ' to ' || candidate_model
            || {{ format_text("' (%s tier, MMLU %.1f vs %.1f)'", ['tier', 'score', 'current_score']) }} as action,
        savings_per_quarter_usd as usd_per_quarter
    from {{ ref('sim_model_swap') }}
    where is_comparable and not is_current_model and savings_usd > 0
    qualify row_number() over (partition by feature order by savings_usd desc, candidate_model asc) = 1

),

features as (

    {{ waterfall_totals(['feature'], 'period') }}

),

floors as (

    {{ feature_floors() }}

),

features_below_floor as (

    select
        'feature_below_floor' as kind,
        features.feature,
        cast(null as string) as customer_id,
        {{ format_text("'bring %s to its %.1f%% floor'", ['features.feature', 'floors.margin_floor_pct']) }} as action,
        -- the margin missing to the floor: floor x revenue - margin, per quarter
        {{ per_days('(floors.margin_floor_pct * features.revenue_usd * 0.01 - features.margin_usd)',
                    'period.days', 91) }} as usd_per_quarter
    from features
    cross join period
    inner join floors using (feature)
    where features.margin_usd * 100 < floors.margin_floor_pct * features.revenue_usd

),

customers as (

    -- usage and costs no customer carries: not a customer to reprice
    {{ waterfall_totals(['customer_id'], 'period',
                        "waterfall.customer_id <> '" ~ var('unattributed_customer_id') ~ "'") }}

),

unprofitable_customers as (

    select
        'customer_unprofitable' as kind,
        cast(null as string) as feature,
        customer_id,
        'stop losing money on ' || customer_id || ' (reprice, limit or re-route its usage)' as action,
        {{ per_days('(-margin_usd)', 'period.days', 91) }} as usd_per_quarter
    from customers
    cross join period
    where margin_usd < 0

)

select
    row_number() over (order by usd_per_quarter desc, kind asc, feature asc, customer_id asc) as priority,
    kind,
    feature,
    customer_id,
    action,
    usd_per_quarter
from (
    select * from best_swaps
    union all
    select * from features_below_floor
    union all
    select * from unprofitable_customers
) as actions

-- A feature's 3-day margin in the red zone (critical) or its 7-day margin in the yellow zone (warning),
-- judged against its floor (int_feature_margin_rolling), unless it has a floor exception.
with feature_days as (

    {{ alert_feature_days() }}

),

feature_zones as (

    select
        margin_date as alert_date, 'feature_margin_red_3d' as alert_type, 'critical' as severity,
        'feature' as entity_type, feature as entity_id, '3-day gross margin %' as metric,
        margin_pct_3d as metric_value, margin_floor_pct as threshold, margin_pct_7d as baseline_value,
        zone_3d = 'red' and not has_floor_exception as is_on
    from feature_days where zone_3d is not null
    union all
    select
        margin_date, 'feature_margin_yellow_7d', 'warning', 'feature', feature, '7-day gross margin %',
        margin_pct_7d, yellow_ceiling_pct, prev_margin_pct_7d,
        zone_7d = 'yellow' and not has_floor_exception
    from feature_days where zone_7d is not null

)

{{ alert_rows('feature_zones') }}

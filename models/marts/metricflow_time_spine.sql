-- One row per day: the time spine MetricFlow needs for the semantic layer's metrics.
select {{ date_rows("date '2020-01-01'", "date '2030-12-31'") }} as date_day

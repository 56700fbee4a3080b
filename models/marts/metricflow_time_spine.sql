-- One row per day: the time spine MetricFlow needs for the semantic layer's metrics.
{{ date_days("date '2020-01-01'", "date '2031-01-01'") }}

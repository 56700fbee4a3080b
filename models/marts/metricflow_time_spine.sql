-- One row per day: the time spine MetricFlow needs for the semantic layer's metrics.
select cast(range as date) as date_day
from range(date '2020-01-01', date '2031-01-01', interval 1 day)

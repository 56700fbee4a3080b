"""dlt sources: one per origin. Each takes its location from dlt config or explicit arguments."""

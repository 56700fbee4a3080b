"""ai-margin: margin warehouse for AI-powered SaaS (dlt + dbt on DuckDB)."""

__version__ = "0.1.0"

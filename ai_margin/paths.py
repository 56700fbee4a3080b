"""Where things live: the dbt project, the warehouse file, dlt's working folder."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = "warehouse/ai_margin.duckdb"


def warehouse_path(value: str | None) -> Path:
    """--warehouse, else AI_MARGIN_WAREHOUSE, else warehouse/ai_margin.duckdb (relative to the cwd)."""
    return Path(value or os.environ.get("AI_MARGIN_WAREHOUSE") or DEFAULT_WAREHOUSE).resolve()


def dlt_dir(warehouse: Path) -> Path:
    """dlt's local working folder, kept beside the warehouse it loads (state itself lives in the warehouse)."""
    return warehouse.parent / ".dlt" / warehouse.stem


def dbt_target_dir(warehouse: Path) -> Path:
    return warehouse.parent / ".dbt" / warehouse.stem


# Where `make demo` generates its data (Makefile DEMO_DIR), relative to the project and to the cwd.
DEMO_DATA_DIR = "data/demo"

"""Secrets (API keys, tokens, passwords from the environment) kept out of messages and files."""

from __future__ import annotations

import os
from pathlib import Path

SECRET_NAME_PARTS = ("KEY", "SECRET", "TOKEN", "PASSWORD")


def secrets_in_environment() -> dict[str, str]:
    """Name -> value of every secret-looking environment variable."""
    return {name: value for name, value in os.environ.items()
            if len(value) >= 8 and any(part in name.upper() for part in SECRET_NAME_PARTS)}


def redact_secrets(text: str) -> str:
    """`text` with the value of every secret-looking environment variable (an API key echoed back in a
    provider's error body, say) replaced by its name."""
    for name, value in secrets_in_environment().items():
        if value in text:
            text = text.replace(value, f"<{name}>")
    return text


def forget_trace_holding_secrets(working_dir: str) -> None:
    """dlt pickles each run's trace, exceptions and all, beside the pipeline's state: an API error that
    echoed a key would leave the key on disk. Such a trace is deleted; the error itself reaches the user
    redacted."""
    trace = Path(working_dir) / "trace.pickle"
    if trace.is_file():
        data = trace.read_bytes()
        if any(value.encode() in data for value in secrets_in_environment().values()):
            trace.unlink()

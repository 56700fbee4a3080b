"""Provider billing in API mode: OpenAI Costs API and Anthropic cost report over HTTP from a local
server, with paging, retries, incremental re-reads by charge period, and keys never stored."""

from __future__ import annotations

import duckdb
import pytest

from ai_margin.load import load_all
from provider_server import ProviderServer

OPENAI_KEY = "test-openai-admin-key-0123456789abcdef"  # fake; must never be stored
ANTHROPIC_KEY = "test-anthropic-admin-key-0123456789abcdef"  # fake


def totals(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return (con.execute("select count(*), sum(amount_value) from raw_provider_costs.openai_costs").fetchone(),
                con.execute("select count(*), sum(cast(amount as decimal(38, 6))) "
                            "from raw_provider_costs.anthropic_cost_report").fetchone())
    finally:
        con.close()


@pytest.fixture
def api_env(monkeypatch, small_dataset):
    def configure(server: ProviderServer):
        monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
        monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ANTHROPIC_KEY)
        monkeypatch.setenv("OPENAI_API_BASE", server.url + "/v1")
        monkeypatch.setenv("ANTHROPIC_API_BASE", server.url)
        monkeypatch.setenv("AI_MARGIN_COSTS_START_DATE", "2026-01-01")
    return configure


def test_api_mode_loads_what_file_mode_loads(tmp_path, small_dataset, api_env):
    file_wh = tmp_path / "files" / "w.duckdb"
    load_all(small_dataset, file_wh, only=["provider_costs"], say=lambda m: None)
    (tmp_path / "empty").mkdir()
    api_wh = tmp_path / "api" / "w.duckdb"
    with ProviderServer(small_dataset / "providers") as server:
        api_env(server)
        server.fail("/v1/organization/costs", 429, 500)  # retried with backoff
        server.fail("/v1/organizations/cost_report", 503)
        load_all(tmp_path / "empty", api_wh, only=["provider_costs"], say=lambda m: None)
        assert totals(api_wh) == totals(file_wh)
        assert totals(api_wh)[0][0] > 0 and totals(api_wh)[1][0] > 0
        assert sum("page=page_0002" in r for r in server.requests) == 2  # both APIs paged
        openai_headers = [h for h, r in zip(server.headers, server.requests) if "/organization/costs" in r]
        assert all(h.get("Authorization") == f"Bearer {OPENAI_KEY}" for h in openai_headers)
        anthropic_headers = [h for h, r in zip(server.headers, server.requests) if "cost_report" in r]
        assert all(h.get("x-api-key") == ANTHROPIC_KEY and h.get("anthropic-version") for h in anthropic_headers)

        # a rerun reads only from the last bucket minus the lookback, and counts nothing twice
        server.requests.clear()
        load_all(tmp_path / "empty", api_wh, only=["provider_costs"], say=lambda m: None)
        assert totals(api_wh) == totals(file_wh)
        first = [r for r in server.requests if "/organization/costs" in r][0]
        start_time = int(first.split("start_time=")[1].split("&")[0])
        assert start_time > 1_782_000_000  # not 2026-01-01 again

    con = duckdb.connect(str(api_wh))
    con.execute("checkpoint")
    con.close()
    for path in (tmp_path / "api").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert OPENAI_KEY.encode() not in data and ANTHROPIC_KEY.encode() not in data, path


def test_api_errors_fail_with_a_readable_reason(tmp_path, small_dataset, api_env):
    (tmp_path / "empty").mkdir()
    with ProviderServer(small_dataset / "providers") as server:
        api_env(server)
        server.fail("/v1/organization/costs", 401)
        with pytest.raises(Exception) as err:
            load_all(tmp_path / "empty", tmp_path / "w.duckdb", only=["provider_costs"], say=lambda m: None)
        assert "HTTP 401" in str(err.value) and "Incorrect API key provided: <redacted>" in str(err.value)
    assert OPENAI_KEY not in str(err.value)
    for path in tmp_path.rglob("*"):  # dlt's trace, state and packages included
        if path.is_file():
            assert OPENAI_KEY.encode() not in path.read_bytes(), path


def test_usage_endpoints_in_api_mode(tmp_path, monkeypatch):
    """OpenAI Usage API (its own example responses) and an Anthropic usage report over HTTP."""
    import json
    from pathlib import Path

    from test_provider_costs import ANTHROPIC_USAGE_PAGE

    examples = Path(__file__).parent / "fixtures" / "openai"
    openai_usage = {kind: json.loads((examples / f"organization_usage_{kind}.response.json").read_text())["data"]
                    for kind in ("completions", "embeddings")}
    (tmp_path / "empty").mkdir()
    with ProviderServer(None, openai_usage=openai_usage, anthropic_usage=ANTHROPIC_USAGE_PAGE["data"]) as server:
        monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
        monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ANTHROPIC_KEY)
        monkeypatch.setenv("OPENAI_API_BASE", server.url + "/v1")
        monkeypatch.setenv("ANTHROPIC_API_BASE", server.url)
        monkeypatch.setenv("AI_MARGIN_COSTS_START_DATE", "2024-01-01")
        server.fail("/v1/organization/usage/completions", 429)
        warehouse = tmp_path / "w.duckdb"
        load_all(tmp_path / "empty", warehouse, only=["provider_costs"], say=lambda m: None)
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = {r[0]: r[1:] for r in con.execute("""select result_type, input_tokens, num_model_requests
                                                 from raw_provider_costs.openai_usage""").fetchall()}
    assert rows == {"completions": (1000, 5), "embeddings": (16, 2)}
    assert con.execute("""select uncached_input_tokens, cache_read_input_tokens, cache_creation_5m_input_tokens,
                                 cache_creation_1h_input_tokens, output_tokens
                          from raw_provider_costs.anthropic_usage_report""").fetchall() == [(1200, 3000, 400, 100, 800)]
    con.close()

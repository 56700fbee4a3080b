"""Stripe API mode: the real `stripe` SDK against a local server speaking Stripe's shapes."""

from __future__ import annotations

import duckdb
import pytest

from ai_margin.load import load_all
from stripe_server import StripeServer, build_store

API_KEY = "rk_test_restrictedReadOnlyKey0123456789"  # a fake restricted key; must never be stored


@pytest.fixture
def stripe_env(monkeypatch):
    def configure(server: StripeServer):
        monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
        monkeypatch.setenv("STRIPE_API_BASE", server.url)
    return configure


def load_stripe(tmp_path):
    return load_all(tmp_path / "no-files", tmp_path / "wh" / "w.duckdb", only=["stripe"], say=lambda m: None)


def counts(tmp_path) -> dict[str, int]:
    con = duckdb.connect(str(tmp_path / "wh" / "w.duckdb"), read_only=True)
    try:
        tables = [r[0] for r in con.execute("""select table_name from duckdb_tables()
                                               where schema_name = 'raw_stripe' and not starts_with(table_name, '_dlt')""").fetchall()]
        return {t: con.execute(f"select count(*) from raw_stripe.{t}").fetchone()[0] for t in tables}
    finally:
        con.close()


def test_pages_lists_and_invoice_lines(tmp_path, stripe_env):
    (tmp_path / "no-files").mkdir()
    with StripeServer(build_store(customers=250)) as server:
        stripe_env(server)
        load_stripe(tmp_path)
        got = counts(tmp_path)
        assert got["customers"] == 250 and got["invoices"] == 250
        # two invoices have 15 lines: 10 embedded, the rest fetched from /v1/invoices/{id}/lines
        assert got["invoice_line_items"] == 248 + 2 * 15
        assert got["credit_notes"] == 1 and got["credit_note_line_items"] == 2
        assert got["refunds"] == 1 and got["balance_transactions"] == 1
        assert sum("/v1/customers" in r and "starting_after" in r for r in server.requests) == 2  # 3 pages
        assert any(r.startswith("/v1/invoices/in_t0000_0/lines") for r in server.requests)
        assert server.auth_headers == {f"Bearer {API_KEY}"}


def test_rate_limit_and_server_error_are_retried(tmp_path, stripe_env):
    (tmp_path / "no-files").mkdir()
    with StripeServer(build_store(customers=30)) as server:
        server.fail("/v1/customers", 429)
        server.fail("/v1/invoices", 500)
        stripe_env(server)
        load_stripe(tmp_path)
        assert counts(tmp_path)["customers"] == 30 and counts(tmp_path)["invoices"] == 30
        assert sum(r.startswith("/v1/customers") for r in server.requests) == 2  # 429, then success
        assert sum(r.startswith("/v1/invoices?") for r in server.requests) == 2  # 500, then success


def test_failed_run_loads_nothing_and_rerun_is_clean(tmp_path, stripe_env):
    (tmp_path / "no-files").mkdir()
    with StripeServer(build_store(customers=250)) as server:
        stripe_env(server)
        server.fail("starting_after=cus_t0150", 400)  # the customers list breaks on its second page
        with pytest.raises(Exception) as err:
            load_stripe(tmp_path)
        assert API_KEY not in str(err.value)
        if (tmp_path / "wh" / "w.duckdb").exists():
            assert counts(tmp_path) == {}  # nothing partial: no customers page, no invoices
        load_stripe(tmp_path)
        got = counts(tmp_path)
        assert got["customers"] == 250 and got["invoices"] == 250 and got["invoice_line_items"] == 278


def test_changed_objects_replace_stored_copies(tmp_path, stripe_env):
    (tmp_path / "no-files").mkdir()
    store = build_store(customers=20)
    with StripeServer(store) as server:
        stripe_env(server)
        store.objects["invoices"][-1]["status"] = "open"
        load_stripe(tmp_path)
        store.objects["invoices"][-1]["status"] = "paid"  # paid after the first run read it
        load_stripe(tmp_path)
        # the second run re-read the window before the newest created and passed the cursor
        assert any("created" in r for r in server.requests if r.startswith("/v1/invoices?"))
        con = duckdb.connect(str(tmp_path / "wh" / "w.duckdb"), read_only=True)
        last_id = store.objects["invoices"][-1]["id"]
        assert con.execute("select status from raw_stripe.invoices where id = ?", [last_id]).fetchone()[0] == "paid"
        assert con.execute("select count(*), count(distinct id) from raw_stripe.invoices").fetchone() == (20, 20)
        con.close()


def test_api_key_never_stored(tmp_path, stripe_env):
    (tmp_path / "no-files").mkdir()
    with StripeServer(build_store(customers=5)) as server:
        stripe_env(server)
        load_stripe(tmp_path)
    con = duckdb.connect(str(tmp_path / "wh" / "w.duckdb"))
    con.execute("checkpoint")
    con.close()
    for path in (tmp_path / "wh").rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path


def test_a_key_echoed_in_an_error_never_reaches_a_message_or_a_file(tmp_path, stripe_env):
    from conftest import run_cli

    (tmp_path / "no-files").mkdir()
    with StripeServer(build_store(customers=5)) as server:
        stripe_env(server)
        server.fail("/v1/customers", 401)
        proc = run_cli("load", "--data-dir", str(tmp_path / "no-files"), "--warehouse", str(tmp_path / "wh" / "w.duckdb"),
                       "--only", "stripe", check=False,
                       env={"STRIPE_API_KEY": API_KEY, "STRIPE_API_BASE": server.url})
    assert proc.returncode == 1 and "Invalid API Key provided: <STRIPE_API_KEY>" in proc.stderr, proc.stderr
    assert API_KEY not in proc.stdout + proc.stderr
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.parent.name == "stripe" for path in files)  # the pipeline's own folder was written
    for path in files:
        assert API_KEY.encode() not in path.read_bytes(), path

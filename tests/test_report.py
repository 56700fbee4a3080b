"""`ai-margin report` opened in a real headless Chromium (Debian's, which `make test` installs): no console
error, nothing fetched from the network, every chart drawn with its data points, and the page's totals
equal to the marts'. Screenshots of each view are kept in test-artifacts/report/."""

import re
import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ai_margin.paths import PROJECT_DIR
from ai_margin.publish import current_snapshot
from ai_margin.report import SECTIONS
from conftest import run_cli

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_DIR / "test-artifacts" / "report"
CHARTS = {"revenue-vs-cost", "margin-over-time", "margin-by-feature", "cost-by-model", "waterfall", "customers",
          "model-cost", "model-cost-per-call", "margin-by-plan", "margin-by-cohort", "feature-floors"}
# the flags this machine's closed network needs (no background connections), and no sandbox as root
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` (part of `make test`) installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser, report: Path):
    """The page, after every chart is drawn; with the console errors and the non-file requests it made."""
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors, fetched = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda request: fetched.append(request.url)
            if not request.url.startswith(("file:", "data:", "blob:", "about:")) else None)
    page.goto(report.as_uri())
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {len(CHARTS)}")
    return page, errors, fetched


def _charts(page) -> dict[str, int]:
    """Each drawn chart's data points, counted on the plotly graph in the page."""
    return dict(page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(d => [
        d.id.replace('chart-', ''),
        d.data.reduce((n, trace) => n + (trace.y || trace.values || []).filter(v => v !== null).length, 0)])"""))


def _totals(report: Path) -> dict[str, Decimal]:
    text = report.read_text(encoding="utf-8")
    found = dict(re.findall(r'data-(revenue-usd|total-cost-usd|gross-margin-usd|requests)="([-0-9.]+)"', text))
    return {key: Decimal(value) for key, value in found.items()}


def _mart_totals(warehouse: Path, where: str = "true", params: list | None = None) -> dict[str, Decimal]:
    con = duckdb.connect(str(warehouse), read_only=True)
    row = con.execute(f"""select sum(revenue_usd), sum(total_cost_usd), sum(gross_margin_usd), sum(requests)
                          from marts.fct_margin_waterfall where {where}""", params or []).fetchone()
    con.close()
    return dict(zip(["revenue-usd", "total-cost-usd", "gross-margin-usd", "requests"], map(Decimal, row)))


def test_report_renders_every_view_offline_with_the_marts_totals(built_warehouse, browser, tmp_path):
    assert current_snapshot(built_warehouse).exists()  # `ai-margin run` published it
    report = tmp_path / "report.html"
    out = run_cli("report", "--warehouse", str(built_warehouse), "--out", str(report)).stdout
    assert f"{len(SECTIONS)}/{len(SECTIONS)} {SECTIONS[-1][1]}" in out and "opens offline" in out

    page, errors, fetched = _open(browser, report)
    assert errors == [] and fetched == []
    points = _charts(page)
    assert set(points) == CHARTS and all(n > 0 for n in points.values()), points
    assert _totals(report) == _mart_totals(built_warehouse)
    # the waterfall's last bar is the gross margin of the totals
    waterfall = page.evaluate("() => document.getElementById('chart-waterfall').data[0].y")
    assert round(waterfall[-1], 2) == round(float(_totals(report)["gross-margin-usd"]), 2)
    for heading in ("Zones today", "4-week trend per feature", "Largest margin movers"):
        assert page.get_by_text(heading).count() == 1
    assert page.locator("#table-budgets tbody tr").count() >= 1
    assert page.locator("#table-backlog tbody tr").count() >= 1 and page.locator("#table-shock tbody tr").count() >= 1
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    for anchor, _, _ in SECTIONS:
        page.locator(f"#{anchor}").screenshot(path=str(ARTIFACTS / f"{anchor}.png"))
    assert len(list(ARTIFACTS.glob("*.png"))) == len(SECTIONS)
    page.close()


def test_a_filtered_report_shows_the_filtered_totals(built_warehouse, browser, tmp_path):
    con = duckdb.connect(str(built_warehouse), read_only=True)
    last = con.execute("select max(margin_date) from marts.fct_margin_waterfall").fetchone()[0]
    con.close()
    first = last - timedelta(days=13)
    report = tmp_path / "chat.html"
    run_cli("report", "--warehouse", str(built_warehouse), "--out", str(report), "--feature", "chat_assistant",
            "--from", str(first), "--to", str(last))
    assert _totals(report) == _mart_totals(built_warehouse, "feature = ? and margin_date between ? and ?",
                                           ["chat_assistant", first, last])
    assert f"{first} to {last} (14 days, by day), feature chat_assistant" in report.read_text(encoding="utf-8")
    page, errors, _ = _open(browser, report)
    assert errors == [] and all(n > 0 for n in _charts(page).values())
    # two weeks by day: 14 points of revenue and 14 of cost
    assert _charts(page)["revenue-vs-cost"] == 28
    page.close()


def test_report_needs_a_published_snapshot(tmp_path):
    proc = run_cli("report", "--warehouse", str(tmp_path / "none.duckdb"), check=False)
    assert proc.returncode == 1 and "no published snapshot" in proc.stderr

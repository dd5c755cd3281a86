"""The Channels section in headless Chromium: a permalink restores the filters, a filter
changes from the keyboard, Back undoes it, and the CSV export holds the chart's numbers."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from dashboards.components.filters import dom_id
from dashboards.components.format import fmt_month, month_value
from dashboards.queries import add_months
from tests.dashboards.layout import assert_offline_and_clean, watch

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    os.environ.get("OBSERVATORY_TEST_TINY_WAREHOUSE") == "1",
    reason="the Channels section's marts come from the demo warehouse, not the tiny one")]

ROOT = Path(__file__).resolve().parents[2]
# What a dcc.Graph drew, read from the plotly div: one entry per trace.
TRACES = """id => {
    const plot = document.getElementById(id)?.querySelector('.js-plotly-plot');
    return plot?.data ? plot.data.map(t => ({meta: t.meta, x: Array.from(t.x || []),
                                             y: Array.from(t.y || [])})) : null;
}"""
# True when the graph's traces differ from (or, with same=true, equal) the ones given.
COMPARE = """([id, before, same]) => {
    const plot = document.getElementById(id)?.querySelector('.js-plotly-plot');
    if (!plot?.data) return false;
    const now = JSON.stringify(plot.data.map(t => ({meta: t.meta, x: Array.from(t.x || []),
                                                    y: Array.from(t.y || [])})));
    return (now === JSON.stringify(before)) === same;
}"""
SANKEY_VALUES = """id => Array.from(document.getElementById(id)
    .querySelector('.js-plotly-plot').data[0].link.value)"""


@pytest.fixture(scope="module")
def base_url(dash_settings, serve_dashboard):
    """The dashboard served by dashboards.app.serve in its own process, as in production."""
    return serve_dashboard(dash_settings.home, "/channels")


@pytest.fixture
def page(browser, base_url, login, accounts):
    context = browser.new_context(viewport={"width": 1280, "height": 1600}, accept_downloads=True)
    page = context.new_page()
    login(page, base_url, accounts.admin)
    page.set_default_timeout(20_000)
    watch(page)
    yield page
    assert_offline_and_clean(page, base_url)
    context.close()


def _control(name: str) -> str:
    return f"[id='{dom_id(name)}']"


def _download_csv(page, block_id: str) -> list[dict]:
    with page.expect_download() as download:
        page.click(f"#{block_id} .csv-button")
    path = download.value.path()
    assert download.value.suggested_filename.startswith(block_id.removesuffix("-block"))
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_permalink_filter_change_back_and_csv_export(page, base_url, marts):
    data_to = marts["meta.dataset"]["data_to"][0]
    month_from, month_to = month_value(add_months(data_to, -4)), month_value(data_to)
    permalink = (f"{base_url}/channels?from={month_from}&to={month_to}&region=FRK"
                 "&education_level=low&user_type=jobseeker&measure=share&direction=inbound")

    # 1. The permalink opens the view it names ...
    page.goto(permalink)
    page.wait_for_selector("#channels-mix .main-svg")
    assert page.title() == "Channels · PES Observatory"
    # 2. ... with every filter restored.
    assert page.inner_text(_control("from")).strip() == fmt_month(add_months(data_to, -4))
    assert "(FRK)" in page.inner_text(_control("region"))
    assert page.inner_text(_control("education_level")).strip() == "Low"
    assert page.get_by_label("Job-seekers", exact=True).is_checked()
    assert page.get_by_label("Share of month").is_checked()
    assert page.get_by_label("Inbound", exact=True).is_checked()
    before = page.evaluate(TRACES, "channels-mix")
    assert before and all(0 <= y <= 1 for t in before for y in t["y"])

    # 3. A filter changes from the keyboard alone: open, search, pick, close.
    page.focus(_control("education_level"))
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement?.classList.contains('dash-dropdown-search')")
    page.keyboard.type("High")
    page.get_by_role("option", name="High", exact=True).wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('education_level') === 'low,high'")
    assert "region=FRK" in page.url and "measure=share" in page.url
    page.wait_for_function(COMPARE, arg=["channels-mix", before, False])
    after = page.evaluate(TRACES, "channels-mix")
    assert after != before

    # 4. The CSV export ...
    rows = _download_csv(page, "channels-mix-block")
    # 5. ... holds exactly the numbers on the chart (shares of the month, and their counts).
    drawn = {(t["meta"], x[:10]): y for t in after for x, y in zip(t["x"], t["y"], strict=True)}
    exported = {(r["channel"], r["month"]): float(r["share_of_month"]) for r in rows}
    assert drawn.keys() == exported.keys()
    assert all(abs(drawn[k] - exported[k]) < 1e-12 for k in drawn)
    assert all(int(r["n_contacts"]) > 0 for r in rows)

    # Back returns to the permalink's view, controls and chart included.
    page.go_back()
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('education_level') === 'low'")
    page.wait_for_function(COMPARE, arg=["channels-mix", before, True])
    assert page.inner_text(_control("education_level")).strip() == "Low"


def test_journeys_sankey_exports_its_links(page, base_url):
    page.goto(f"{base_url}/channels/journeys?service=benefit_claim&user_type=jobseeker")
    page.wait_for_selector("#journeys-sankey .main-svg")
    assert page.inner_text(_control("service")).strip() == "Benefit claim"
    # The sub-navigation carries the section's filters, not this page's own choice.
    href = page.get_attribute("a.subnav-link[href*='/channels/quality']", "href")
    assert "user_type=jobseeker" in href and "service" not in href
    values = page.evaluate(SANKEY_VALUES, "journeys-sankey")
    rows = _download_csv(page, "journeys-sankey-block")
    assert [int(r["n_journeys"]) for r in rows] == values and sum(values) > 0

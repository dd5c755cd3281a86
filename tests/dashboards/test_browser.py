"""The real dashboard in headless Chromium: filters change charts, the URL and reloads agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboards.components.filters import dom_id
from dashboards.components.format import label
from pipelines.contracts import CHANNELS
from tests.dashboards.layout import FIGURE_DATA, assert_offline_and_clean, watch

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def base_url(dash_settings, serve_dashboard):
    """The dashboard served by dashboards.app.serve in its own process, as in production."""
    return serve_dashboard(dash_settings.home)


@pytest.fixture
def page(browser, base_url, login, accounts):
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    page = context.new_page()
    login(page, base_url, accounts.admin)
    page.set_default_timeout(15_000)
    watch(page)
    yield page
    # Everything, scripts and styles included, comes from the dashboard itself.
    assert_offline_and_clean(page, base_url)
    context.close()


def _text_is_not(page, selector_id: str, text: str) -> None:
    page.wait_for_function(
        f"() => {{ const e = document.getElementById({json.dumps(selector_id)});"
        f" return e && e.innerText !== {json.dumps(text)}; }}")


def _text_is(page, selector_id: str, text: str) -> None:
    page.wait_for_function(
        f"() => {{ const e = document.getElementById({json.dumps(selector_id)});"
        f" return e && e.innerText === {json.dumps(text)}; }}")


def test_overview_filter_changes_kpis_url_reload_and_back(page, base_url):
    page.goto(base_url + "/")
    page.wait_for_selector("#kpi-contacts-value")
    assert page.title() == "Overview · PES Observatory"
    assert page.is_visible("#synthetic-badge")
    assert page.inner_text("#data-freshness").startswith("Data up to ")
    assert page.locator("main#main-content").count() == 1
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    before = page.inner_text("#kpi-contacts-value")

    page.click(f"[id='{dom_id('region')}']")
    page.get_by_role("option", name="Île-de-France (FR1)").click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => new URLSearchParams(location.search).get('region') === 'FR1'")
    _text_is_not(page, "kpi-contacts-value", before)
    after = page.inner_text("#kpi-contacts-value")
    assert int(after.replace(",", "")) < int(before.replace(",", ""))
    # Links to the other page carry the filters.
    assert "region=FR1" in page.get_attribute("a.nav-link[href^='/channels']", "href")

    page.reload()  # the permalink reopens the same view
    page.wait_for_selector("#kpi-contacts-value")
    assert page.inner_text("#kpi-contacts-value") == after
    assert "(FR1)" in page.inner_text(f"[id='{dom_id('region')}']")

    page.go_back()  # back to the view without the region filter
    page.wait_for_function("() => !location.search.includes('region')")
    _text_is(page, "kpi-contacts-value", before)
    assert "All regions" in page.inner_text(f"[id='{dom_id('region')}']")


def test_channels_measure_switch_changes_chart_and_survives_reload(page, base_url):
    page.goto(base_url + "/channels?region=FRK")
    page.wait_for_selector("#channels-mix .main-svg")
    assert page.title() == "Channels · PES Observatory"
    volume = page.evaluate(FIGURE_DATA, "channels-mix")
    assert volume and max(max(t["y"]) for t in volume) > 1
    names = [t["name"] for t in volume]
    assert names == [label(c) for c in CHANNELS if label(c) in names]  # fixed channel order

    page.get_by_label("Share of month").check()
    page.wait_for_function("() => new URLSearchParams(location.search).get('measure') === 'share'")
    assert "region=FRK" in page.url
    page.wait_for_function(
        "() => { const p = document.querySelector('#channels-mix .js-plotly-plot');"
        " return p && p.data && Math.max(...p.data.flatMap(t => Array.from(t.y))) <= 1; }")
    share = page.evaluate(FIGURE_DATA, "channels-mix")
    assert [t["name"] for t in share] == names
    assert share != volume

    regions_before = page.evaluate(FIGURE_DATA, "channels-by-region")
    assert [len(t["y"]) for t in regions_before] == [1]  # only FRK

    page.reload()
    page.wait_for_selector("#channels-mix .main-svg")
    assert page.get_by_label("Share of month").is_checked()
    assert page.evaluate(FIGURE_DATA, "channels-mix") == share
    labels = page.eval_on_selector_all(
        "label[for]", "els => els.map(e => !!document.getElementById(e.htmlFor))")
    assert labels and all(labels)

"""Pages and callbacks called directly with filter values, against the published warehouse."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from dash import no_update

from dashboards.app import create_app, nav_hrefs, nav_state
from dashboards.components import filters
from dashboards.components.filters import fid
from dashboards.components.format import fmt_int, month_value
from dashboards.pages import channels, overview
from dashboards.queries import add_months
from tests.dashboards.layout import by_id, route, walk

ROOT = Path(__file__).resolve().parents[2]
CONTACTS = "marts.mart_contacts_monthly"


def text_of(component) -> str:
    return "".join(c if isinstance(c, str) else text_of(c)
                   for c in (component.children if isinstance(component.children, list)
                             else [component.children]) if c is not None)


@pytest.fixture
def app(dash_settings):
    # Outside a request, pages read the settings of the app created last: make one per test.
    return create_app(dash_settings)


@pytest.fixture(scope="module")
def period(marts):
    meta = marts["meta.dataset"].row(0, named=True)
    regions = sorted(marts[CONTACTS]["region_code"].unique().to_list())
    return {"from": month_value(add_months(meta["data_to"], -5)),
            "to": month_value(meta["data_to"]), "regions": regions, "meta": meta}


def _expected_contacts(marts, month_from: str, month_to: str, regions=None, **segments) -> int:
    df = marts[CONTACTS].with_columns(pl.col("month").dt.strftime("%Y-%m").alias("ym"))
    df = df.filter(pl.col("ym").is_between(pl.lit(month_from), pl.lit(month_to)))
    if regions:
        df = df.filter(pl.col("region_code").is_in(regions))
    for column, values in segments.items():
        df = df.filter(pl.col(column).is_in(values))
    return int(df["n_contacts"].sum())


# -- layouts restore the view from the URL ---------------------------------------------------

def test_overview_layout_restores_filters_and_shows_data_status(app, period, marts):
    region = period["regions"][0]
    page = overview.layout(**{"from": period["from"], "to": period["to"], "region": region,
                              "age_band": "50+"})
    assert by_id(page, fid("from")).value == period["from"]
    assert by_id(page, fid("region")).value == [region]
    assert by_id(page, fid("age_band")).value == ["50+"]
    assert by_id(page, "synthetic-badge").children == "Synthetic demo data"
    meta = period["meta"]
    assert text_of(by_id(page, "data-freshness")).startswith(
        f"Data up to {meta['data_to']:%b %Y} · published ")
    expected = _expected_contacts(marts, period["from"], period["to"], [region],
                                  age_band=["50+"])
    assert by_id(page, "kpi-contacts-value").children == fmt_int(expected)


def test_layout_ignores_unknown_query_values(app, period):
    page = channels.layout(**{"from": "2099-01", "region": f"ZZ9,{period['regions'][0]}",
                              "age_band": "<script>", "measure": "'; DROP TABLE x",
                              "direction": "inbound", "unknown": "1"})
    default_from, default_to = filters.default_period(
        filters.month_options(period["meta"]["data_from"], period["meta"]["data_to"]))
    assert by_id(page, fid("from")).value == default_from
    assert by_id(page, fid("to")).value == default_to
    assert by_id(page, fid("region")).value == [period["regions"][0]]
    assert by_id(page, fid("age_band")).value == []
    assert by_id(page, fid("measure")).value == "volume"
    assert by_id(page, fid("direction")).value == "inbound"


def test_labels_point_at_their_controls(app):
    page = channels.layout()
    labels = {c.htmlFor for c in walk(page) if type(c).__name__ == "Label"}
    # The Channels section adds agency and education to the shared filters (radios use legends).
    assert labels == {filters.dom_id(n) for n in (*filters.COMMON, *filters.PAGE_MULTI)}


# -- callbacks -------------------------------------------------------------------------------

def test_update_kpis_recomputes_the_cards_for_new_filters(app, period, marts):
    regions = period["regions"][:2]
    cards = overview.update_kpis(period["from"], period["to"], regions, None, ["none", "basic"],
                                 [])
    assert [c.id for c in cards] == ["kpi-contacts", "kpi-digital_share", "kpi-active_jobseekers",
                                     "kpi-exits_to_employment", "kpi-open_vacancies",
                                     "kpi-satisfaction"]
    expected = _expected_contacts(marts, period["from"], period["to"], regions,
                                  digital_skills=["none", "basic"])
    assert by_id(cards[0], "kpi-contacts-value").children == fmt_int(expected)
    assert "job-seeker contacts only" in by_id(cards[0], "kpi-contacts-note").children
    assert "do not apply" in by_id(cards[4], "kpi-open_vacancies-note").children


def test_satisfaction_is_hidden_below_min_survey_n(dash_settings, period):
    create_app(dataclasses.replace(dash_settings, min_survey_n=10**9))
    cards = overview.update_kpis(period["from"], period["to"], [], [], [], [])
    satisfaction = cards[-1]
    assert by_id(satisfaction, "kpi-satisfaction-value").children == "–"
    assert "Not shown" in by_id(satisfaction, "kpi-satisfaction-note").children


def test_update_mix_gives_volumes_or_shares_for_a_direction(app, period, marts):
    volume = channels.update_mix(period["from"], period["to"], [], [], [], [], "volume",
                                 "inbound")
    inbound = marts[CONTACTS].filter(pl.col("direction") == "inbound")
    expected = _expected_contacts({CONTACTS: inbound}, period["from"], period["to"])
    assert sum(sum(t.y) for t in volume.data) == expected
    share = channels.update_mix(period["from"], period["to"], [], [], [], [], "share", "inbound")
    month_totals: dict = {}
    for trace in share.data:
        for x, y in zip(trace.x, trace.y, strict=True):
            month_totals[x] = month_totals.get(x, 0) + y
    assert month_totals and all(abs(v - 1) < 1e-9 for v in month_totals.values())


def test_update_shares_follows_the_region_filter(app, period, marts):
    region = period["regions"][0]
    by_service, by_region, by_segment = channels.update_shares(
        period["from"], period["to"], [region], [], [], [], "all")
    names = marts[CONTACTS].filter(pl.col("region_code") == region)["region_name"].unique()
    assert list(by_region.data[0].y) == names.to_list()
    n_services = marts[CONTACTS].filter(pl.col("region_code") == region)["service"].n_unique()
    assert len(by_service.data[0].y) <= n_services
    assert {t.meta for t in by_segment.data} <= {"age_band", "education_level", "digital_skills",
                                                  "support_tier"}


def test_callbacks_shrug_off_crafted_values(app, period):
    fig = channels.update_mix("'; DROP TABLE marts.x; --", "13-13", ["ZZ9"], ["evil"], None,
                              None, "evil", "sideways")
    assert len(fig.data) > 0  # fell back to the default view
    cards = overview.update_kpis(None, None, "not-a-list", 42, None, None)
    assert len(cards) == 6


def test_pages_without_a_published_warehouse_say_what_to_do(empty_settings):
    create_app(empty_settings)
    for page in (overview.layout(), channels.layout(region="FRK")):
        message = text_of(by_id(page, "no-data"))
        assert "No data yet" in message and "observatory refresh" in message
    assert by_id(overview.update_kpis("2025-01", "2025-02", [], [], [], []), "no-data")
    figure = channels.update_mix("2025-01", "2025-02", [], [], [], [], "volume", "all")
    assert "observatory refresh" in figure.layout.annotations[0].text


# -- the URL <-> filters link ----------------------------------------------------------------

NAMES = ["from", "to", "region", "age_band", "digital_skills", "support_tier"]
OPTIONS = [
    [{"label": m, "value": m} for m in ("2025-01", "2025-06", "2026-10")],
    [{"label": m, "value": m} for m in ("2025-01", "2025-06", "2026-10")],
    [{"label": r, "value": r} for r in ("FRK", "FR1", "FRL")],
    [{"label": v, "value": v} for v in ("<25", "25-49", "50+", "unknown")],
    [{"label": v, "value": v} for v in ("none", "basic", "above_basic", "unknown")],
    [{"label": v, "value": v} for v in ("autonomous", "guided", "intensive", "global")],
]


def test_a_filter_change_writes_a_shareable_query():
    values = ["2025-01", "2026-10", ["FRK", "FR1"], ["50+"], [], []]
    search, new_values = filters.sync(False, "", NAMES, values, OPTIONS)
    assert search == "?from=2025-01&to=2026-10&region=FRK,FR1&age_band=50%2B"
    assert new_values == [no_update] * len(NAMES)
    # The same URL again changes nothing (no history entry).
    assert filters.sync(False, search, NAMES, values, OPTIONS)[0] is no_update


def test_a_reversed_period_is_put_right_in_controls_and_url():
    search, new_values = filters.sync(False, "", NAMES, ["2026-10", "2025-06", [], [], [], []],
                                      OPTIONS)
    assert search == "?from=2025-06&to=2026-10"
    assert new_values[:2] == ["2025-06", "2026-10"]


def test_back_and_forward_restore_the_controls_from_the_url():
    current = ["2025-01", "2026-10", ["FRK"], [], [], []]
    search, new_values = filters.sync(True, "?from=2025-06&region=FR1,XX&age_band=50+",
                                      NAMES, current, OPTIONS)
    assert search is no_update
    # Unknown region dropped; a hand-typed '+' (decoded as a space) still means 50+.
    assert new_values == ["2025-06", "2026-10", ["FR1"], ["50+"], [], []]
    unchanged = filters.sync(True, "?from=2025-06&to=2026-10&region=FR1&age_band=50%2B", NAMES,
                             new_values, OPTIONS)
    assert unchanged == (no_update, [no_update] * len(NAMES))


def test_parse_query_accepts_repeated_keys_and_orders_like_the_options():
    allowed = {"region": ["FRK", "FR1", "FRL"], "measure": ["volume", "share"]}
    assert filters.parse_query({"region": ["FRL", "FRK,FRL"], "measure": "share"}, allowed) == {
        "region": ["FRK", "FRL"], "measure": "share"}


def test_links_to_other_pages_keep_only_the_shared_filters(app):
    hrefs = nav_hrefs("?from=2025-01&to=2025-06&region=FRK&measure=share", ["/", "/channels"])
    assert hrefs == ["/?from=2025-01&to=2025-06&region=FRK",
                     "/channels?from=2025-01&to=2025-06&region=FRK"]
    classes, _children = nav_state("/channels", ["/", "/channels"])
    assert classes == ["nav-link", "nav-link active"]
    # The Channels link stays marked on its sub-pages; Overview ("/") is no prefix of them.
    classes, children = nav_state("/channels/journeys", ["/", "/channels", "/outcomes"])
    assert classes == ["nav-link", "nav-link active", "nav-link"]
    assert children[0] == "Overview" and children[2] == "Outcomes"


# -- the app as a whole ----------------------------------------------------------------------

def _route(client, pathname: str, search: str = "") -> str:
    """Ask the app's page router for a page, as the browser does."""
    response = route(client, pathname, search)
    assert response.status_code == 200
    return json.dumps(response.get_json())


def test_two_apps_in_one_process_each_serve_their_own_home(dash_settings, empty_settings,
                                                          login_client):
    with_data = login_client(create_app(dash_settings))
    without = login_client(create_app(empty_settings))
    assert "kpi-contacts" in _route(with_data, "/", "?region=FRK")
    assert "No data yet" in _route(without, "/")
    assert "channels-mix" in _route(with_data, "/channels")
    page = with_data.get("/channels").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "https://" not in page.split("<body>")[1]  # every script is served locally


def test_the_dash_process_never_imports_prefect_or_great_expectations():
    code = ("import sys; import dashboards.app; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('prefect', 'great_expectations')]; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr

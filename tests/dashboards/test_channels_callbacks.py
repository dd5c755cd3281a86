"""The Channels section's pages, callbacks and CSV exports, against the published demo."""

from __future__ import annotations

import dataclasses
import io
import os

import plotly.graph_objects as go
import polars as pl
import pytest

from dashboards.app import create_app
from dashboards.components import export, filters
from dashboards.components.filters import fid
from dashboards.components.format import month_value
from dashboards.pages import (
    channels,
    channels_caseloads,
    channels_inclusion,
    channels_journeys,
    channels_quality,
)
from dashboards.pages import channels_section as section
from dashboards.queries import add_months
from tests.dashboards.layout import by_id, walk

pytestmark = pytest.mark.skipif(
    os.environ.get("OBSERVATORY_TEST_TINY_WAREHOUSE") == "1",
    reason="the Channels section's marts come from the demo warehouse, not the tiny one")

PAGES = (channels, channels_journeys, channels_inclusion, channels_quality, channels_caseloads)
CONTACTS = "marts.mart_contacts_monthly"


def text_of(component) -> str:
    if isinstance(component, str | int | float):
        return str(component)
    children = getattr(component, "children", None)
    if children is None:
        return ""
    return "".join(text_of(c) for c in (children if isinstance(children, list | tuple)
                                        else [children]))


@pytest.fixture
def app(dash_settings):
    return create_app(dash_settings)


@pytest.fixture(scope="module")
def view(marts):
    meta = marts["meta.dataset"].row(0, named=True)
    contacts = marts[CONTACTS]
    agency = (contacts.group_by("agency_code").agg(pl.col("n_contacts").sum())
              .sort("n_contacts", descending=True)["agency_code"][0])
    return {"from": month_value(add_months(meta["data_to"], -5)),
            "to": month_value(meta["data_to"]), "agency": agency, "meta": meta}


def _in_period(df: pl.DataFrame, v: dict) -> pl.DataFrame:
    ym = pl.col("month").dt.strftime("%Y-%m")
    return df.filter(ym.is_between(pl.lit(v["from"]), pl.lit(v["to"])))


def test_a_permalink_restores_every_filter_of_the_section(app, view):
    query = {"from": view["from"], "to": view["to"], "agency": view["agency"],
             "education_level": "low,high", "user_type": "jobseeker", "digital_skills": "none",
             "segment_by": "age_band", "rank_by": "region", "direction": "inbound"}
    page = channels_inclusion.layout(**query)
    assert by_id(page, fid("agency")).value == [view["agency"]]
    assert by_id(page, fid("education_level")).value == ["low", "high"]
    assert by_id(page, fid("user_type")).value == "jobseeker"
    assert by_id(page, fid("segment_by")).value == "age_band"
    assert by_id(page, fid("rank_by")).value == "region"
    # ... and the URL written back from those values reopens exactly them.
    names = (*section.FILTERS, *channels_inclusion.EXTRAS)
    values = {n: by_id(page, fid(n)).value for n in names}
    options = {n: [o["value"] for o in by_id(page, fid(n)).options] for n in names}
    search = filters.to_search(values)
    assert filters.parse_search(search, options) == values
    assert f"agency={view['agency']}" in search and "education_level=low,high" in search


def test_every_page_renders_every_block_with_its_definition_and_export(app):
    for module in PAGES:
        page = module.layout()
        for indicator in module.INDICATORS:
            block = by_id(page, f"{indicator.id}-block")
            about = text_of(block)
            assert "About this indicator" in about and "Source: marts." in about
            assert by_id(block, {"type": export.BUTTON, "chart": indicator.id})
            if indicator.kind == "graph":
                figure = by_id(block, indicator.id).figure
                go.Figure(figure.to_plotly_json())  # a valid figure, whatever was skipped
        # The section's sub-navigation marks this page.
        current = [c for c in walk(page) if getattr(c, "className", "") == "subnav-link active"]
        assert [c.id["path"] for c in current] == [module.PATH]


def test_crafted_values_fall_back_to_defaults(app, view):
    page = channels_journeys.layout(**{"agency": "'; DROP TABLE x; --", "service": "<b>",
                                       "user_type": "robot", "education_level": "phd"})
    assert by_id(page, fid("agency")).value == []
    assert by_id(page, fid("service")).value == "all"
    assert by_id(page, fid("user_type")).value == "all"
    assert by_id(page, fid("education_level")).value == []
    figure, _style, _headline = section.update(channels_journeys.SANKEY, channels_journeys.EXTRAS,
                                               {"from": "13-13", "agency": ["ZZ"]})
    assert figure.data and figure.data[0].type == "sankey"


def test_mix_follows_agency_user_type_and_education(app, view, marts):
    raw = {"from": view["from"], "to": view["to"], "agency": [view["agency"]],
           "user_type": "jobseeker", "education_level": ["low"], "measure": "volume",
           "direction": "all"}
    figure, _style, headline = section.update(channels.MIX, channels.EXTRAS, raw)
    expected = _in_period(marts[CONTACTS], view).filter(
        (pl.col("agency_code") == view["agency"]) & (pl.col("party_type") == "jobseeker")
        & (pl.col("education_level") == "low"))["n_contacts"].sum()
    assert expected > 0
    assert sum(sum(t.y) for t in figure.data) == expected
    assert f"{expected:,}" in text_of(headline[0])


def test_each_export_holds_exactly_the_numbers_drawn(app, view):
    raw = {"from": view["from"], "to": view["to"], "measure": "share"}
    content = export.export(app, "channels-mix", raw)
    assert content["filename"] == f"channels-mix_{view['from']}_{view['to']}.csv"
    csv = pl.read_csv(io.StringIO(content["content"]), try_parse_dates=True)
    figure = section.update(channels.MIX, channels.EXTRAS, raw)[0]
    drawn = {(t.meta, x): y for t in figure.data for x, y in zip(t.x, t.y, strict=True)}
    from_csv = {(r["channel"], r["month"]): r["share_of_month"] for r in csv.iter_rows(named=True)}
    assert drawn == from_csv
    # Every indicator of the section offers its export, and each export equals its frame.
    for module in PAGES:
        for indicator in module.INDICATORS:
            content = export.export(app, indicator.id, raw)
            frame = indicator.frame(section.view_for(raw, module.EXTRAS))
            assert content["content"] == export.to_csv(frame)


def test_satisfaction_is_hidden_below_min_survey_n(dash_settings, view):
    create_app(dataclasses.replace(dash_settings, min_survey_n=10**9))
    figure, _style, headline = section.update(channels_quality.SATISFACTION,
                                              channels_quality.EXTRAS, {})
    assert not figure.data and "Not shown" in figure.layout.annotations[0].text
    assert "Not shown" in text_of(headline[0])
    frame, _name = section.frame_for_export(channels_quality.SATISFACTION,
                                            channels_quality.EXTRAS, {})
    assert frame["share_satisfied"].is_null().all() and frame["n_rated"].sum() > 0


def test_satisfaction_shows_a_confidence_interval(app, view):
    figure, _style, headline = section.update(channels_quality.SATISFACTION,
                                              channels_quality.EXTRAS, {})
    trace = figure.data[0]
    assert all(a >= 0 for a in trace.error_x.array) and "95% CI" in text_of(headline[0])


def test_ranking_links_drill_down_to_one_agency(app, view):
    table, _headline = section.update(channels_inclusion.EXCLUSION_RANKING,
                                      channels_inclusion.EXTRAS, {"rank_by": "agency"})
    links = [c for c in walk(table) if type(c).__name__ == "Link"]
    assert links and all(link.href.startswith("/channels/inclusion?") for link in links)
    assert "agency=" in links[0].href
    regions, _ = section.update(channels_inclusion.EXCLUSION_RANKING, channels_inclusion.EXTRAS,
                                {"rank_by": "region"})
    region_link = next(c for c in walk(regions) if type(c).__name__ == "Link")
    assert "region=" in region_link.href and "rank_by" not in region_link.href  # agencies: default


def test_caseloads_count_counsellors_outside_the_norm(app, view, dash_settings):
    table, headline = section.update(channels_caseloads.SUMMARY, channels_caseloads.EXTRAS, {})
    frame, _ = section.frame_for_export(channels_caseloads.SUMMARY, channels_caseloads.EXTRAS, {})
    assert set(frame["support_tier"].to_list()) <= {"autonomous", "guided", "intensive", "global"}
    totals = frame["n_below_norm"] + frame["n_within_norm"] + frame["n_above_norm"]
    normed = frame.filter(pl.col("norm_label") != "No published norm")
    assert (totals.sum() <= frame["n_counsellors"].sum()) and normed.height == 3
    assert "counsellors with a norm" in text_of(headline[0])


def test_every_indicator_has_its_callback(app):
    outputs = " ".join(app.callback_map)
    for module in PAGES:
        for indicator in module.INDICATORS:
            target = indicator.id if indicator.kind == "graph" else f"{indicator.id}-table"
            assert target in outputs, indicator.id


def test_section_links_keep_only_the_shared_filters():
    search = "?from=2026-01&to=2026-06&agency=69001&measure=share&segment_by=age_band"
    assert section.section_search(search) == "?from=2026-01&to=2026-06&agency=69001"


def test_pages_without_a_published_warehouse_say_what_to_do(empty_settings):
    create_app(empty_settings)
    for module in PAGES:
        assert "No data yet" in text_of(by_id(module.layout(), "no-data"))
    figure, _style, headline = section.update(channels.MIX, channels.EXTRAS, {})
    assert "observatory refresh" in figure.layout.annotations[0].text

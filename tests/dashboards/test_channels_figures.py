"""Pure builders of the Channels section on tiny literal frames."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboards import channel_figures as cf
from dashboards.figures import CHANNEL_COLOURS

M1, M2 = dt.date(2026, 1, 1), dt.date(2026, 2, 1)


def valid(fig: go.Figure) -> go.Figure:
    """The builders skip Plotly's validation for speed; a validating copy must accept them."""
    return go.Figure(fig.to_plotly_json())


def test_wilson_interval_matches_published_values():
    low, high = cf.wilson_interval(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.49, 0.943)
    low, high = cf.wilson_interval(0, 50)
    assert low == pytest.approx(0, abs=1e-12) and round(high, 4) == 0.0713
    with pytest.raises(ValueError):
        cf.wilson_interval(0, 0)


def test_percentile_interpolates_within_its_bin():
    bins = [(0, 10, 2), (10, 20, 2), (20, 30, 0), (30, 40, 4)]
    assert cf.percentile_from_histogram(bins, 0.25) == 10.0
    assert cf.percentile_from_histogram(bins, 0.375) == 15.0
    assert cf.percentile_from_histogram(bins, 0.75) == 35.0
    assert cf.percentile_from_histogram([(0, 10, 0)], 0.5) is None


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "–"), (0, "0 s"), (45.4, "45 s"), (95, "1 min 35 s"), (600, "10 min 00 s"),
    (4000, "1 h 07 min")])
def test_durations_read_as_minutes_and_seconds(seconds, text):
    assert cf.fmt_duration(seconds) == text


def test_mix_keeps_each_channel_in_its_colour_and_order():
    df = pl.DataFrame({"month": [M1, M1, M2, M2], "channel": ["web", "agency", "web", "agency"],
                       "n_contacts": [30, 10, 20, 20]})
    drawn = cf.mix_frame(df)
    assert drawn.filter(pl.col("month") == M1)["share_of_month"].to_list() == [0.25, 0.75]
    volume = valid(cf.mix_figure(drawn, "volume"))
    assert [t.meta for t in volume.data] == ["agency", "web"]  # contracts.CHANNELS order
    assert [t.marker.color for t in volume.data] == [CHANNEL_COLOURS["agency"],
                                                     CHANNEL_COLOURS["web"]]
    share = cf.mix_figure(drawn, "share")
    assert list(share.data[0].y) == [0.25, 0.5]


def test_steps_rates_and_their_denominators():
    df = pl.DataFrame({"month": [M1, M2], "service": ["benefit_claim"] * 2,
                       "n_contacts": [10, 30], "n_digital": [5, 27], "n_self_service": [4, 24],
                       "n_digital_assisted": [1, 5]})
    drawn = cf.steps_frame(df).row(0, named=True)
    assert drawn["share_online"] == 32 / 40
    assert drawn["share_self_service"] == 28 / 40
    assert drawn["rate_assisted_digital"] == 6 / 32
    fig = valid(cf.steps_figure(cf.steps_frame(df)))
    assert [t.meta for t in fig.data] == ["share_online", "share_self_service",
                                          "rate_assisted_digital"]
    trend = cf.steps_trend_frame(df)
    assert trend["share_online"].to_list() == [0.5, 0.9]
    valid(cf.steps_trend_figure(trend))


PATHS = pl.DataFrame({
    "channel_1": ["web", "web", "web", "phone"], "channel_2": ["none", "phone", "phone", "none"],
    "channel_3": ["none", "none", "agency", "none"], "n_journeys": [50, 20, 10, 40],
    "n_multi_contact": [0, 20, 10, 0], "n_switching": [0, 20, 10, 0]})


def test_sankey_links_add_up_to_the_journeys():
    links = cf.sankey_frame(PATHS)
    first = links.filter(pl.col("step_from") == 1)
    assert first["n_journeys"].sum() == 120
    assert links.filter(pl.col("step_from") == 2).rows() == [(2, "phone", 3, "agency", 10),
                                                             (2, "phone", 3, "none", 20)]
    fig = valid(cf.sankey_figure(links))
    sankey = fig.data[0]
    assert list(sankey.link.value) == links["n_journeys"].to_list()
    colours = dict(zip(sankey.node.label, sankey.node.color, strict=True))
    assert colours["Website (1st)"] == CHANNEL_COLOURS["web"]
    assert colours["No further contact"] == cf.ENDED_COLOUR


def test_switching_rate_is_hidden_on_too_few_journeys():
    drawn = cf.switching_frame(PATHS, min_n=25)
    web = drawn.filter(pl.col("channel") == "web").row(0, named=True)
    assert (web["n_multi_contact"], web["n_switching"], web["rate_switching"]) == (30, 30, 1.0)
    assert drawn.filter(pl.col("channel") == "phone")["rate_switching"][0] is None
    fig = valid(cf.channel_rate_figure(drawn, "rate_switching", "n_switching", "n_multi_contact",
                                       "Changed channel", "journeys", empty="none"))
    assert list(fig.data[0].x) == [1.0] and "Phone" in fig.layout.annotations[0].text


def test_satisfaction_is_not_shown_below_the_minimum_answers():
    df = pl.DataFrame({"channel": ["web", "phone"], "n_rated": [100, 29],
                       "n_satisfied": [80, 20]})
    drawn = cf.satisfaction_frame(df, min_survey_n=30)
    phone = drawn.filter(pl.col("channel") == "phone").row(0, named=True)
    assert phone["share_satisfied"] is None and phone["ci_low"] is None
    web = drawn.filter(pl.col("channel") == "web").row(0, named=True)
    assert web["share_satisfied"] == 0.8 and web["ci_low"] < 0.8 < web["ci_high"]
    fig = valid(cf.satisfaction_figure(drawn, 30))
    assert list(fig.data[0].x) == [0.8]
    assert "Phone" in fig.layout.annotations[0].text


def test_no_show_table_adds_each_channels_overall_rate():
    df = pl.DataFrame({"channel": ["agency", "agency", "phone"], "segment": ["none", "basic", "none"],
                       "n_appointments": [40, 60, 10], "n_no_shows": [8, 6, 1]})
    drawn = cf.no_show_frame(df, "digital_skills", min_n=30)
    assert drawn.rows()[:3] == [("agency", "all", 100, 14, 0.14), ("agency", "none", 40, 8, 0.2),
                                ("agency", "basic", 60, 6, 0.1)]
    assert drawn.filter(pl.col("channel") == "phone")["rate_no_show"].to_list() == [None, None]
    fig = valid(cf.no_show_figure(drawn, "digital_skills"))
    assert list(fig.data[0].text[1]) == ["too few", "too few", ""]


def test_durations_frame_reads_median_and_p90_per_channel():
    hist = pl.DataFrame({"channel": ["phone"] * 3, "measure": ["wait"] * 3,
                         "bin_lower_s": [0, 10, 20], "bin_upper_s": [10, 20, 30],
                         "n_contacts": [5, 4, 1]})
    row = cf.durations_frame(hist).row(0, named=True)
    assert (row["n_contacts"], row["median_s"], row["p90_s"]) == (10, 10.0, 20.0)
    valid(cf.durations_figure(cf.durations_frame(hist)))


def test_exclusion_ranking_puts_small_places_last_unranked():
    df = pl.DataFrame({"code": ["A", "B", "C"], "name": ["a", "b", "c"],
                       "region_name": ["r"] * 3, "n_active": [100, 10, 50],
                       "n_offline_only": [10, 9, 10]})
    drawn = cf.exclusion_ranking_frame(df, min_n=30)
    assert drawn.select("rank", "code").rows() == [(1, "C"), (2, "A"), (None, "B")]


def test_segment_lines_draw_all_job_seekers_first_and_thick():
    df = pl.DataFrame({"month": [M1, M1, M1], "segment": ["all", "none", "basic"],
                       "n_active": [100, 40, 60], "n_offline_only": [10, 8, 2]})
    drawn = cf.exclusion_trend_frame(df, min_n=30)
    fig = valid(cf.segment_lines_figure(drawn, "digital_skills", "share_offline_only",
                                        "n_offline_only", "n_active", "Offline only", "people",
                                        empty="none"))
    assert [t.meta for t in fig.data] == ["all", "none", "basic"]
    assert fig.data[0].line.width > fig.data[1].line.width


def test_caseloads_are_classified_against_their_norm():
    df = pl.DataFrame({"support_tier": ["guided", "guided", "intensive", "global"],
                       "norm_label": ["g", "g", "i", "n"], "norm_min": [100, 100, None, None],
                       "norm_max": [150, 150, 70, None], "n_caseload": [90, 120, 75, 40],
                       "is_below_norm": [True, False, False, False],
                       "is_above_norm": [False, False, True, False],
                       "agency_name": ["x"] * 4})
    points = cf.caseload_points_frame(df)
    assert points["norm_status"].to_list() == ["below", "within", "above", "no norm"]
    summary = cf.caseload_summary_frame(points)
    assert summary.select("support_tier", "n_below_norm", "n_within_norm", "n_above_norm").rows() \
        == [("guided", 1, 1, 0), ("intensive", 0, 0, 1), ("global", 0, 0, 0)]
    valid(cf.caseload_figure(points))


def test_empty_frames_give_a_chart_that_says_why():
    fig = valid(cf.sankey_figure(cf.sankey_frame(PATHS.clear())))
    assert "No complete journeys" in fig.layout.annotations[0].text
    assert_frame_equal(cf.switching_frame(PATHS.clear(), 30).clear(),
                       cf.switching_frame(PATHS.clear(), 30))

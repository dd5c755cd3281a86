"""Channels · quality (/channels/quality): which channels actually resolve people's needs?

Satisfaction with its 95% interval, wait and duration (median and 90th percentile),
first-contact resolution, and appointment no-shows by channel and segment.
"""

from __future__ import annotations

import dash
import polars as pl
from dash import html

from dashboards import channel_figures as cf
from dashboards import channel_queries as cq
from dashboards.components.format import fmt_int, fmt_pct, label
from dashboards.pages import channels_section as section
from dashboards.pages.channels_section import Indicator, View, headline

PATH = "/channels/quality"
TITLE = "Channels · Service quality"
EXTRAS = ("segment_by",)
INTRO = ("Which channels actually resolve people's needs? How satisfied users are, how long "
         "they wait and talk, how often the first contact settles the matter, and how often "
         "appointments are missed.")


def _min_survey_n(view: View | None) -> int:
    return view.settings.min_survey_n if view else 30


def _satisfaction_headline(drawn: pl.DataFrame, view: View) -> list:
    n = int(drawn["n_rated"].sum()) if drawn.height else 0
    if n < max(_min_survey_n(view), 1):
        return headline(f"Not shown: {fmt_int(n)} survey answers, fewer than the "
                        f"{fmt_int(_min_survey_n(view))} needed.")
    satisfied = int(drawn["n_satisfied"].sum())
    low, high = cf.wilson_interval(satisfied, n)
    return headline(html.Strong(fmt_pct(satisfied / n)), f" satisfied (95% CI {fmt_pct(low)} – "
                    f"{fmt_pct(high)}), on {fmt_int(n)} survey answers.",
                    note=section.segment_note(view, "job-seekers' answers"))


SATISFACTION = Indicator(
    id="quality-satisfaction", title="Satisfaction by channel, with its 95% confidence interval",
    about=lambda view: (
        "Survey answers of 4 or 5 out of 5 ÷ survey answers, per channel of the contact rated. "
        "The bar is the 95% Wilson score interval: built this way from 100 samples, about 95 "
        "intervals would hold the true share; it is wider when answers are few. Nothing is "
        "shown for fewer than "
        f"{fmt_int(_min_survey_n(view))} answers (setting min_survey_n)."),
    source="marts.mart_contacts_monthly",
    frame=lambda view: cf.satisfaction_frame(cq.quality_by_channel(view.wh, view.f),
                                             _min_survey_n(view)),
    draw=lambda drawn, view: cf.satisfaction_figure(drawn, _min_survey_n(view)),
    headline=_satisfaction_headline)


def _times_headline(drawn: pl.DataFrame, view: View) -> list:
    waits = drawn.filter((pl.col("measure") == "wait") & pl.col("median_s").is_not_null())
    if waits.is_empty():
        return headline("No waits recorded under these filters.")
    longest = waits.sort("median_s").row(waits.height - 1, named=True)
    return headline("Longest median wait: ", html.Strong(label(longest["channel"])), " ",
                    html.Strong(cf.fmt_duration(longest["median_s"])), "; 9 in 10 waited less "
                    f"than {cf.fmt_duration(longest['p90_s'])}.", note=section.segment_note(view))


TIMES = Indicator(
    id="quality-times", title="Wait and duration by channel: median and 90th percentile",
    about=("Wait: seconds from the user's arrival (agency), call or chat request to the start "
           "of the contact; duration: length of the contact. Median: half the contacts took "
           "less; 90th percentile: 9 in 10 took less. Read from histograms of 10-second bins "
           "(1 minute above 10 minutes, 10 minutes above 2 hours), interpolating within the bin, "
           "so a value is exact to within its bin. Contacts without a recorded time (e-mail, "
           "SMS, letters) are not counted."),
    source=("marts.mart_channel_durations_monthly, or its rollups without segments or without "
            "places when the filters allow"),
    frame=lambda view: cf.durations_frame(cq.duration_histograms(view.wh, view.f)),
    draw=lambda drawn, view: cf.durations_figure(drawn), headline=_times_headline)


def _resolution_headline(drawn: pl.DataFrame, view: View) -> list:
    n = int(drawn["n_resolution_known"].sum()) if drawn.height else 0
    resolved = int(drawn["n_resolved"].sum()) if drawn.height else 0
    return headline(html.Strong(fmt_pct(resolved / n if n else None)), f" of {fmt_int(n)} contacts "
                    "with a known outcome were resolved at the first contact.",
                    note=section.segment_note(view))


RESOLUTION = Indicator(
    id="quality-resolution", title="First-contact resolution by channel",
    about=lambda view: (
        "Contacts flagged as resolved at the first contact (is_resolved true) ÷ contacts with "
        "the flag filled, per channel. Contacts without the flag are not counted. Not shown for "
        f"a channel with fewer than {fmt_int(view.min_n) if view else 30} such contacts. Compare "
        "with the repeat-contact rate on the Journeys page, measured from behaviour."),
    source="marts.mart_contacts_monthly",
    frame=lambda view: cf.resolution_frame(cq.quality_by_channel(view.wh, view.f), view.min_n),
    draw=lambda drawn, view: cf.channel_rate_figure(
        drawn, "rate_resolved", "n_resolved", "n_resolution_known", "Resolved at first contact",
        "contacts with a known outcome", empty="No contacts with a known outcome match.",
        x_max=1.0),
    headline=_resolution_headline)


def _no_show_headline(drawn: pl.DataFrame, view: View) -> list:
    overall = drawn.filter(pl.col("segment") == "all")
    n = int(overall["n_appointments"].sum()) if overall.height else 0
    missed = int(overall["n_no_shows"].sum()) if overall.height else 0
    return headline(html.Strong(fmt_pct(missed / n if n else None)), f" of {fmt_int(n)} "
                    "job-seekers' appointments were missed.")


NO_SHOWS = Indicator(
    id="quality-no-shows", title="Appointment no-show rate by channel and segment",
    about=lambda view: (
        "Job-seekers' appointments missed (appointment_status no_show) ÷ appointments attended "
        "or missed, per channel of the appointment and value of the chosen segment; cancelled "
        "appointments are not counted. 'All job-seekers' is the channel's rate over every "
        f"segment. Not shown for fewer than {fmt_int(view.min_n) if view else 30} appointments."),
    source="marts.mart_contacts_monthly",
    frame=lambda view: cf.no_show_frame(
        cq.no_shows_by_channel_segment(view.wh, view.f, view.values.get("segment_by",
                                                                         "digital_skills")),
        view.values.get("segment_by", "digital_skills"), view.min_n),
    draw=lambda drawn, view: cf.no_show_figure(drawn, view.values.get("segment_by",
                                                                      "digital_skills")),
    headline=_no_show_headline, inputs=("segment_by",))

INDICATORS = (SATISFACTION, RESOLUTION, TIMES, NO_SHOWS)


def layout(**query) -> html.Div:
    return section.render(PATH, TITLE, INTRO, query, INDICATORS, EXTRAS,
                          rows=(("quality-satisfaction", "quality-resolution"),))


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=PATH, name=TITLE, order=4, layout=layout,
                       title=f"{TITLE} · PES Observatory",
                       description="Satisfaction, waits, resolution and no-shows by channel.")
    section.register(app, INDICATORS, EXTRAS)

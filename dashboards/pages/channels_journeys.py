"""Channels · journeys (/channels/journeys): where users bounce between channels.

Omnichannel journeys (first -> second -> third channel within 30 days), channel switching and
the repeat-contact rate ("failure demand"), from marts built by the pipeline.
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

PATH = "/channels/journeys"
TITLE = "Channels · Journeys"
EXTRAS = ("service",)
INTRO = ("Where do users bounce between channels? The channels a user goes through about one "
         "service within 30 days, how often they change channel, and how often they have to "
         "come back within a week.")
NOTE = ("Journeys and repeats count inbound contacts only: contacts the user made. Choose a "
        "service to follow one need; 'All services' adds up the journeys of every service.")


def _service(view: View) -> str | None:
    service = view.values.get("service", "all")
    return None if service == "all" else service


def _paths(view: View) -> pl.DataFrame:
    return cq.journey_paths(view.wh, view.f, _service(view))


def _sankey_headline(links: pl.DataFrame, view: View) -> list:
    first = links.filter(pl.col("step_from") == 1)
    total = int(first["n_journeys"].sum()) if first.height else 0
    multi = int(first.filter(pl.col("channel_to") != "none")["n_journeys"].sum()) \
        if first.height else 0
    return headline(html.Strong(fmt_int(total)), " complete journeys; ",
                    html.Strong(fmt_pct(multi / total if total else None)),
                    " had a second contact within 30 days.", note=section.segment_note(view))


SANKEY = Indicator(
    id="journeys-sankey", title="Journeys: first, second and third channel within 30 days",
    about=("A journey is one user's inbound contacts about one service: the first contact "
           "starts it, every contact at most 30 days (on the PES local clock) after that start "
           "belongs to it, and the first contact later than that starts the next journey. The "
           "flows show the channel of the 1st, 2nd and 3rd contact; 'No further contact' ends a "
           "one-contact journey. Contacts at the same instant are ordered by their id. Dated, "
           "placed and segmented by the first contact; only journeys whose 30 days ended inside "
           "the data are counted."),
    source="marts.mart_journeys_monthly (core.fct_journeys)",
    frame=lambda view: cf.sankey_frame(_paths(view)),
    draw=lambda drawn, view: cf.sankey_figure(drawn), headline=_sankey_headline,
    inputs=EXTRAS)


def _switching_headline(drawn: pl.DataFrame, view: View) -> list:
    multi = int(drawn["n_multi_contact"].sum()) if drawn.height else 0
    switching = int(drawn["n_switching"].sum()) if drawn.height else 0
    return headline(html.Strong(fmt_pct(switching / multi if multi else None)),
                    f" of {fmt_int(multi)} journeys with two contacts or more changed channel at "
                    "least once.", note=section.segment_note(view))


SWITCHING = Indicator(
    id="journeys-switching", title="Channel switching, by first channel",
    about=lambda view: (
        "Journeys with two contacts or more in which at least one contact used another channel "
        "than the contact before it ÷ journeys with two contacts or more, by the channel of the "
        "journey's first contact. Same journeys as the chart above. Not shown for a channel "
        f"with fewer than {fmt_int(view.min_n) if view else 30} such journeys."),
    source="marts.mart_journeys_monthly (core.fct_journeys)",
    frame=lambda view: cf.switching_frame(_paths(view), view.min_n),
    draw=lambda drawn, view: cf.channel_rate_figure(
        drawn, "rate_switching", "n_switching", "n_multi_contact", "Changed channel",
        "journeys with 2+ contacts", empty="No journeys with two contacts match these filters."),
    headline=_switching_headline, inputs=EXTRAS)


def _repeat_headline(drawn: pl.DataFrame, view: View) -> list:
    n = int(drawn["n_contacts"].sum()) if drawn.height else 0
    repeated = int(drawn["n_repeated_7d"].sum()) if drawn.height else 0
    parts = [html.Strong(fmt_pct(repeated / n if n else None)),
             f" of {fmt_int(n)} contacts were followed by another about the same service within "
             "7 days."]
    worst = drawn.filter(pl.col("rate_repeated_7d").is_not_null()).sort("rate_repeated_7d")
    if worst.height:
        parts += [" Highest after ", html.Strong(label(worst["channel"][-1])), " (",
                  fmt_pct(worst["rate_repeated_7d"][-1]), ")."]
    return headline(*parts, note=section.segment_note(view))


REPEATS = Indicator(
    id="journeys-repeats", title="Repeat-contact rate (failure demand), by first channel",
    about=lambda view: (
        "Inbound contacts followed by another inbound contact of the same user about the same "
        "service within 7 days (at most 7 × 24 hours later on the PES local clock; exactly 7 "
        "days counts, 7 days and 1 second does not) ÷ inbound contacts, by the channel of the "
        "first contact. A repeat suggests the first contact did not settle the need. Contacts "
        "in the last 7 days of the data are left out, their week not being over. Not shown for "
        f"a channel with fewer than {fmt_int(view.min_n) if view else 30} contacts."),
    source="marts.mart_repeat_contacts_monthly (core.fct_journey_contacts)",
    frame=lambda view: cf.repeat_frame(cq.repeat_contacts_by_channel(view.wh, view.f,
                                                                     _service(view)), view.min_n),
    draw=lambda drawn, view: cf.channel_rate_figure(
        drawn, "rate_repeated_7d", "n_repeated_7d", "n_contacts", "Repeated within 7 days",
        "contacts", empty="No inbound contacts match these filters."),
    headline=_repeat_headline, inputs=EXTRAS)

INDICATORS = (SANKEY, SWITCHING, REPEATS)


def layout(**query) -> html.Div:
    return section.render(PATH, TITLE, INTRO, query, INDICATORS, EXTRAS,
                          rows=(("journeys-switching", "journeys-repeats"),), note=NOTE)


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=PATH, name=TITLE, order=2, layout=layout,
                       title=f"{TITLE} · PES Observatory",
                       description="Omnichannel journeys, channel switching and repeat contacts.")
    section.register(app, INDICATORS, EXTRAS)

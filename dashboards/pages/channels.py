"""Channels (/channels): channel mix over time and dematerialisation by service step.

The first page of the Channels section (dashboards/pages/channels_section.py); it registers
the section's other pages: journeys, personalisation and exclusion, quality, caseloads.
"""

from __future__ import annotations

import dash
import plotly.graph_objects as go
import polars as pl
from dash import html

from dashboards import channel_figures as cf
from dashboards import channel_queries as cq
from dashboards.components.filters import COMMON
from dashboards.components.format import fmt_int, fmt_pct, label
from dashboards.pages import (
    channels_caseloads,
    channels_inclusion,
    channels_journeys,
    channels_quality,
)
from dashboards.pages import channels_section as section
from dashboards.pages.channels_section import Indicator, View, headline
from pipelines.contracts import DIGITAL_CHANNELS

PATH = "/channels"
TITLE = "Channels"
EXTRAS = ("measure", "direction")
INTRO = ("Are users moving to digital channels, and for which steps? Contacts by channel over "
         "time, and how much of each service step is done online, by the users themselves, or "
         "online with staff help.")
DIRECTION_WORDS = {"all": "", "inbound": " inbound", "outbound": " outbound"}


def _direction(view: View) -> str:
    return view.values.get("direction", "all")


# -- 1. channel mix ----------------------------------------------------------------------------

def _mix_frame(view: View) -> pl.DataFrame:
    return cf.mix_frame(cq.contacts_by_channel(view.wh, view.f, _direction(view)))


def _mix_draw(drawn: pl.DataFrame, view: View) -> go.Figure:
    return cf.mix_figure(drawn, view.values.get("measure", "volume"))


def _mix_headline(drawn: pl.DataFrame, view: View) -> list:
    total = int(drawn["n_contacts"].sum()) if drawn.height else 0
    digital = int(drawn.filter(pl.col("channel").is_in(list(DIGITAL_CHANNELS)))["n_contacts"]
                  .sum()) if drawn.height else 0
    return headline(html.Strong(fmt_pct(digital / total if total else None)),
                    f" of {fmt_int(total)}{DIRECTION_WORDS[_direction(view)]} contacts went "
                    "through a digital channel.", note=section.segment_note(view))


MIX = Indicator(
    id="channels-mix", title="Channel mix over time",
    about=("Contacts per month and channel, as a count or as a share of the month's contacts; "
           "choose Inbound (the user contacted the PES) or Outbound (the PES contacted the "
           "user) to see them apart. A contact is one row of the interaction logs. The headline "
           "is the digital share over the period: contacts through web, app, e-mail, video, "
           "chat, SMS or kiosk ÷ all contacts."),
    source="marts.mart_channel_contacts_monthly", frame=_mix_frame, draw=_mix_draw,
    headline=_mix_headline, inputs=EXTRAS)


# -- 2. dematerialisation by service step --------------------------------------------------------

def _steps_monthly(view: View) -> pl.DataFrame:
    return cq.service_steps_monthly(view.wh, view.f, _direction(view))


def _steps_trend_headline(drawn: pl.DataFrame, view: View) -> list:
    if drawn.is_empty():
        return headline("No contacts for these steps.")
    months = drawn["month"].unique().sort()
    first, last = months.min(), months.max()

    def share(month):
        part = drawn.filter(pl.col("month") == month)
        n = part["n_contacts"].sum()
        return part["n_digital"].sum() / n if n else None

    a, b = share(first), share(last)
    change = "" if a is None or b is None else (
        f" ({'+' if b >= a else '−'}{abs(b - a) * 100:.1f} points)")
    return headline("Online share of the five steps: ", html.Strong(fmt_pct(a)),
                    f" in {first:%b %Y}, ", html.Strong(fmt_pct(b)), f" in {last:%b %Y}{change}.",
                    note=section.segment_note(view))


STEPS_TREND = Indicator(
    id="channels-steps-trend", title="Dematerialisation by service step: online share by month",
    about=("For registration, appointment booking, job-search reporting, benefit claims and "
           "recruitment events: contacts through a digital channel ÷ all contacts of the step, "
           "per month. Follows the Direction choice."),
    source="marts.mart_contacts_monthly",
    frame=lambda view: cf.steps_trend_frame(_steps_monthly(view)),
    draw=lambda drawn, view: cf.steps_trend_figure(drawn), headline=_steps_trend_headline,
    inputs=("direction",))


def _steps_headline(drawn: pl.DataFrame, view: View) -> list:
    if drawn.is_empty():
        return headline("No contacts for these steps.")
    n_digital = drawn["n_digital"].sum()
    assisted = drawn["n_digital_assisted"].sum() / n_digital if n_digital else None
    best = drawn.filter(pl.col("share_online").is_not_null()).sort("share_online").tail(1)
    parts = ["Assisted-digital rate over the five steps: ", html.Strong(fmt_pct(assisted)), "."]
    if best.height:
        parts += [" Most online: ", html.Strong(label(best["service"][0])), " (",
                  fmt_pct(best["share_online"][0]), ")."]
    return headline(*parts, note=section.segment_note(view))


STEPS = Indicator(
    id="channels-steps", title="Online, self-service and assisted-digital rates by step",
    about=("Over the period, per service step. Online share: contacts through a digital "
           "channel ÷ all contacts. Self-service share: contacts not assisted by staff "
           "(is_staff_assisted false) ÷ all contacts. Assisted-digital rate: digital contacts "
           "in which staff helped the user ÷ digital contacts (the UK 'assisted digital' "
           "measure). Follows the Direction choice."),
    source="marts.mart_contacts_monthly",
    frame=lambda view: cf.steps_frame(_steps_monthly(view)),
    draw=lambda drawn, view: cf.steps_figure(drawn), headline=_steps_headline,
    inputs=("direction",))


# -- where digital channels are used -------------------------------------------------------------

def _share_headline(key_label: str):
    def make(drawn: pl.DataFrame, view: View) -> list:
        shown = drawn.filter(pl.col("n_contacts") > 0)
        if shown.is_empty():
            return headline("No contacts match these filters.")
        top, bottom = shown.row(0, named=True), shown.row(shown.height - 1, named=True)
        name = "region_name" if key_label == "region" else key_label
        return headline("Highest: ", html.Strong(f"{_name(top, name)} {fmt_pct(top['share_digital'])}"),
                        "; lowest: ",
                        html.Strong(f"{_name(bottom, name)} {fmt_pct(bottom['share_digital'])}"),
                        ".", note=section.segment_note(view))
    return make


def _name(row: dict, column: str) -> str:
    return row[column] if column == "region_name" else label(row[column])


BY_SERVICE = Indicator(
    id="channels-by-service", title="Digital share by service",
    about=("Every service, not only the five steps: contacts through a digital channel ÷ all "
           "contacts of the service, over the period. Follows the Direction choice."),
    source="marts.mart_contacts_monthly",
    frame=lambda view: cq.digital_share_by_service(view.wh, view.f, _direction(view)),
    draw=lambda drawn, view: cf.share_bars(drawn, "service"),
    headline=_share_headline("service"), inputs=("direction",))

BY_REGION = Indicator(
    id="channels-by-region", title="Digital share by region",
    about=("Contacts through a digital channel ÷ all contacts, per region of the agency that "
           "handled the contact. Follows the Direction choice."),
    source="marts.mart_channel_contacts_monthly",
    frame=lambda view: cq.digital_share_by_region(view.wh, view.f, _direction(view)),
    draw=lambda drawn, view: cf.share_bars(drawn, "region_code", label_column="region_name"),
    headline=_share_headline("region"), inputs=("direction",))


def _segment_headline(drawn: pl.DataFrame, view: View) -> list:
    skills = drawn.filter((pl.col("segment_type") == "digital_skills")
                          & pl.col("segment").is_in(["none", "above_basic"]))
    shares = {r["segment"]: r["share_digital"] for r in skills.iter_rows(named=True)}
    if not shares:
        return headline("No job-seeker contacts match these filters.")
    return headline("Digital share with no digital skills: ",
                    html.Strong(fmt_pct(shares.get("none"))), "; above basic skills: ",
                    html.Strong(fmt_pct(shares.get("above_basic"))), ".")


BY_SEGMENT = Indicator(
    id="channels-by-segment", title="Digital share by job-seeker segment",
    about=("Job-seeker contacts only (employers have no segment): contacts through a digital "
           "channel ÷ all contacts, per age band, education level, digital skills and support "
           "tier, read from the registration spell current at the contact. Follows the "
           "Direction choice."),
    source="marts.mart_channel_contacts_monthly",
    frame=lambda view: cq.digital_share_by_segment(view.wh, view.f, _direction(view)),
    draw=lambda drawn, view: cf.segment_shares_figure(drawn), headline=_segment_headline,
    inputs=("direction",))

INDICATORS = (MIX, STEPS_TREND, STEPS, BY_SERVICE, BY_REGION, BY_SEGMENT)


def layout(**query) -> html.Div:
    """The page for a URL query such as ?measure=share&direction=inbound&region=FRK."""
    return section.render(PATH, TITLE, INTRO, query, INDICATORS, EXTRAS,
                          rows=(("channels-by-service", "channels-by-region"),))


# -- callbacks kept callable with the shared filters alone (tests and older links) -------------

def update_mix(month_from, month_to, region, age_band, digital_skills, support_tier, measure,
               direction) -> go.Figure:
    raw = dict(zip((*COMMON, *EXTRAS), (month_from, month_to, region, age_band, digital_skills,
                                        support_tier, measure, direction), strict=True))
    return section.update(MIX, EXTRAS, raw)[0]


def update_shares(month_from, month_to, region, age_band, digital_skills, support_tier,
                  direction) -> tuple[go.Figure, go.Figure, go.Figure]:
    raw = dict(zip((*COMMON, "direction"), (month_from, month_to, region, age_band,
                                            digital_skills, support_tier, direction), strict=True))
    return tuple(section.update(ind, EXTRAS, raw)[0] for ind in (BY_SERVICE, BY_REGION, BY_SEGMENT))


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=PATH, name=TITLE, order=1, layout=layout,
                       title=f"{TITLE} · PES Observatory",
                       description="Channel mix and dematerialisation of PES contacts.")
    section.register(app, INDICATORS, EXTRAS)
    section.register_subnav(app)
    for sub_page in (channels_journeys, channels_inclusion, channels_quality, channels_caseloads):
        sub_page.register(app)

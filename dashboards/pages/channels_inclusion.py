"""Channels · inclusion (/channels/inclusion): who is being left behind?

Personalisation (channel use by segment, and how it changes; digital contacts that come back
offline) and the digital-exclusion watch (active job-seekers with only offline contacts).
"""

from __future__ import annotations

import dash
import polars as pl
from dash import dcc, html

from dashboards import channel_figures as cf
from dashboards import channel_queries as cq
from dashboards.components import filters
from dashboards.components.format import fmt_int, fmt_pct
from dashboards.pages import channels_section as section
from dashboards.pages.channels_section import Indicator, View, headline

PATH = "/channels/inclusion"
TITLE = "Channels · Inclusion"
EXTRAS = ("segment_by", "direction", "rank_by")
INTRO = ("Who is being left behind? How each group of job-seekers reaches the PES and how that "
         "changes, whether those sent online come back through an agency or the phone, and "
         "where job-seekers only ever use offline channels.")
NOTE = ("These indicators are about job-seekers: the User type filter does not apply, and "
        "employer contacts are left out.")
OFFLINE = "agency desk, event, phone or letter"


def _segment_by(view: View) -> str:
    return view.values.get("segment_by", "digital_skills")


def _segment_word(view: View) -> str:
    return cf.SEGMENT_TYPE_LABELS[_segment_by(view)].lower()


def _extremes(totals: pl.DataFrame, value: str) -> tuple[dict, dict] | None:
    shown = totals.filter(pl.col(value).is_not_null()).sort(value)
    if shown.is_empty():
        return None
    return shown.row(shown.height - 1, named=True), shown.row(0, named=True)


# -- 4. personalisation ------------------------------------------------------------------------

def _channel_use(view: View) -> pl.DataFrame:
    return cq.channel_use_by_segment(view.wh, view.f, _segment_by(view),
                                     view.values.get("direction", "all"))


def _channel_use_headline(drawn: pl.DataFrame, view: View) -> list:
    offline = ~pl.col("channel").is_in(list(cf.DIGITAL_CHANNELS))
    totals = drawn.group_by("segment").agg(
        pl.col("share_of_segment").filter(offline).sum().alias("share_offline"))
    ends = _extremes(totals, "share_offline")
    if ends is None:
        return headline("No job-seeker contacts match these filters.")
    high, low = ends
    return headline("Offline share (", OFFLINE, "): ",
                    html.Strong(f"{cf.segment_label(high['segment'])} {fmt_pct(high['share_offline'])}"),
                    " vs ", html.Strong(f"{cf.segment_label(low['segment'])} "
                                        f"{fmt_pct(low['share_offline'])}"), ".")


CHANNEL_USE = Indicator(
    id="inclusion-channel-use", title="Channel use by segment",
    about=("Job-seekers' contacts over the period, per value of the chosen segment: each "
           "channel's contacts ÷ all the segment's contacts. Follows the Direction choice: "
           "Outbound shows the channels the PES chose to reach each group, Inbound the ones the "
           "job-seekers chose. The segment is read from the registration spell current at the "
           "contact."),
    source="marts.mart_channel_contacts_monthly",
    frame=lambda view: cf.channel_use_frame(_channel_use(view), _segment_by(view)),
    draw=lambda drawn, view: cf.channel_use_figure(drawn, _segment_by(view)),
    headline=_channel_use_headline, inputs=("segment_by", "direction"))


def _trend_headline(drawn: pl.DataFrame, view: View) -> list:
    if drawn.is_empty():
        return headline("No job-seeker contacts match these filters.")
    first, last = drawn["month"].min(), drawn["month"].max()
    parts: list = []
    for segment in drawn["segment"].unique().sort().to_list():
        part = drawn.filter(pl.col("segment") == segment)
        a = part.filter(pl.col("month") == first)["share_offline"]
        b = part.filter(pl.col("month") == last)["share_offline"]
        if a.len() and b.len() and a[0] is not None and b[0] is not None:
            parts.append((abs(b[0] - a[0]), segment, a[0], b[0]))
    if not parts:
        return headline("Not enough months to compare.")
    _, segment, a, b = max(parts)
    return headline("Largest change: ", html.Strong(cf.segment_label(segment)), ", offline share ",
                    html.Strong(fmt_pct(a)), f" in {first:%b %Y} → ", html.Strong(fmt_pct(b)),
                    f" in {last:%b %Y}.")


OFFLINE_TREND = Indicator(
    id="inclusion-offline-trend", title="How it changes: offline share by segment and month",
    about=(f"Per month and value of the chosen segment: job-seekers' contacts through an {OFFLINE} "
           "÷ all their contacts. A falling line means the group is moving online. Follows the "
           "Direction choice."),
    source="marts.mart_channel_contacts_monthly",
    frame=lambda view: cf.offline_trend_frame(_channel_use(view)),
    draw=lambda drawn, view: cf.segment_lines_figure(
        drawn, _segment_by(view), "share_offline", "n_offline", "n_contacts", "Offline share",
        "contacts", empty="No job-seeker contacts match these filters."),
    headline=_trend_headline, inputs=("segment_by", "direction"))


def _bounce_headline(drawn: pl.DataFrame, view: View) -> list:
    totals = drawn.group_by("segment").agg(pl.col("n_digital_contacts", "n_back_offline").sum()) \
        .with_columns(rate=pl.when(pl.col("n_digital_contacts") >= view.min_n).then(
            pl.col("n_back_offline") / pl.col("n_digital_contacts")))
    ends = _extremes(totals, "rate")
    if ends is None:
        return headline("Too few digital contacts to show.")
    high, low = ends
    return headline("Came back offline within 7 days: ",
                    html.Strong(f"{cf.segment_label(high['segment'])} {fmt_pct(high['rate'])}"),
                    " vs ", html.Strong(f"{cf.segment_label(low['segment'])} {fmt_pct(low['rate'])}"),
                    " of their digital contacts.")


BOUNCE_BACK = Indicator(
    id="inclusion-bounce-back", title="Pushed online, then back offline?",
    about=lambda view: (
        "Per month and value of the chosen segment: job-seekers' inbound digital contacts "
        f"followed within 7 days by an inbound contact about the same service through an {OFFLINE} "
        "÷ their inbound digital contacts. Contacts in the last 7 days of the data are left out. "
        f"Not shown for fewer than {fmt_int(view.min_n) if view else 30} digital contacts."),
    source="marts.mart_repeat_contacts_monthly",
    frame=lambda view: cf.bounce_back_frame(
        cq.bounce_back_by_segment(view.wh, view.f, _segment_by(view)), view.min_n),
    draw=lambda drawn, view: cf.segment_lines_figure(
        drawn, _segment_by(view), "rate_back_offline", "n_back_offline", "n_digital_contacts",
        "Back offline within 7 days", "digital contacts",
        empty="Too few digital contacts match these filters."),
    headline=_bounce_headline, inputs=("segment_by",))


# -- 5. digital-exclusion watch ----------------------------------------------------------------

EXCLUSION_DEFINITION = (
    "An active job-seeker made at least one inbound contact (one they initiated) in the period; "
    f"they are offline-only when none of those contacts was digital: all went through an {OFFLINE}. "
    "Messages the PES sends are not counted: the user did not choose their channel. ")


def _groups_headline(drawn: pl.DataFrame, view: View) -> list:
    total = drawn.filter(pl.col("group_type") == "all")
    if total.is_empty() or total["n_active"][0] == 0:
        return headline("No active job-seekers match these filters.")
    r = total.row(0, named=True)
    return headline(html.Strong(fmt_pct(r["share_offline_only"])), " of ",
                    html.Strong(fmt_int(r["n_active"])), " active job-seekers had only offline "
                    "contacts in the period.")


EXCLUSION_GROUPS = Indicator(
    id="exclusion-groups", title="Digital-exclusion watch: offline-only job-seekers by segment "
                                 "and region",
    about=lambda view: (
        EXCLUSION_DEFINITION + "Share = offline-only job-seekers ÷ active job-seekers, over the "
        "whole period, per segment value and region. Each job-seeker counts once, in the place "
        "and segment of their last inbound contact in the period, so the groups add up to the "
        f"total. Not shown for fewer than {fmt_int(view.min_n) if view else 30} active "
        "job-seekers."),
    source="marts.mart_jobseeker_contact_profiles (from mart_jobseeker_contact_months)",
    frame=lambda view: cf.exclusion_groups_frame(cq.exclusion_by_group(view.wh, view.f),
                                                 view.min_n),
    draw=lambda drawn, view: cf.exclusion_groups_figure(drawn), headline=_groups_headline)


def _exclusion_trend_headline(drawn: pl.DataFrame, view: View) -> list:
    overall = drawn.filter((pl.col("segment") == "all")
                           & pl.col("share_offline_only").is_not_null()).sort("month")
    if overall.is_empty():
        return headline("No active job-seekers match these filters.")
    a, b = overall.row(0, named=True), overall.row(overall.height - 1, named=True)
    return headline("Offline-only in the month: ", html.Strong(fmt_pct(a["share_offline_only"])),
                    f" in {a['month']:%b %Y}, ", html.Strong(fmt_pct(b["share_offline_only"])),
                    f" in {b['month']:%b %Y}.")


EXCLUSION_TREND = Indicator(
    id="exclusion-trend", title="How the offline-only share trends, month by month",
    about=lambda view: (
        EXCLUSION_DEFINITION + "Here each month stands alone: job-seekers active in the month "
        "whose inbound contacts of the month were all offline ÷ job-seekers active in the "
        "month; the thick line is all job-seekers, the others the chosen segment. A month's share "
        "is higher than the period's, as a month leaves less time to use a digital channel. Not "
        f"shown for fewer than {fmt_int(view.min_n) if view else 30} active job-seekers."),
    source="marts.mart_jobseeker_contact_months",
    frame=lambda view: cf.exclusion_trend_frame(
        cq.exclusion_monthly(view.wh, view.f, _segment_by(view)), view.min_n),
    draw=lambda drawn, view: cf.segment_lines_figure(
        drawn, _segment_by(view), "share_offline_only", "n_offline_only", "n_active",
        "Offline-only share", "active job-seekers",
        empty="No active job-seekers match these filters."),
    headline=_exclusion_trend_headline, inputs=("segment_by",))


def _rank_by(view: View) -> str:
    return view.values.get("rank_by", "agency")


def _drill_href(view: View, code: str) -> str:
    """The same view narrowed to one agency, or to one region ranked by its agencies."""
    values = dict(view.values)
    if _rank_by(view) == "agency":
        values["agency"] = [code]
    else:
        values["region"], values["rank_by"] = [code], "agency"
    return dash.get_relative_path(PATH) + filters.to_search(values)


def ranking_table(drawn: pl.DataFrame, view: View) -> html.Table | html.P:
    if drawn.is_empty():
        return html.P("No active job-seekers match these filters.", className="notice")
    what = "Agency" if _rank_by(view) == "agency" else "Region"
    head = html.Thead(html.Tr([html.Th(t, scope="col") for t in (
        "Rank", what, "Region", "Active job-seekers", "Offline only", "Share offline only")]))
    rows = []
    for r in drawn.iter_rows(named=True):
        name = dcc.Link(r["name"] or r["code"], href=_drill_href(view, r["code"]),
                        title=f"Show {r['name']} only")
        rows.append(html.Tr([
            html.Td(str(r["rank"]) if r["rank"] is not None else "–", className="num"),
            html.Th(name, scope="row"),
            html.Td(r["region_name"] or "–"),
            html.Td(fmt_int(r["n_active"]), className="num"),
            html.Td(fmt_int(r["n_offline_only"]), className="num"),
            html.Td(fmt_pct(r["share_offline_only"]) if r["share_offline_only"] is not None
                    else "too few to rank", className="num"),
        ]))
    caption = (f"{what}s ranked by the share of active job-seekers with only offline contacts "
               "over the period; follow a name to narrow the page to it.")
    return html.Table([html.Caption(caption), head, html.Tbody(rows)],
                      className="ranking-table")


def _ranking_headline(drawn: pl.DataFrame, view: View) -> list:
    ranked = drawn.filter(pl.col("rank").is_not_null())
    if ranked.is_empty():
        return headline("Too few active job-seekers to rank.")
    top = ranked.row(0, named=True)
    return headline("Highest: ", html.Strong(f"{top['name']} {fmt_pct(top['share_offline_only'])}"),
                    f" ({fmt_int(top['n_offline_only'])} of {fmt_int(top['n_active'])}).")


EXCLUSION_RANKING = Indicator(
    id="exclusion-ranking", title="Where offline-only job-seekers are most common",
    about=lambda view: (
        EXCLUSION_DEFINITION + "Agencies (or regions) ranked by the offline-only share over the "
        "period, highest first, with the numbers behind it; each job-seeker counts in the agency "
        "of their last inbound contact in the period. Those with fewer than "
        f"{fmt_int(view.min_n) if view else 30} active job-seekers are listed last, unranked: "
        "shares on so few people swing by chance."),
    source="marts.mart_jobseeker_contact_profiles",
    frame=lambda view: cf.exclusion_ranking_frame(
        cq.exclusion_ranking(view.wh, view.f, _rank_by(view)), view.min_n),
    draw=ranking_table, headline=_ranking_headline, inputs=("rank_by",), kind="table")

INDICATORS = (CHANNEL_USE, OFFLINE_TREND, BOUNCE_BACK, EXCLUSION_GROUPS, EXCLUSION_TREND,
              EXCLUSION_RANKING)


def layout(**query) -> html.Div:
    return section.render(PATH, TITLE, INTRO, query, INDICATORS, EXTRAS, note=NOTE,
                          rows=(("inclusion-offline-trend", "inclusion-bounce-back"),))


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=PATH, name=TITLE, order=3, layout=layout,
                       title=f"{TITLE} · PES Observatory",
                       description="Channel use by segment and the digital-exclusion watch.")
    section.register(app, INDICATORS, EXTRAS)

"""Channels · caseloads (/channels/caseloads): are counsellors' caseloads where they should be?

The distribution of caseload per counsellor by support tier against the norms, with the
counsellors outside the norm counted, at the period's end and month by month.
"""

from __future__ import annotations

import dash
import polars as pl
from dash import html

from dashboards import channel_figures as cf
from dashboards import channel_queries as cq
from dashboards.components.format import fmt_int
from dashboards.pages import channels_section as section
from dashboards.pages.channels_section import Indicator, View, headline

PATH = "/channels/caseloads"
TITLE = "Channels · Caseloads"
EXTRAS: tuple[str, ...] = ()
INTRO = ("Are counsellors' caseloads where they should be? Job-seekers per counsellor by "
         "support tier, against the norms: intensive at most 70, guided 100 to 150, follow-up "
         "200 to 350.")
NOTE = ("A caseload counts all a counsellor's job-seekers, so the user type, age band, "
        "education and digital skills filters do not apply; Support tier selects the "
        "counsellors' portfolios, Region and Agency where they work.")
CASELOAD_DEFINITION = (
    "A counsellor's caseload at a month's end: the job-seekers registered at that date whose "
    "latest contact with a named counsellor during their registration spell was with this one "
    "(the register names no counsellor; a spell with no such contact yet is in no caseload). "
    "The counsellor's tier is the support tier of most of the caseload. Norms (press reports of "
    "Pôle emploi norms, 2013-16): follow-up (autonomous tier) 200 to 350, guided 100 to 150, "
    "intensive at most 70; our sources give none for the global tier. ")


def _points(view: View) -> pl.DataFrame:
    return cf.caseload_points_frame(cq.caseloads_at(view.wh, view.f))


def _distribution_headline(drawn: pl.DataFrame, view: View) -> list:
    if drawn.is_empty():
        return headline("No counsellor caseloads match these filters.")
    below = int((drawn["norm_status"] == "below").sum())
    above = int((drawn["norm_status"] == "above").sum())
    return headline(f"End of {view.f.month_to:%b %Y}: ", html.Strong(fmt_int(below + above)),
                    f" of {fmt_int(drawn.height)} counsellors outside their tier's norm (",
                    f"{fmt_int(below)} below, {fmt_int(above)} above).")


DISTRIBUTION = Indicator(
    id="caseloads-distribution", title="Caseload per counsellor by tier, against the norm",
    about=(CASELOAD_DEFINITION + "Each dot is one counsellor at the end of the period's last "
           "month, over a box of the middle half; the shaded band is the norm."),
    source="marts.mart_caseloads_monthly (norms: core.dim_caseload_norm)",
    frame=_points, draw=lambda drawn, view: cf.caseload_figure(drawn),
    headline=_distribution_headline)


def summary_table(drawn: pl.DataFrame, view: View) -> html.Table | html.P:
    if drawn.is_empty():
        return html.P("No counsellor caseloads match these filters.", className="notice")
    head = html.Thead(html.Tr([html.Th(t, scope="col") for t in (
        "Tier", "Norm", "Counsellors", "Median caseload", "Below the norm", "Within",
        "Above the norm")]))
    body = html.Tbody([html.Tr([
        html.Th(cf.TIER_LABELS.get(r["support_tier"], r["support_tier"]), scope="row"),
        html.Td(r["norm_label"] or "–"),
        html.Td(fmt_int(r["n_counsellors"]), className="num"),
        html.Td(fmt_int(r["median_caseload"]), className="num"),
        html.Td(fmt_int(r["n_below_norm"]), className="num"),
        html.Td(fmt_int(r["n_within_norm"]), className="num"),
        html.Td(fmt_int(r["n_above_norm"]), className="num"),
    ]) for r in drawn.iter_rows(named=True)])
    caption = f"Counsellors by tier at the end of {view.f.month_to:%b %Y}."
    return html.Table([html.Caption(caption), head, body], className="ranking-table")


def _summary_headline(drawn: pl.DataFrame, view: View) -> list:
    if drawn.is_empty():
        return headline("No counsellor caseloads match these filters.")
    within = int(drawn["n_within_norm"].sum())
    normed = int(drawn.filter(pl.col("norm_label") != "No published norm")["n_counsellors"].sum())
    return headline(html.Strong(fmt_int(within)), f" of {fmt_int(normed)} counsellors with a "
                    "norm are within it.")


SUMMARY = Indicator(
    id="caseloads-summary", title="Counsellors outside the norm, by tier",
    about=(CASELOAD_DEFINITION + "Counted at the end of the period's last month: below means "
           "fewer job-seekers than the norm's lower bound, above more than its upper bound."),
    source="marts.mart_caseloads_monthly",
    frame=lambda view: cf.caseload_summary_frame(_points(view)), draw=summary_table,
    headline=_summary_headline, kind="table")


def _trend_headline(drawn: pl.DataFrame, view: View) -> list:
    if drawn.is_empty():
        return headline("No counsellor caseloads match these filters.")
    by_month = drawn.group_by("month").agg(pl.col("n_outside_norm").sum()).sort("month")
    a, b = by_month.row(0, named=True), by_month.row(by_month.height - 1, named=True)
    return headline("Counsellors outside the norm: ", html.Strong(fmt_int(a["n_outside_norm"])),
                    f" in {a['month']:%b %Y}, ", html.Strong(fmt_int(b["n_outside_norm"])),
                    f" in {b['month']:%b %Y}.")


TREND = Indicator(
    id="caseloads-trend", title="Counsellors outside the norm, month by month",
    about=(CASELOAD_DEFINITION + "Counsellors below or above their tier's norm at each month's "
           "end."),
    source="marts.mart_caseloads_monthly",
    frame=lambda view: cf.outside_norm_frame(cq.caseloads_monthly(view.wh, view.f)),
    draw=lambda drawn, view: cf.outside_norm_figure(drawn), headline=_trend_headline)

INDICATORS = (DISTRIBUTION, SUMMARY, TREND)


def layout(**query) -> html.Div:
    return section.render(PATH, TITLE, INTRO, query, INDICATORS, EXTRAS, note=NOTE)


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=PATH, name=TITLE, order=5, layout=layout,
                       title=f"{TITLE} · PES Observatory",
                       description="Caseload per counsellor by tier against the norms.")
    section.register(app, INDICATORS, EXTRAS)

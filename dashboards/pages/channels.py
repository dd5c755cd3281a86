"""Channels (/channels): channel mix over time and where digital channels are used."""

from __future__ import annotations

import logging

import dash
import duckdb
import plotly.graph_objects as go
from dash import Input, Output, dcc, html

from dashboards import db, figures, queries
from dashboards.components import filters, page
from dashboards.components.filters import COMMON, fid

TITLE = "Channels"
EXTRAS = ("measure", "direction")
GRAPHS = {
    "channels-mix": ("Channel mix over time",
                     "Contacts by channel per month; switch between volume and share of each "
                     "month. Hover a bar for counts."),
    "channels-by-service": ("Digital share by service step",
                            "Share of contacts made through a digital channel, per service."),
    "channels-by-region": ("Digital share by region",
                           "Share of contacts made through a digital channel, per region."),
    "channels-by-segment": ("Digital share by job-seeker segment",
                            "Job-seeker contacts only: employers have no age band, digital skills "
                            "or support tier."),
}
log = logging.getLogger(__name__)


def mix_figure(values: dict, wh: db.Warehouse) -> go.Figure:
    f = filters.to_filters(values)
    return figures.channel_mix(queries.contacts_by_channel(wh, f, values["direction"]),
                               values["measure"])


def share_figures(values: dict, wh: db.Warehouse) -> tuple[go.Figure, go.Figure, go.Figure]:
    f, direction = filters.to_filters(values), values["direction"]
    return (
        figures.share_bars(queries.digital_share_by_service(wh, f, direction), "service"),
        figures.share_bars(queries.digital_share_by_region(wh, f, direction), "region_code",
                           label_column="region_name"),
        figures.segment_shares(queries.digital_share_by_segment(wh, f, direction)),
    )


def _section(graph_id: str, figure: go.Figure) -> html.Section:
    heading, caption = GRAPHS[graph_id]
    # The graph is responsive in width; its box keeps the figure's height so that it never
    # overflows the section.
    height = figure.layout.height or 420
    return html.Section([
        html.H2(heading, id=f"{graph_id}-heading"),
        html.P(caption, className="chart-caption"),
        dcc.Graph(id=graph_id, figure=figure, config=figures.GRAPH_CONFIG,
                  style={"height": f"{height}px"}),
    ], className="chart", **{"aria-labelledby": f"{graph_id}-heading"})


def _body(values: dict, wh: db.Warehouse, settings, meta: dict) -> list:
    service, region, segment = share_figures(values, wh)
    return [
        _section("channels-mix", mix_figure(values, wh)),
        html.Div([_section("channels-by-service", service),
                  _section("channels-by-region", region)], className="chart-row"),
        _section("channels-by-segment", segment),
    ]


def layout(**query) -> html.Div:
    """The page for a URL query such as ?measure=share&direction=inbound&region=FRK."""
    return page.render(TITLE, query, _body, EXTRAS)


def _failed(error: Exception, n: int):
    if isinstance(error, db.NoDataYet):
        message = "No data yet: run `observatory refresh`."
    else:
        log.error("cannot read the published warehouse: %s", error)
        message = "The published warehouse could not be read."
    blank = figures.empty_figure(message)
    return blank if n == 1 else (blank,) * n


def update_mix(month_from, month_to, region, age_band, digital_skills, support_tier, measure,
               direction) -> go.Figure:
    raw = dict(zip((*COMMON, *EXTRAS), (month_from, month_to, region, age_band, digital_skills,
                                        support_tier, measure, direction), strict=True))
    try:
        wh = db.current_warehouse()
        values, _meta = page.validated(wh, raw, EXTRAS)
        return mix_figure(values, wh)
    except (db.NoDataYet, duckdb.Error) as error:
        return _failed(error, 1)


def update_shares(month_from, month_to, region, age_band, digital_skills, support_tier,
                  direction) -> tuple[go.Figure, go.Figure, go.Figure]:
    raw = dict(zip((*COMMON, "direction"), (month_from, month_to, region, age_band,
                                            digital_skills, support_tier, direction), strict=True))
    try:
        wh = db.current_warehouse()
        values, _meta = page.validated(wh, raw, EXTRAS)
        return share_figures(values, wh)
    except (db.NoDataYet, duckdb.Error) as error:
        return _failed(error, 3)


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path="/channels", name=TITLE, order=1, layout=layout,
                       title=f"{TITLE} · PES Observatory",
                       description="Channel mix and digital share of PES contacts.")
    app.callback(
        Output("channels-mix", "figure"),
        *[Input(fid(name), "value") for name in (*COMMON, *EXTRAS)],
        prevent_initial_call=True,
    )(update_mix)
    app.callback(
        Output("channels-by-service", "figure"),
        Output("channels-by-region", "figure"),
        Output("channels-by-segment", "figure"),
        *[Input(fid(name), "value") for name in (*COMMON, "direction")],
        prevent_initial_call=True,
    )(update_shares)

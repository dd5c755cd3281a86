"""What the pages of the Channels section share: filters, sub-navigation, indicator blocks.

An indicator block is a heading, its headline number, a chart (or a table), the "about this
indicator" definition and a CSV export. Each block has one callback of its own, so that a
filter change redraws each chart in parallel, and the benchmark times each one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dash
import duckdb
import plotly.graph_objects as go
import polars as pl
from dash import ALL, Input, Output, dcc, html

from dashboards import channel_figures as cf
from dashboards import channel_queries as cq
from dashboards import db, figures, queries
from dashboards.channel_figures import segment_label
from dashboards.components import export, filters, page
from dashboards.components.filters import CHOICES, LABELS, URL_ID, dom_id, fid
from dashboards.components.format import fmt_month, label
from observatory import access
from pipelines.contracts import SERVICES

log = logging.getLogger(__name__)

# Every page of the section, in navigation order: (path, link text).
SECTION = (
    ("/channels", "Mix and digital steps"),
    ("/channels/journeys", "Journeys and repeat contacts"),
    ("/channels/inclusion", "Personalisation and digital exclusion"),
    ("/channels/quality", "Service quality"),
    ("/channels/caseloads", "Caseloads"),
)
# The filters of every page of the section (URL keys), in the order of the filter bar.
FILTERS = ("from", "to", "region", "agency", "user_type", "age_band", "education_level",
           "digital_skills", "support_tier")
SUBNAV = "channels-subnav"


@dataclass(frozen=True)
class View:
    """One request's validated filter values and what the indicators need to draw them."""

    values: dict[str, Any]
    f: cq.ChannelFilters
    wh: db.Warehouse
    settings: Any
    meta: dict[str, Any]

    @property
    def min_n(self) -> int:
        """Rates on fewer cases than this are not shown (settings: min_rate_denominator)."""
        return self.settings.disclosure.min_rate_denominator

    @property
    def period(self) -> str:
        return f"{self.values['from']}_{self.values['to']}"


@dataclass(frozen=True)
class Indicator:
    """One block of a page. ``frame`` runs the query and builds the drawn frame; ``draw`` and
    ``headline`` only read that frame, so the CSV export (``frame`` alone) equals the chart."""

    id: str
    title: str
    about: str | Callable[[View], str]
    source: str
    frame: Callable[[View], pl.DataFrame]
    draw: Callable[[pl.DataFrame, View], Any]
    headline: Callable[[pl.DataFrame, View], Any]
    inputs: tuple[str, ...] = ()  # page-specific controls it reads, beyond FILTERS
    kind: str = "graph"  # or "table"

    def about_text(self, view: View | None) -> str:
        return self.about(view) if callable(self.about) else self.about


# -- allowed values and validation -----------------------------------------------------------

# The dataset row, regions and agencies of the snapshot last read, by path and by the regions
# the user may see: every callback validates its controls against them, and they change only
# when a new snapshot is published.
_REFERENCE: dict[tuple[Path, frozenset[str] | None],
                 tuple[tuple, tuple[dict, pl.DataFrame, pl.DataFrame]]] = {}


def _reference(wh: db.Warehouse) -> tuple[dict, pl.DataFrame, pl.DataFrame]:
    try:
        st = os.stat(wh.path)
    except FileNotFoundError:
        raise db.NoDataYet(f"{wh.path} does not exist: run `observatory refresh`") from None
    identity = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
    key = (wh.path, access.allowed_regions())
    cached = _REFERENCE.get(key)
    if cached and cached[0] == identity:
        return cached[1]
    meta = queries.dataset_meta(wh).row(0, named=True)
    reference = (meta, queries.regions(wh), cq.agencies(wh))
    _REFERENCE[key] = (identity, reference)
    return reference


def allowed_values(meta: dict, regions: pl.DataFrame, agencies: pl.DataFrame,
                   extras: Sequence[str]) -> dict[str, list[str]]:
    """Each control's permitted values in display order."""
    months = filters.month_options(meta["data_from"], meta["data_to"])
    allowed: dict[str, list[str]] = {
        "from": months, "to": months, "region": regions["region_code"].to_list(),
        "agency": agencies["agency_code"].to_list(),
        "user_type": [v for v, _ in CHOICES["user_type"]],
        **{name: list(values) for name, values in cq.SEGMENTS.items()},
    }
    for name in extras:
        allowed[name] = (["all", *SERVICES] if name == "service"
                         else [v for v, _ in CHOICES[name]])
    return allowed


def to_channel_filters(values: Mapping[str, Any]) -> cq.ChannelFilters:
    base = filters.to_filters(values)
    return cq.ChannelFilters(
        base.month_from, base.month_to, region=base.region, age_band=base.age_band,
        digital_skills=base.digital_skills, support_tier=base.support_tier,
        agency=tuple(values.get("agency") or ()),
        education_level=tuple(values.get("education_level") or ()),
        user_type=values.get("user_type") or "all")


def view_for(raw: Mapping[str, Any], extras: Sequence[str]) -> View:
    """The view for raw control values (from a URL or a callback); anything unknown falls back
    to the default, so a crafted request never reaches a query."""
    wh = db.current_warehouse()
    meta, regions, agencies = _reference(wh)
    allowed = allowed_values(meta, regions, agencies, extras)
    values = filters.parse_query({k: v for k, v in raw.items() if v is not None}, allowed)
    return View(values, to_channel_filters(values), wh, db.current_settings(), meta)


# -- layout ------------------------------------------------------------------------------------

def _field(name: str, control) -> html.Div:
    return html.Div([html.Label(LABELS[name], htmlFor=dom_id(name), className="filter-label"),
                     control], className=f"filter-field filter-{name}")


def _radio(name: str, value: str) -> html.Fieldset:
    return html.Fieldset([html.Legend(LABELS[name], className="filter-label"),
                          dcc.RadioItems(id=fid(name), value=value, inline=True,
                                         options=[{"label": text, "value": v}
                                                  for v, text in CHOICES[name]])],
                         className=f"filter-field filter-{name}")


def filter_bar(values: Mapping[str, Any], allowed: Mapping[str, Sequence[str]],
               regions: pl.DataFrame, agencies: pl.DataFrame, extras: Sequence[str]
               ) -> html.Section:
    """The section's filters: native radios and labelled dropdowns, all reachable by keyboard."""
    month_opts = [{"label": fmt_month(dt.date(int(m[:4]), int(m[5:7]), 1)), "value": m}
                  for m in allowed["from"]]
    region_names = dict(regions.select("region_code", "region_name").iter_rows())
    fields: list = [
        _field(name, dcc.Dropdown(id=fid(name), options=month_opts, value=values[name],
                                  clearable=False))
        for name in filters.PERIOD
    ]
    fields.append(_field("region", dcc.Dropdown(
        id=fid("region"), multi=True, value=values["region"], placeholder="All regions",
        options=[{"label": f"{region_names.get(c, c)} ({c})", "value": c}
                 for c in allowed["region"]])))
    fields.append(_field("agency", dcc.Dropdown(
        id=fid("agency"), multi=True, value=values["agency"], placeholder="All agencies",
        options=[{"label": f"{r['agency_name']} ({r['agency_code']})", "value": r["agency_code"]}
                 for r in agencies.iter_rows(named=True)])))
    fields.append(_radio("user_type", values["user_type"]))
    fields += [
        _field(name, dcc.Dropdown(id=fid(name), multi=True, value=values[name], placeholder="All",
                                  options=[{"label": segment_label(v), "value": v}
                                           for v in allowed[name]]))
        for name in cq.SEGMENTS
    ]
    for name in extras:
        if name == "service":
            fields.append(_field(name, dcc.Dropdown(
                id=fid(name), value=values[name], clearable=False,
                options=[{"label": "All services" if v == "all" else label(v), "value": v}
                         for v in allowed[name]])))
        else:
            fields.append(_radio(name, values[name]))
    return html.Section([
        html.H2("Filters", className="visually-hidden", id="filters-heading"),
        html.Div(fields, className="filter-grid"),
        html.P("Segment filters (age band, education, digital skills, support tier) keep "
               "job-seekers only: employers have no segment.", className="filter-hint"),
        dcc.Location(id=URL_ID, refresh=False),
    ], className="filters", role="search", **{"aria-labelledby": "filters-heading"})


def section_search(search: str | None) -> str:
    """The section's shared filters of a query string, for links to its other pages."""
    return filters.carried_search(search, FILTERS)


def subnav(current: str, values: Mapping[str, Any]) -> html.Nav:
    search = section_search(filters.to_search(values))
    items = []
    for path, text in SECTION:
        # dcc.Link takes no aria-current: screen readers hear "(current page)" instead.
        children = [text, html.Span(" (current page)", className="visually-hidden")] \
            if path == current else text
        items.append(html.Li(dcc.Link(children, href=dash.get_relative_path(path) + search,
                                      id={"type": SUBNAV, "path": path},
                                      className="subnav-link" + (" active" if path == current
                                                                 else ""))))
    return html.Nav(html.Ul(items, className="subnav-list"), className="channels-subnav",
                    **{"aria-label": "Channels section"})


def _graph_style(figure: go.Figure) -> dict[str, str]:
    return {"height": f"{figure.layout.height or 420}px"}


def block(indicator: Indicator, view: View | None, drawn: pl.DataFrame | None,
          content: Any, headline: Any) -> html.Section:
    """One indicator: heading, headline number, chart or table, definition, CSV export."""
    heading_id = f"{indicator.id}-heading"
    if indicator.kind == "graph":
        body = dcc.Graph(id=indicator.id, figure=content, config=figures.GRAPH_CONFIG,
                         style=_graph_style(content))
    else:
        body = html.Div(content, id=f"{indicator.id}-table", className="indicator-table")
    return html.Section([
        html.H2(indicator.title, id=heading_id),
        html.Div(headline, id=f"{indicator.id}-headline", className="indicator-number",
                 **{"aria-live": "polite"}),
        body,
        html.Div([html.H3("About this indicator", className="indicator-about-title"),
                  html.P(indicator.about_text(view)),
                  html.P(["Source: ", html.Code(indicator.source)], className="indicator-source")],
                 className="indicator-about"),
        export.button(indicator.id),
    ], className="chart indicator", id=f"{indicator.id}-block",
        **{"aria-labelledby": heading_id})


def draw(indicator: Indicator, view: View) -> tuple[pl.DataFrame, Any, Any]:
    frame = indicator.frame(view)
    return frame, indicator.draw(frame, view), indicator.headline(frame, view)


def render(path: str, title: str, intro: str, query: Mapping[str, Any],
           indicators: Sequence[Indicator], extras: Sequence[str] = (),
           rows: Sequence[Sequence[str]] = (), note: str | None = None) -> html.Div:
    """A page of the section for a URL query; ``rows`` groups indicator ids side by side."""
    try:
        settings = db.current_settings()
        wh = db.current_warehouse()
        meta, regions, agencies = _reference(wh)
        allowed = allowed_values(meta, regions, agencies, extras)
        values = filters.parse_query(query, allowed)
        view = View(values, to_channel_filters(values), wh, settings, meta)
        blocks = {ind.id: block(ind, view, *draw(ind, view)) for ind in indicators}
    except db.NoDataYet:
        return page.no_data(title)
    except access.AccessDenied as error:
        return page.denied(title, error)
    except (duckdb.Error, IndexError):
        log.exception("cannot read the published warehouse")
        return page.unavailable(title)
    paired = {i for row in rows for i in row}
    content: list = []
    for ind in indicators:
        row = next((r for r in rows if ind.id in r), None)
        if row is None:
            content.append(blocks[ind.id])
        elif ind.id == row[0]:
            content.append(html.Div([blocks[i] for i in row], className="chart-row"))
    assert paired <= set(blocks)
    intro_children = [html.P(intro, className="section-intro")]
    if note:
        intro_children.append(html.P(note, className="section-note"))
    return html.Div([
        page.header(title, meta, settings.timezone),
        subnav(path, values),
        *intro_children,
        filter_bar(values, allowed, regions, agencies, extras),
        *content,
    ])


# -- callbacks ---------------------------------------------------------------------------------

def _failure_message(error: Exception) -> str:
    if isinstance(error, db.NoDataYet):
        return "No data yet: run `observatory refresh`."
    if isinstance(error, access.AccessDenied):
        return page.denied_message(error)
    log.error("cannot read the published warehouse: %s", error)
    return "The published warehouse could not be read."


def update(indicator: Indicator, extras: Sequence[str], raw: Mapping[str, Any]
           ) -> tuple[Any, ...]:
    """What an indicator's callback returns for raw control values."""
    try:
        view = view_for(raw, extras)
        _frame, content, headline = draw(indicator, view)
    except (db.NoDataYet, access.AccessDenied, duckdb.Error) as error:
        message = _failure_message(error)
        if indicator.kind == "graph":
            blank = cf.empty_figure(message)
            return blank, _graph_style(blank), message
        return html.P(message, className="notice"), message
    if indicator.kind == "graph":
        return content, _graph_style(content), headline
    return content, headline


def frame_for_export(indicator: Indicator, extras: Sequence[str], raw: Mapping[str, Any]
                     ) -> tuple[pl.DataFrame, str]:
    view = view_for(raw, extras)
    return indicator.frame(view), f"{indicator.id}_{view.period}.csv"


def register(app: dash.Dash, indicators: Sequence[Indicator], extras: Sequence[str]) -> None:
    """One callback per indicator, and its CSV export."""
    for indicator in indicators:
        names = (*FILTERS, *indicator.inputs)
        if indicator.kind == "graph":
            outputs = [Output(indicator.id, "figure"), Output(indicator.id, "style"),
                       Output(f"{indicator.id}-headline", "children")]
        else:
            outputs = [Output(f"{indicator.id}-table", "children"),
                       Output(f"{indicator.id}-headline", "children")]

        def callback(*args, _indicator=indicator, _names=names):
            return update(_indicator, extras, dict(zip(_names, args, strict=True)))

        app.callback(*outputs, *[Input(fid(name), "value") for name in names],
                     prevent_initial_call=True)(callback)
        export.register(app, indicator.id,
                        lambda raw, _indicator=indicator: frame_for_export(_indicator, extras, raw))


def register_subnav(app: dash.Dash) -> None:
    """The section's links carry its shared filters as they change."""

    @app.callback(
        Output({"type": SUBNAV, "path": ALL}, "href"),
        Input(URL_ID, "search"),
        prevent_initial_call=True,
    )
    def carry_section_filters(search):
        query = section_search(search)
        paths = [item["id"]["path"] for item in dash.ctx.outputs_list]
        # A forged request may name any path: those get the section's first page.
        return [dash.get_relative_path(p if isinstance(p, str) and p.startswith("/")
                                       else "/channels") + query for p in paths]


# -- headline helpers --------------------------------------------------------------------------

def headline(*parts: Any, note: str | None = None) -> list:
    """A headline: the numbers in bold parts, then an optional note on what does not apply."""
    children: list = [html.P(list(parts), className="indicator-value")]
    if note:
        children.append(html.P(note, className="indicator-note"))
    return children


def segment_note(view: View, applies_to: str = "job-seekers") -> str | None:
    if view.f.has_segment and view.f.user_type != "jobseeker":
        return f"Segment filters keep {applies_to} only."
    return None

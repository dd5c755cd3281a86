"""Pieces every page shows: the heading with data status, and the "no data yet" message."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import duckdb
from dash import html

from dashboards import db, queries
from dashboards.components import filters
from dashboards.components.format import fmt_month, fmt_timestamp
from observatory import access

log = logging.getLogger(__name__)


def header(title: str, meta: Mapping[str, Any], timezone: str) -> html.Div:
    """The page title, the synthetic-data badge and the data freshness note."""
    status = []
    if meta.get("is_synthetic"):
        status.append(html.Span("Synthetic demo data", className="badge badge-synthetic",
                                id="synthetic-badge",
                                title="Generated for demonstration: these are not real figures."))
    status.append(html.Span(
        [f"Data up to {fmt_month(meta['data_to'])}",
         f" · published {fmt_timestamp(meta['published_at'], timezone)}"],
        className="freshness", id="data-freshness"))
    return html.Div([html.H1(title), html.P(status, className="data-status")],
                    className="page-header")


def no_data(title: str) -> html.Div:
    return html.Div([
        html.H1(title),
        html.Div([
            html.P(["No data yet: run ", html.Code("observatory refresh"),
                    " to build and publish the warehouse, then reload this page."]),
        ], className="notice", role="status", id="no-data"),
    ], className="page-header")


def unavailable(title: str) -> html.Div:
    return html.Div([
        html.H1(title),
        html.P("The published warehouse could not be read. Check the logs of "
               "`observatory refresh`, then reload this page.",
               className="notice notice-error", role="alert", id="data-error"),
    ], className="page-header")


def denied(title: str, error: access.AccessDenied) -> html.Div:
    """What the page says instead of figures the user may not see (issue 8)."""
    return html.Div([
        html.H1(title),
        html.P(denied_message(error), className="notice", role="status", id="access-denied"),
    ], className="page-header")


def denied_message(error: access.AccessDenied) -> str:
    """The sentence a chart or page shows when access is refused: the reason, never a trace."""
    return str(error) or "You may not see these figures."


def render(title: str, query: Mapping[str, Any], body: Callable[..., list],
           extras: tuple[str, ...] = ()) -> html.Div:
    """A page: header and filters restored from the URL query, then ``body(values, wh, settings,
    meta)``.

    Shows a friendly message instead of a traceback when nothing is published yet.
    """
    try:
        settings = db.current_settings()
        wh = db.current_warehouse()
        meta = queries.dataset_meta(wh).row(0, named=True)
        region_df = queries.regions(wh)
        allowed = filters.allowed_values(meta["data_from"], meta["data_to"],
                                         region_df["region_code"].to_list(), extras)
        values = filters.parse_query(query, allowed)
        region_names = dict(region_df.iter_rows())
        content = body(values, wh, settings, meta)
    except db.NoDataYet:
        return no_data(title)
    except access.AccessDenied as error:
        return denied(title, error)
    except (duckdb.Error, IndexError):
        log.exception("cannot read the published warehouse")
        return unavailable(title)
    return html.Div([
        header(title, meta, settings.timezone),
        filters.filter_bar(values, allowed, region_names, extras),
        *content,
    ])


def validated(wh: db.Warehouse, raw: Mapping[str, Any], extras: tuple[str, ...] = ()
              ) -> tuple[dict, dict]:
    """Control values from a callback, checked like a URL query; and the dataset meta row.

    The browser only offers valid choices, but a request can be crafted: anything unknown
    falls back to the default rather than reaching a query.
    """
    meta = queries.dataset_meta(wh).row(0, named=True)
    allowed = filters.allowed_values(meta["data_from"], meta["data_to"],
                                     queries.regions(wh)["region_code"].to_list(), extras)
    return filters.parse_query({k: v for k, v in raw.items() if v is not None}, allowed), meta

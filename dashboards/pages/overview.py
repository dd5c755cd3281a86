"""Overview (/): headline indicators with their trend and change vs the previous period."""

from __future__ import annotations

import logging

import dash
import duckdb
from dash import Input, Output, html

from dashboards import db, queries
from dashboards.components import filters, kpi, page
from dashboards.components.filters import COMMON, fid
from observatory import access

TITLE = "Overview"
log = logging.getLogger(__name__)


def kpi_children(values: dict, wh: db.Warehouse, settings, data_from) -> list:
    """The KPI cards for validated filter values."""
    f = filters.to_filters(values)
    window = f.with_previous_period()
    kpis = kpi.overview_kpis(
        queries.contacts_monthly(wh, window), queries.jobseekers_monthly(wh, window),
        queries.vacancies_monthly(wh, window), f, data_from=data_from,
        min_survey_n=settings.min_survey_n)
    return kpi.kpi_grid(kpis, f)


def _body(values: dict, wh: db.Warehouse, settings, meta: dict) -> list:
    return [html.Section(
        [html.H2("Headline indicators", className="visually-hidden", id="kpis-heading"),
         html.Div(kpi_children(values, wh, settings, meta["data_from"]), id="overview-kpis",
                  className="kpi-grid", **{"aria-live": "polite"})],
        **{"aria-labelledby": "kpis-heading"})]


def layout(**query) -> html.Div:
    """The page for a URL query such as ?from=2025-01&to=2025-12&region=FRK."""
    return page.render(TITLE, query, _body)


def update_kpis(month_from, month_to, region, age_band, digital_skills, support_tier):
    """Filters changed: recompute the cards."""
    raw = dict(zip(COMMON, (month_from, month_to, region, age_band, digital_skills,
                            support_tier), strict=True))
    try:
        wh = db.current_warehouse()
        values, meta = page.validated(wh, raw)
        return kpi_children(values, wh, db.current_settings(), meta["data_from"])
    except db.NoDataYet:
        return page.no_data(TITLE)
    except access.AccessDenied as error:
        return html.P(page.denied_message(error), className="notice", role="status")
    except duckdb.Error:
        log.exception("cannot read the published warehouse")
        return page.unavailable(TITLE)


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path="/", name=TITLE, order=0, layout=layout,
                       title=f"{TITLE} · PES Observatory",
                       description="Headline indicators of PES channel use and the labour market.")
    app.callback(
        Output("overview-kpis", "children"),
        *[Input(fid(name), "value") for name in COMMON],
        prevent_initial_call=True,
    )(update_kpis)

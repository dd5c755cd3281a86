"""Data quality (/data-quality): recent refresh runs, each file's outcome, the top quarantine
reasons and the validation results, read from the meta tables of the published snapshot.

Every view is a link: the source and the run live in the URL query (``?source=interactions&run=
<run_id>``). A control change writes the URL and the canonical view (a store the content listens
to); Back and Forward set the controls and the view from the URL.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import dash
import duckdb
import plotly.graph_objects as go
import polars as pl
from dash import Input, Output, State, ctx, dcc, html, no_update

from dashboards import db, figures, queries
from dashboards import quality_figures as qf
from dashboards import quality_queries as qq
from dashboards.components import page
from dashboards.components.format import fmt_int, fmt_timestamp
from observatory import access

TITLE = "Data quality"
PATH = "/data-quality"
URL_ID = "dq-url"
VIEW_ID = "dq-view"  # dcc.Store: the canonical query string of the view the content shows
CONTENT_ID = "dq-content"
NAMES = ("source", "run")
N_RUNS = 10  # rows of the runs table
N_RUN_CHOICES = 50  # runs offered by the run filter
N_REASONS = 10
MAX_FILE_ROWS = 200  # file events listed; the caption says when there are more
log = logging.getLogger(__name__)


def cid(name: str) -> str:
    """The component id of the control for query key ``name``."""
    return f"dq-filter-{name}"


# -- the view --------------------------------------------------------------------------------

@dataclass(frozen=True)
class View:
    """One view of the page: the URL query, validated. None means all."""

    source: str | None = None
    run: str | None = None

    def search(self) -> str:
        pairs = [(n, v) for n, v in (("source", self.source), ("run", self.run)) if v]
        return "?" + urlencode(pairs, quote_via=quote) if pairs else ""


@dataclass(frozen=True)
class Choices:
    sources: tuple[str, ...] = ()
    runs: tuple[tuple[str, str], ...] = ()  # (run_id, label), newest first


def _first(raw: object) -> str | None:
    items = list(raw) if isinstance(raw, list | tuple) else [raw]
    return next((str(v).strip() for v in items if v is not None and str(v).strip()), None)


def choices_of(wh: db.Warehouse, timezone: str) -> Choices:
    runs = qq.run_choices(wh, N_RUN_CHOICES)
    return Choices(
        sources=tuple(qq.sources(wh)),
        runs=tuple((r["run_id"], run_label(r, timezone)) for r in runs.iter_rows(named=True)))


def resolve(query: Mapping[str, Any], choices: Choices) -> View:
    """The view a URL query asks for; an unknown source or run means all, so a crafted URL
    never reaches a query unchecked."""
    source, run = _first(query.get("source")), _first(query.get("run"))
    return View(source=source if source in choices.sources else None,
                run=run if run in {r for r, _ in choices.runs} else None)


def query_of(search: str | None) -> dict[str, list[str]]:
    if not isinstance(search, str):  # only a forged request sends anything else
        search = ""
    return parse_qs(search.lstrip("?"), keep_blank_values=True)


def view_status(view: View, choices: Choices) -> str:
    """The view in words, announced when it changes."""
    source = f"source {view.source}" if view.source else "all sources"
    run = f"run of {dict(choices.runs)[view.run]}" if view.run else "all runs"
    return f"Showing {source}, {run}."


def run_label(run: Mapping[str, Any], timezone: str) -> str:
    started = fmt_timestamp(run["started_at"], timezone) if run["started_at"] else "not started"
    status = qf.RUN_STATUS_LABELS.get(run["status"], run["status"] or "Import")
    return f"{started} · {status} · {run['run_id'][:8]}"


# -- tables ----------------------------------------------------------------------------------

def _num(n: int | None) -> html.Td:
    return html.Td(fmt_int(n), className="num")


def _table(table_id: str, caption: str, columns: Sequence[tuple[str, bool]],
           rows: list[list], current: int | None = None) -> html.Div:
    """An accessible table: a caption, column headers with scope, the first cell of each row
    as its row header; ``columns`` are (heading, is_numeric); row ``current`` is marked as the
    one shown. Scrolls sideways on narrow screens without the page doing so."""
    head = html.Tr([html.Th(text, scope="col", className="num" if numeric else None)
                    for text, numeric in columns])
    body = []
    for i, row in enumerate(rows):
        first, *rest = row
        cells = first.children if isinstance(first, html.Td) else first
        marker = {"aria-current": "true", "className": "dq-current"} if i == current else {}
        body.append(html.Tr([html.Th(cells, scope="row"), *rest], **marker))
    return html.Div(html.Table([
        html.Caption(caption, id=f"{table_id}-caption", className="chart-caption"),
        html.Thead(head),
        html.Tbody(body),
    ], id=table_id, className="dq-table"), className="dq-table-wrap", tabIndex="0",
        role="region", **{"aria-labelledby": f"{table_id}-caption"})


def _section(section_id: str, heading: str, intro: str | list, children: list
             ) -> html.Section:
    return html.Section([
        html.H2(heading, id=f"{section_id}-heading"),
        html.P(intro, className="chart-caption"),
        *children,
    ], className="chart", id=f"{section_id}-section",
        **{"aria-labelledby": f"{section_id}-heading"})


def not_recorded(section_id: str, table: str) -> html.P:
    return html.P(["Not recorded yet: this snapshot has no ", html.Code(f"meta.{table}"),
                   " table. The next ", html.Code("observatory refresh"), " records it."],
                  className="notice", role="status", id=f"{section_id}-not-recorded")


def _none(section_id: str, text: str) -> html.P:
    return html.P(text, className="notice", role="status", id=f"{section_id}-empty")


def _status(status: str | None) -> html.Td:
    text = qf.RUN_STATUS_LABELS.get(status or "", status or "–")
    return html.Td(text, className=f"dq-status dq-status-{status or 'unknown'}")


def _when(ts, timezone: str) -> html.Td:
    return html.Td(qf.fmt_local(ts, timezone), className="dq-when")


def _duration(started, finished) -> str:
    if started is None or finished is None:
        return "–"
    seconds = (finished - started).total_seconds()
    return f"{seconds:,.1f} s" if seconds < 120 else f"{seconds / 60:,.1f} min"


def runs_section(wh: db.Warehouse, view: View, present: Mapping, timezone: str
                 ) -> html.Section:
    intro = ("The latest refreshes of the warehouse, newest first, for every source. Follow a "
             "run to see only its files, reasons and validations.")
    if "refresh_runs" not in present:
        return _section("dq-runs", "Recent refresh runs", intro,
                        [not_recorded("dq-runs", "refresh_runs")])
    runs = qq.recent_runs(wh, N_RUNS)
    if runs.is_empty():
        return _section("dq-runs", "Recent refresh runs", intro,
                        [_none("dq-runs", "No refresh has been recorded yet.")])
    rows, current = [], None
    for i, r in enumerate(runs.iter_rows(named=True)):
        selected = r["run_id"] == view.run
        if selected:
            current = i
        link = dcc.Link(
            [r["run_id"][:8], html.Span(" (shown below)", className="visually-hidden")
             if selected else None],
            href=dash.get_relative_path(PATH)
            + View(view.source, None if selected else r["run_id"]).search(),
            title=("Show every run" if selected else f"Show only run {r['run_id']}"))
        rows.append([
            html.Td(link), _when(r["started_at"], timezone),
            html.Td(_duration(r["started_at"], r["finished_at"]), className="dq-when"),
            _status(r["status"]),
            _num(r["n_files_loaded"]), _num(r["n_files_skipped"]), _num(r["n_files_rejected"]),
            _num(r["n_rows_loaded"]), _num(r["n_rows_quarantined"]), _num(r["n_duplicates"]),
            html.Td(r["message"] or ""),
        ])
    latest = runs.row(0, named=True)
    caption = (f"The {len(rows)} latest run(s). The last one "
               f"{qf.RUN_STATUS_LABELS.get(latest['status'], latest['status']).lower()} "
               f"({fmt_timestamp(latest['started_at'], timezone)}). Times in {timezone}.")
    columns = [("Run", False), ("Started", False), ("Took", False), ("Status", False),
               ("Files loaded", True), ("Files skipped", True), ("Files rejected", True),
               ("Rows loaded", True), ("Rows quarantined", True), ("Duplicates", True),
               ("Message", False)]
    return _section("dq-runs", "Recent refresh runs", intro,
                    [_table("dq-runs", caption, columns, rows, current)])


def files_section(wh: db.Warehouse, view: View, present: Mapping, timezone: str
                  ) -> html.Section:
    intro = ("Each file's latest outcome. A refresh seeing again a file it already loaded is "
             "not a new outcome." if view.run is None else
             f"Every file the run {view.run[:8]} saw, newest first.")
    if "file_events" not in present:
        return _section("dq-files", "File outcomes", intro,
                        [not_recorded("dq-files", "file_events")])
    df = qq.file_outcomes(wh, run_id=view.run, source=view.source)
    if df.is_empty():
        return _section("dq-files", "File outcomes", intro,
                        [_none("dq-files", "No file matches this view.")])
    counts = df.group_by("outcome").len()
    summary = ", ".join(f"{fmt_int(n)} {qf.outcome_label(o).lower()}"
                        for o, n in sorted(counts.iter_rows(),
                                           key=lambda r: qf.OUTCOMES_ORDER.get(r[0], 99)))
    shown = df.head(MAX_FILE_ROWS)
    caption = (f"{fmt_int(df.height)} file(s): {summary}. Times in {timezone}."
               + (f" The {MAX_FILE_ROWS} most recent are listed." if df.height > shown.height
                  else ""))
    rows = [[
        html.Td([html.Span(f"{r['source']} / ", className="dq-source"), r["file_name"]]),
        html.Td(qf.outcome_label(r["outcome"]), className=f"dq-outcome dq-outcome-{r['outcome']}"),
        _num(r["n_rows"]), _num(r["n_quarantined"]), _num(r["n_duplicates"]),
        _when(r["occurred_at"], timezone),
        html.Td(html.Code(r["content_hash"][:12], title=r["content_hash"])
                if r["content_hash"] else "–"),
        html.Td(qf.detail_text(r["detail"])),
    ] for r in shown.iter_rows(named=True)]
    columns = [("File", False), ("Outcome", False), ("Rows loaded", True),
               ("Rows quarantined", True), ("Duplicates", True), ("When", False),
               ("Content", False), ("Detail", False)]
    return _section("dq-files", "File outcomes", intro, [_table("dq-files", caption, columns, rows)])


def reasons_content(wh: db.Warehouse, view: View) -> tuple[go.Figure, str, list]:
    """(figure, text alternative, totals) of the quarantine section."""
    reasons = qq.top_quarantine_reasons(wh, source=view.source, limit=N_REASONS, run_id=view.run)
    totals = qq.quarantine_totals(wh, source=view.source, run_id=view.run)
    known = totals["n_rows_open"].drop_nulls()
    n_open = int(known.sum()) if known.len() else None
    notes = [totals_table(totals)] if totals.height else []
    return qf.reasons_figure(reasons), qf.describe_reasons(reasons, n_open), notes


def totals_table(totals: pl.DataFrame) -> html.Div:
    rows = [[html.Td(r["source"]), _num(r["n_rows_open"]), _num(r["n_files_open"]),
             _num(r["n_rows_replayed"]), _num(r["n_rows_superseded"]), _num(r["n_duplicates"])]
            for r in totals.iter_rows(named=True)]
    columns = [("Source", False), ("Open rows", True), ("Files with open rows", True),
               ("Replayed rows", True), ("Superseded rows", True),
               ("Duplicates reported", True)]
    return _table("dq-totals", "Quarantined rows by status, and duplicate keys reported, per "
                  "source. Replayed rows were loaded after a fix; superseded rows belonged to a "
                  "file since replaced.", columns, rows)


def reasons_section(wh: db.Warehouse, view: View, present: Mapping) -> html.Section:
    intro = ["Why rows still in quarantine were set aside: each bar counts the open rows "
             "giving that reason. Inspect them with ", html.Code("observatory quarantine show"),
             ", fix the mapping or the data, then ", html.Code("observatory quarantine replay"),
             "."]
    if "quarantined_rows" not in present:
        return _section("dq-reasons", "Top quarantine reasons", intro,
                        [not_recorded("dq-reasons", "quarantined_rows")])
    fig, summary, totals = reasons_content(wh, view)
    height = fig.layout.height or 240
    return _section("dq-reasons", "Top quarantine reasons", intro, [
        html.Figure([
            dcc.Graph(id="dq-reasons", figure=fig, config=figures.GRAPH_CONFIG,
                      style={"height": f"{height}px"}),
            # The chart's text alternative, also read by everyone.
            html.Figcaption(summary, id="dq-reasons-summary", className="chart-caption"),
        ], style={"margin": 0}, **{"aria-labelledby": "dq-reasons-heading",
                                   "aria-describedby": "dq-reasons-summary"}),
        *totals,
    ])


def validation_section(wh: db.Warehouse, view: View, present: Mapping, timezone: str
                       ) -> html.Section:
    intro = ("The expectation suite of each landed file: its latest validation" +
             (", or the one this run made." if view.run else ".") +
             " Files with a failed expectation come first.")
    if "validation_results" not in present:
        return _section("dq-validation", "Validation results", intro,
                        [not_recorded("dq-validation", "validation_results")])
    df = qq.validation_summary(wh, source=view.source, run_id=view.run)
    if df.is_empty():
        return _section("dq-validation", "Validation results", intro,
                        [_none("dq-validation", "No validation matches this view.")])
    n_failing = int((df["n_failed"] > 0).sum())
    shown = df.head(MAX_FILE_ROWS)
    caption = (f"{fmt_int(df.height)} file(s) validated; "
               + (f"{fmt_int(n_failing)} with at least one failed expectation."
                  if n_failing else "every expectation passed.")
               + (f" The first {MAX_FILE_ROWS} are listed." if df.height > shown.height else "")
               + f" Times in {timezone}.")
    rows = [[
        html.Td([html.Span(f"{r['source']} / ", className="dq-source"), r["file_name"]]),
        html.Td(r["suite"]), _when(r["validated_at"], timezone),
        _num(r["n_expectations"]), _num(r["n_failed"]),
        html.Td(qf.failed_text(r["failed"]),
                className="dq-failed" if r["n_failed"] else None),
    ] for r in shown.iter_rows(named=True)]
    columns = [("File", False), ("Suite", False), ("Validated", False),
               ("Expectations", True), ("Failed", True), ("Failed expectations", False)]
    return _section("dq-validation", "Validation results", intro,
                    [_table("dq-validation", caption, columns, rows)])


def content(wh: db.Warehouse, view: View, timezone: str) -> list:
    """Every section of the page for one view."""
    present = qq.recorded(wh)
    return [
        runs_section(wh, view, present, timezone),
        files_section(wh, view, present, timezone),
        reasons_section(wh, view, present),
        validation_section(wh, view, present, timezone),
    ]


# -- layout ----------------------------------------------------------------------------------

def _header(wh: db.Warehouse, timezone: str) -> html.Div:
    """The shared header with its freshness badge; a snapshot holding official statistics only
    has no PES dataset row, which it says instead."""
    try:
        return page.header(TITLE, queries.dataset_meta(wh).row(0, named=True), timezone)
    except (duckdb.CatalogException, IndexError):
        return html.Div([html.H1(TITLE), html.P(html.Span(
            "No PES data published yet", className="freshness", id="data-freshness"),
            className="data-status")], className="page-header")


def filter_bar(view: View, choices: Choices) -> html.Section:
    return html.Section([
        html.H2("Filters", className="visually-hidden", id="dq-filters-heading"),
        html.Div([
            html.Div([html.Label("Source", htmlFor=cid("source"), className="filter-label"),
                      dcc.Dropdown(id=cid("source"), value=view.source, placeholder="All sources",
                                   options=[{"label": s, "value": s} for s in choices.sources])],
                     className="filter-field filter-source"),
            html.Div([html.Label("Run", htmlFor=cid("run"), className="filter-label"),
                      dcc.Dropdown(id=cid("run"), value=view.run, placeholder="All runs",
                                   options=[{"label": text, "value": r}
                                            for r, text in choices.runs])],
                     className="filter-field dq-run-field"),
        ], className="filter-grid"),
        html.P("The runs table always lists every source.", className="filter-hint"),
        html.P(view_status(view, choices), id="dq-view-status", className="filter-hint",
               role="status", **{"aria-live": "polite"}),
        dcc.Location(id=URL_ID, refresh=False),
        dcc.Store(id=VIEW_ID, data=view.search()),
    ], className="filters", role="search", **{"aria-labelledby": "dq-filters-heading"})


def layout(**query) -> html.Div:
    """The page for a URL query such as ?source=interactions&run=<run_id>."""
    try:
        access.require_operations()
        settings = db.current_settings()
        wh = db.current_warehouse()
        choices = choices_of(wh, settings.timezone)
        view = resolve(query, choices)
        header = _header(wh, settings.timezone)
        body = content(wh, view, settings.timezone)
    except access.AccessDenied as error:  # not an administrator
        return page.denied(TITLE, error)
    except db.NoDataYet:
        return page.no_data(TITLE)
    except duckdb.Error:
        log.exception("cannot read the meta tables of the published warehouse")
        return page.unavailable(TITLE)
    return html.Div([header, filter_bar(view, choices), html.Div(body, id=CONTENT_ID)])


# -- callbacks -------------------------------------------------------------------------------

def sync(trigger: str | None, search: str | None, values: Sequence[Any], shown: str | None,
         choices: Choices) -> tuple[Any, Any, list[Any]]:
    """What the URL <-> controls callback returns: (new search, new view, one value per
    control), with no_update wherever nothing changes.

    ``shown`` is the view the content shows: the URL opening the page sets it again on load,
    which must not redraw it.
    """
    current = dict(zip(NAMES, values, strict=True))
    query = query_of(search) if trigger == URL_ID else \
        {n: v for n, v in current.items() if v is not None}
    view = resolve(query, choices)
    wanted = {"source": view.source, "run": view.run}
    new_values = [no_update if wanted[n] == current[n] else wanted[n] for n in NAMES]
    new_search = view.search()
    # Back/Forward changed the URL: follow it, never write it (that would add a history step).
    search_out = no_update if trigger == URL_ID or new_search == (search or "") else new_search
    view_out = no_update if new_search == (shown or "") else new_search
    return search_out, view_out, new_values


def sync_controls(search, source, run, shown):
    try:
        settings = db.current_settings()
        choices = choices_of(db.current_warehouse(), settings.timezone)
        search_out, view_out, new_values = sync(ctx.triggered_id, search, [source, run],
                                                shown, choices)
    except (db.NoDataYet, duckdb.Error) as error:
        log.error("cannot read the meta tables: %s", error)
        return no_update, no_update, no_update, no_update
    return search_out, view_out, *new_values


def update_content(view_search):
    """The view changed: every section again, and the view in words."""
    try:
        settings = db.current_settings()
        wh = db.current_warehouse()
        choices = choices_of(wh, settings.timezone)
        view = resolve(query_of(view_search), choices)
        return content(wh, view, settings.timezone), view_status(view, choices)
    except db.NoDataYet:
        return page.no_data(TITLE), no_update
    except duckdb.Error:
        log.exception("cannot read the meta tables of the published warehouse")
        return page.unavailable(TITLE), no_update


def register(app: dash.Dash) -> None:
    # Last in the navigation: an operational page, after the analytical ones.
    dash.register_page(__name__, path=PATH, name=TITLE, order=9, layout=layout,
                       title=f"{TITLE} · PES Observatory",
                       description="Refresh runs, file outcomes, quarantine reasons and "
                                   "validation results of the published warehouse.")
    app.callback(
        Output(URL_ID, "search"),
        Output(VIEW_ID, "data"),
        Output(cid("source"), "value"),
        Output(cid("run"), "value"),
        Input(URL_ID, "search"),
        Input(cid("source"), "value"),
        Input(cid("run"), "value"),
        State(VIEW_ID, "data"),
        prevent_initial_call=True,
    )(sync_controls)
    app.callback(
        Output(CONTENT_ID, "children"),
        Output("dq-view-status", "children"),
        Input(VIEW_ID, "data"),
        prevent_initial_call=True,
    )(update_content)

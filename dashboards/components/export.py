"""CSV export of a chart's data: a button and a download beside each chart, one callback for all.

A page registers, per chart id, a function from the page's raw control values to the chart's
*drawn frame* (the exact numbers the figure was built from) and a file name. On a click the
frame is recomputed for the controls as they are now and sent as CSV; nothing is kept in the
browser, and the file holds the same numbers as the chart the user is looking at.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl
from dash import ALL, MATCH, Input, Output, State, ctx, dcc, html, no_update

from dashboards.components.filters import fid
from observatory import access

log = logging.getLogger(__name__)

BUTTON = "csv-button"
DOWNLOAD = "csv-download"
_REGISTRY_ATTRIBUTE = "observatory_csv_exports"

# raw control values ({query key: value}) -> (drawn frame, file name)
FrameFunction = Callable[[Mapping[str, Any]], tuple[pl.DataFrame, str]]


def button(chart_id: str, text: str = "Download the data (CSV)") -> html.Div:
    """The export button of ``chart_id`` and its (invisible) download component."""
    return html.Div([
        html.Button(text, id={"type": BUTTON, "chart": chart_id}, className="csv-button",
                    type="button", **{"aria-describedby": f"{chart_id}-heading"}),
        dcc.Download(id={"type": DOWNLOAD, "chart": chart_id}),
    ], className="chart-export")


def to_csv(frame: pl.DataFrame) -> str:
    """The frame as CSV: a header row, dates as YYYY-MM-DD, numbers unformatted and unrounded."""
    return frame.write_csv()


def _registry(app) -> dict[str, FrameFunction]:
    if not hasattr(app, _REGISTRY_ATTRIBUTE):
        setattr(app, _REGISTRY_ATTRIBUTE, {})
        _register_callback(app)
    return getattr(app, _REGISTRY_ATTRIBUTE)


def register(app, chart_id: str, frame_function: FrameFunction) -> None:
    """Offer ``chart_id``'s data as CSV on ``app``."""
    _registry(app)[chart_id] = frame_function


def export(app, chart_id: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """What the download component receives for ``chart_id`` under the control values ``raw``."""
    frame, filename = _registry(app)[chart_id](raw)
    return {"content": to_csv(frame), "filename": filename, "type": "text/csv", "base64": False}


def _register_callback(app) -> None:
    @app.callback(
        Output({"type": DOWNLOAD, "chart": MATCH}, "data"),
        Input({"type": BUTTON, "chart": MATCH}, "n_clicks"),
        State(fid(ALL), "value"),
        prevent_initial_call=True,
    )
    def send_csv(n_clicks, _values):
        if not n_clicks:
            return no_update
        chart = ctx.triggered_id["chart"]
        if not isinstance(chart, str) or chart not in _registry(app):
            return no_update  # a forged chart id: there is nothing to export
        raw = {item["id"]["name"]: item.get("value") for item in ctx.states_list[0]}
        try:
            return export(app, chart, raw)
        except access.AccessDenied as error:
            # The chart already says why it is empty; no file is better than a partial one.
            log.info("CSV export of %s refused: %s", ctx.triggered_id["chart"], error)
            return no_update

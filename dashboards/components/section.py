"""A chart with its caption, CSV export and definition beside it (Outcomes, Employers)."""

from __future__ import annotations

import plotly.graph_objects as go
from dash import dcc, html

from dashboards import figures
from dashboards.components import export


def chart_section(chart_id: str, heading: str, definition: list, figure: go.Figure | None,
                  text: str, extra=None, controls=None) -> html.Section:
    body = [] if controls is None else [controls]
    if figure is not None:
        body += [dcc.Graph(id=chart_id, figure=figure, config=figures.GRAPH_CONFIG,
                           style={"height": f"{figure.layout.height or 380}px"}),
                 export.button(chart_id)]
    if extra is not None:
        body.append(extra)
    return html.Section([
        html.H2(heading, id=f"{chart_id}-heading"),
        html.P(text, id=f"{chart_id}-text", className="chart-caption", **{"aria-live": "polite"}),
        html.Div([
            html.Div(body, className="outcome-chart"),
            html.Aside([html.H3("Definition", className="definition-title"), *definition],
                       className="outcome-definition",
                       **{"aria-label": f"Definition: {heading}"}),
        ], className="outcome-body"),
    ], className="chart outcome-section", **{"aria-labelledby": f"{chart_id}-heading"})

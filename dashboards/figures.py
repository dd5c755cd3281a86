"""Pure figure builders: Polars frames in, Plotly figures out. No data access here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from dashboards.components.format import SEGMENT_TYPE_LABELS, fmt_int, fmt_pct, label
from dashboards.queries import SEGMENTS
from pipelines.contracts import CHANNELS

# Okabe & Ito (2008), safe for the common colour-vision deficiencies, extended with three
# colours of Paul Tol's "muted" scheme (wine, olive, grey) to reach the eleven channels.
# Each channel keeps its colour on every chart; hover text and the legend name it too, so
# colour is never the only cue.
CHANNEL_COLOURS: dict[str, str] = {
    "agency": "#0072B2",  # blue
    "phone": "#E69F00",  # orange
    "email": "#56B4E9",  # sky blue
    "web": "#009E73",  # bluish green
    "app": "#D55E00",  # vermilion
    "video": "#CC79A7",  # reddish purple
    "chat": "#F0E442",  # yellow
    "sms": "#882255",  # wine (Tol)
    "kiosk": "#999933",  # olive (Tol)
    "letter": "#000000",  # black
    "event": "#BBBBBB",  # grey (Tol)
}
SHARE_COLOUR = "#332288"  # Tol indigo: digital shares, distinct from every channel colour
KPI_COLOUR = "#332288"

SHARE_BARS_HEIGHT = 460  # fits the twelve services or a country's regions

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

# Passed to every dcc.Graph: no Plotly logo, and no "send to cloud" button (plotly.js 4 shows
# one by default; it would post the chart to an external server).
GRAPH_CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "modeBarButtonsToRemove": ["sendChartToCloud", "select2d", "lasso2d"],
    "responsive": True,
}
SPARKLINE_CONFIG = {"staticPlot": True, "displayModeBar": False, "responsive": True}


def _style(fig: go.Figure, *, height: int = 380) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13, "color": "#1f2328"},
        separators=".,",  # decimal point, thousands comma: 12,345.6
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        hoverlabel={"font": {"family": FONT}},
    )
    return fig


def empty_figure(message: str, *, height: int = 380) -> go.Figure:
    """A blank chart that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 15})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _style(fig, height=height)


def channel_mix(df: pl.DataFrame, measure: str = "volume") -> go.Figure:
    """Stacked monthly bars of contacts by channel; ``measure`` 'volume' or 'share' of the month.

    ``df``: month, channel, n_contacts (from queries.contacts_by_channel).
    """
    if df.is_empty() or df["n_contacts"].sum() == 0:
        return empty_figure("No contacts match these filters.", height=420)
    share = measure == "share"
    df = df.with_columns(
        (pl.col("n_contacts") / pl.col("n_contacts").sum().over("month")).alias("share"))
    fig = go.Figure()
    for channel in CHANNELS:
        part = df.filter(pl.col("channel") == channel).sort("month")
        if part.is_empty():
            continue
        fig.add_trace(go.Bar(
            name=label(channel),
            x=part["month"].to_list(),
            y=(part["share"] if share else part["n_contacts"]).to_list(),
            customdata=list(zip(part["n_contacts"].to_list(), part["share"].to_list(),
                                strict=True)),
            marker={"color": CHANNEL_COLOURS[channel]},
            meta=channel,
            hovertemplate=(f"<b>{label(channel)}</b> %{{x|%b %Y}}<br>"
                           "%{customdata[0]:,} contacts (%{customdata[1]:.1%})<extra></extra>"),
        ))
    # Reversed legend: read top to bottom, it follows the stack as drawn.
    fig.update_layout(barmode="stack",
                      legend={"traceorder": "reversed", "title": {"text": "Channel"}})
    fig.update_xaxes(tickformat="%b %Y", title=None)
    fig.update_yaxes(tickformat=".0%" if share else ",d", range=[0, 1] if share else None,
                     title="Share of contacts" if share else "Contacts")
    return _style(fig, height=420)


def share_bars(df: pl.DataFrame, key: str, *, label_column: str | None = None,
               height: int | None = None) -> go.Figure:
    """Horizontal bars of share_digital per ``key``, largest on top, with counts on hover.

    ``df``: key, n_contacts, n_digital, share_digital (e.g. queries.digital_share_by_service).
    """
    df = df.filter(pl.col("n_contacts") > 0)
    if df.is_empty():
        return empty_figure("No contacts match these filters.", height=height or SHARE_BARS_HEIGHT)
    df = df.sort(["share_digital", key], descending=[False, True])  # plotly draws bottom-up
    codes = df[key].to_list()
    names = df[label_column].to_list() if label_column else [label(c) for c in codes]
    fig = go.Figure(go.Bar(
        orientation="h",
        x=df["share_digital"].to_list(),
        y=names,
        text=[fmt_pct(v) for v in df["share_digital"].to_list()],
        textposition="outside",
        cliponaxis=False,
        customdata=list(zip(codes, df["n_digital"].to_list(),
                            df["n_contacts"].to_list(), strict=True)),
        marker={"color": SHARE_COLOUR},
        hovertemplate=("<b>%{y}</b><br>Digital share %{x:.1%}<br>"
                       "%{customdata[1]:,} of %{customdata[2]:,} contacts<extra></extra>"),
    ))
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="Digital share of contacts")
    fig.update_yaxes(title=None, automargin=True)
    fig = _style(fig, height=height or SHARE_BARS_HEIGHT)
    fig.update_layout(margin={"r": 56})  # room for a label beside a bar near 100%
    return fig


def segment_shares(df: pl.DataFrame) -> go.Figure:
    """Digital share by job-seeker segment, one panel per segment type.

    ``df``: segment_type, segment, n_contacts, n_digital, share_digital
    (queries.digital_share_by_segment).
    """
    df = df.filter(pl.col("n_contacts") > 0)
    if df.is_empty():
        return empty_figure("No job-seeker contacts match these filters.", height=300)
    types = [t for t in SEGMENT_TYPE_LABELS if t in set(df["segment_type"].to_list())]
    fig = make_subplots(rows=1, cols=len(types), horizontal_spacing=0.12,
                        subplot_titles=[SEGMENT_TYPE_LABELS[t] for t in types])
    for col, segment_type in enumerate(types, start=1):
        order = SEGMENTS[segment_type]
        rows = sorted(df.filter(pl.col("segment_type") == segment_type).iter_rows(named=True),
                      key=lambda r, order=order: (order.index(r["segment"])
                                                  if r["segment"] in order else len(order)),
                      reverse=True)  # plotly draws bottom-up: the first segment ends on top
        fig.add_trace(go.Bar(
            orientation="h",
            name=SEGMENT_TYPE_LABELS[segment_type],
            x=[r["share_digital"] for r in rows],
            y=[label(r["segment"]) for r in rows],
            text=[fmt_pct(r["share_digital"]) for r in rows],
            textposition="outside",
            cliponaxis=False,
            customdata=[(r["segment"], r["n_digital"], r["n_contacts"]) for r in rows],
            marker={"color": SHARE_COLOUR},
            meta=segment_type,
            hovertemplate=("<b>%{y}</b><br>Digital share %{x:.1%}<br>"
                           "%{customdata[1]:,} of %{customdata[2]:,} contacts<extra></extra>"),
            showlegend=False,
        ), row=1, col=col)
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(automargin=True)
    return _style(fig, height=300)


def sparkline(months: Sequence[dt.date], values: Sequence[float | None]) -> go.Figure:
    """A tiny trend line without axes; gaps where a value is missing or suppressed."""
    fig = go.Figure(go.Scatter(
        x=list(months), y=list(values), mode="lines", line={"color": KPI_COLOUR, "width": 2},
        connectgaps=False, hoverinfo="skip",
    ))
    fig.update_xaxes(visible=False, fixedrange=True)
    # The data's own range, as sparklines do: the card's number and change give the scale.
    fig.update_yaxes(visible=False, fixedrange=True)
    fig.update_layout(template="plotly_white", height=56, margin={"l": 2, "r": 2, "t": 4, "b": 4},
                      showlegend=False, paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)")
    return fig


def describe_series(values: Sequence[float | None], fmt=fmt_int) -> str:
    """A text alternative for a sparkline: first, last, lowest and highest value."""
    known = [v for v in values if v is not None]
    if not known:
        return "No values."
    return (f"From {fmt(known[0])} to {fmt(known[-1])}; lowest {fmt(min(known))}, "
            f"highest {fmt(max(known))}.")

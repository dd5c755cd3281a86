"""Pure builders for the Channels section: query frames in, drawn frames and figures out.

Each chart is drawn from a *drawn frame*: a tidy table holding exactly the numbers on the
chart (and the counts behind them). The figure builder only places those numbers; the CSV
export writes the same frame, so the file and the chart cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from dashboards.channel_queries import SEGMENTS, SERVICE_STEPS
from dashboards.components.format import fmt_int, fmt_pct, label
from dashboards.figures import CHANNEL_COLOURS, FONT, SHARE_COLOUR
from pipelines.contracts import CHANNELS, DIGITAL_CHANNELS, SUPPORT_TIERS

# Series that are not channels (segments, tiers, measures) take Paul Tol's colour-blind-safe
# "muted" colours the channel palette does not use, and each also gets its own dash or
# pattern, so colour is never the only cue.
SERIES_COLOURS = ("#332288", "#117733", "#CC6677", "#44AA99", "#AA4499", "#DDCC77", "#88CCEE")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid")
ALL_COLOUR = "#1f2328"  # the "all job-seekers" line: near-black, thick
ENDED_COLOUR = "#FFFFFF"  # Sankey node for journeys that ended
Z95 = 1.959963984540054  # the standard normal quantile for a two-sided 95% interval

SEGMENT_TYPE_LABELS = {"age_band": "Age band", "education_level": "Education",
                       "digital_skills": "Digital skills", "support_tier": "Support tier",
                       "region_code": "Region"}
TIER_LABELS = {"autonomous": "Follow-up (autonomous)", "guided": "Guided",
               "intensive": "Intensive", "global": "Global", "unknown": "Unknown"}
STEP_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd"}
# The look of dashboards.figures (plotly_white), applied without Plotly's validation: copying
# and checking the template costs 10-20 ms a chart, a fifth of a callback's budget. The tests
# re-validate every figure these builders make (tests/dashboards/test_channels_figures.py).
TEMPLATE = pio.templates["plotly_white"]


def _figure(trace: dict | None = None) -> go.Figure:
    """A figure whose traces and layout updates skip validation (the template, mostly)."""
    return go.Figure([trace] if trace else None, _validate=False)


def _trace(kind: str, **properties) -> dict:
    """A trace as a plain dict: a go.Bar(...) would validate it, at ~1 ms a trace."""
    return {"type": kind, **properties}


def _panels(domains: Sequence[tuple[float, float, float, float]], titles: Sequence[str]
            ) -> go.Figure:
    """A figure with axes x1/y1, x2/y2, ... on each (x0, x1, y0, y1) paper domain, each titled
    above. Laid out by hand: plotly.subplots.make_subplots validates as it goes and costs
    ~30 ms a chart."""
    layout: dict = {}
    annotations = []
    for i, ((x0, x1, y0, y1), title) in enumerate(zip(domains, titles, strict=True), start=1):
        n = "" if i == 1 else str(i)
        x0, x1, y0, y1 = (min(1.0, max(0.0, round(v, 6))) for v in (x0, x1, y0, y1))
        layout[f"xaxis{n}"] = {"domain": [x0, x1], "anchor": f"y{n}"}
        layout[f"yaxis{n}"] = {"domain": [y0, y1], "anchor": f"x{n}"}
        annotations.append({"text": title, "x": (x0 + x1) / 2, "y": y1, "xref": "paper",
                            "yref": "paper", "xanchor": "center", "yanchor": "bottom",
                            "yshift": 4, "showarrow": False, "font": {"size": 14}})
    return go.Figure(layout={**layout, "annotations": annotations}, _validate=False)


def _on(i: int) -> dict[str, str]:
    """The axes of panel ``i`` (from 1), for a trace."""
    return {"xaxis": "x" if i == 1 else f"x{i}", "yaxis": "y" if i == 1 else f"y{i}"}


def _axis(name: str, i: int) -> str:
    return f"{name}axis" if i == 1 else f"{name}axis{i}"


def _side_by_side(n: int, gap: float) -> list[tuple[float, float, float, float]]:
    width = (1 - gap * (n - 1)) / n
    return [(k * (width + gap), k * (width + gap) + width, 0.0, 1.0) for k in range(n)]


def _stacked(n: int, gap: float) -> list[tuple[float, float, float, float]]:
    """Top to bottom."""
    height = (1 - gap * (n - 1)) / n
    return [(0.0, 1.0, 1 - k * (height + gap) - height, 1 - k * (height + gap))
            for k in range(n)]


def _style(fig: go.Figure, *, height: int = 380) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        font={"family": FONT, "size": 13, "color": "#1f2328"},
        separators=".,",  # decimal point, thousands comma: 12,345.6
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        hoverlabel={"font": {"family": FONT}},
    )
    return fig


def empty_figure(message: str, *, height: int = 380) -> go.Figure:
    """A blank chart that says why it is blank."""
    fig = _figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 15})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _style(fig, height=height)


def segment_label(code: str | None) -> str:
    """A segment value for people: 'above_basic' -> 'Above basic', 'all' -> 'All job-seekers'."""
    if code is None:
        return "Unknown"
    if code == "all":
        return "All job-seekers"
    if code in TIER_LABELS:
        return TIER_LABELS[code]
    return label(code)


def _order(values: Sequence[str], order: Sequence[str]) -> list[str]:
    """Values in the order of ``order``, unknown ones after it alphabetically."""
    known = [v for v in order if v in set(values)]
    return known + sorted(set(values) - set(order))


def _rate(num: pl.Expr, den: pl.Expr, min_n: int = 1) -> pl.Expr:
    """num / den, null when den is below ``min_n`` (too few to show)."""
    return pl.when(den >= max(min_n, 1)).then(num / den).otherwise(None)


def fmt_duration(seconds: float | None) -> str:
    """95 -> '1 min 35 s'; 4000 -> '1 h 07 min'; None -> '–'."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {round(s % 3600 / 60):02d} min"


def _note_below(fig: go.Figure, text: str) -> None:
    """A note under the x axis title (what is not drawn, and why)."""
    fig.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0, y=0,
                       xanchor="left", yanchor="top", yshift=-48, font={"size": 12})


def _channel_order(df: pl.DataFrame, column: str = "channel") -> pl.DataFrame:
    """Rows in the fixed channel order of every chart."""
    rank = {c: i for i, c in enumerate(CHANNELS)}
    return df.with_columns(pl.col(column).replace_strict(rank, default=len(rank),
                                                         return_dtype=pl.Int64).alias("_o")
                           ).sort("_o").drop("_o")


# -- 1. channel mix ----------------------------------------------------------------------------

def mix_frame(df: pl.DataFrame) -> pl.DataFrame:
    """month, channel, n_contacts, share_of_month: what figures.channel_mix draws."""
    if df.is_empty():
        return df.with_columns(share_of_month=pl.lit(None, pl.Float64))
    return df.with_columns(
        (pl.col("n_contacts") / pl.col("n_contacts").sum().over("month")).alias("share_of_month")
    ).sort("month", "channel")


def mix_figure(drawn: pl.DataFrame, measure: str = "volume") -> go.Figure:
    """Stacked monthly bars of contacts by channel, as counts or as shares of the month (the
    chart of dashboards.figures.channel_mix, drawn from the drawn frame)."""
    if drawn.is_empty() or drawn["n_contacts"].sum() == 0:
        return empty_figure("No contacts match these filters.", height=420)
    share = measure == "share"
    fig = _figure()
    for channel in CHANNELS:
        part = drawn.filter(pl.col("channel") == channel).sort("month")
        if part.is_empty():
            continue
        fig.add_trace(_trace("bar", 
            name=label(channel), x=part["month"].to_list(),
            y=(part["share_of_month"] if share else part["n_contacts"]).to_list(),
            customdata=list(zip(part["n_contacts"].to_list(), part["share_of_month"].to_list(),
                                strict=True)),
            marker={"color": CHANNEL_COLOURS[channel], "line": {"color": "#ffffff", "width": 0.5}},
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
               height: int = 460) -> go.Figure:
    """Horizontal bars of share_digital per ``key``, largest on top, counts on hover (the chart
    of dashboards.figures.share_bars)."""
    df = df.filter(pl.col("n_contacts") > 0)
    if df.is_empty():
        return empty_figure("No contacts match these filters.", height=height)
    df = df.sort(["share_digital", key], descending=[False, True])  # plotly draws bottom-up
    codes = df[key].to_list()
    names = df[label_column].to_list() if label_column else [label(c) for c in codes]
    fig = _figure(_trace("bar", 
        orientation="h", x=df["share_digital"].to_list(), y=names,
        text=[fmt_pct(v) for v in df["share_digital"].to_list()], textposition="outside",
        cliponaxis=False, marker={"color": SHARE_COLOUR},
        customdata=list(zip(codes, df["n_digital"].to_list(), df["n_contacts"].to_list(),
                            strict=True)),
        hovertemplate=("<b>%{y}</b><br>Digital share %{x:.1%}<br>"
                       "%{customdata[1]:,} of %{customdata[2]:,} contacts<extra></extra>"),
    ))
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="Digital share of contacts")
    fig.update_yaxes(title=None, automargin=True)
    fig = _style(fig, height=height)
    fig.update_layout(margin={"r": 56})  # room for a label beside a bar near 100%
    return fig


# -- 2. dematerialisation ----------------------------------------------------------------------

def steps_trend_frame(df: pl.DataFrame) -> pl.DataFrame:
    """month, service, n_contacts, n_digital, share_online: the online share of each step."""
    return df.select("month", "service", "n_contacts", "n_digital",
                     _rate(pl.col("n_digital"), pl.col("n_contacts")).alias("share_online")
                     ).sort("service", "month")


def steps_trend_figure(drawn: pl.DataFrame) -> go.Figure:
    if drawn.is_empty():
        return empty_figure("No contacts for these service steps match the filters.")
    fig = _figure()
    for i, service in enumerate(_order(drawn["service"].unique().to_list(), SERVICE_STEPS)):
        part = drawn.filter(pl.col("service") == service).sort("month")
        fig.add_trace(_trace("scatter", 
            name=label(service), x=part["month"].to_list(), y=part["share_online"].to_list(),
            mode="lines+markers", meta=service,
            line={"color": SERIES_COLOURS[i % 7], "dash": DASHES[i % 7], "width": 2.5},
            customdata=list(zip(part["n_digital"].to_list(), part["n_contacts"].to_list(),
                                strict=True)),
            hovertemplate=(f"<b>{label(service)}</b> %{{x|%b %Y}}<br>Online %{{y:.1%}}<br>"
                           "%{customdata[0]:,} of %{customdata[1]:,} contacts<extra></extra>"),
        ))
    fig.update_xaxes(tickformat="%b %Y", title=None)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02], title="Online share of contacts")
    fig.update_layout(legend={"title": {"text": "Service step"}})
    return _style(fig, height=380)


STEP_MEASURES = (
    ("share_online", "Online share", SERIES_COLOURS[0], ""),
    ("share_self_service", "Self-service share", SERIES_COLOURS[3], "/"),
    ("rate_assisted_digital", "Assisted-digital rate", SERIES_COLOURS[2], "x"),
)


def steps_frame(df: pl.DataFrame) -> pl.DataFrame:
    """Per step over the period: n_contacts, n_digital, n_self_service, n_digital_assisted,
    share_online, share_self_service, rate_assisted_digital."""
    totals = df.group_by("service").agg(pl.col("n_contacts", "n_digital", "n_self_service",
                                               "n_digital_assisted").sum())
    order = {s: i for i, s in enumerate(SERVICE_STEPS)}
    return totals.with_columns(
        share_online=_rate(pl.col("n_digital"), pl.col("n_contacts")),
        share_self_service=_rate(pl.col("n_self_service"), pl.col("n_contacts")),
        rate_assisted_digital=_rate(pl.col("n_digital_assisted"), pl.col("n_digital")),
    ).sort(pl.col("service").replace_strict(order, default=99, return_dtype=pl.Int64))


def steps_figure(drawn: pl.DataFrame) -> go.Figure:
    if drawn.is_empty():
        return empty_figure("No contacts for these service steps match the filters.")
    rows = drawn.reverse()  # plotly draws bottom-up: the first step ends on top
    names = [label(s) for s in rows["service"].to_list()]
    fig = _figure()
    for column, name, colour, pattern in STEP_MEASURES:
        values = rows[column].to_list()
        fig.add_trace(_trace("bar", 
            name=name, orientation="h", y=names, x=values, meta=column,
            marker={"color": colour, "pattern": {"shape": pattern, "fgcolor": "#ffffff"}},
            text=[fmt_pct(v) for v in values], textposition="outside", cliponaxis=False,
            hovertemplate=f"<b>%{{y}}</b><br>{name} %{{x:.1%}}<extra></extra>",
        ))
    fig.update_layout(barmode="group", legend={"traceorder": "normal"})
    fig.update_xaxes(range=[0, 1.12], tickformat=".0%", title=None)
    fig.update_yaxes(automargin=True)
    return _style(fig, height=460)


# -- digital share by segment (with education) -------------------------------------------------

def segment_shares_figure(df: pl.DataFrame) -> go.Figure:
    """Digital share per segment value, one panel per segment type."""
    df = df.filter(pl.col("n_contacts") > 0)
    if df.is_empty():
        return empty_figure("No job-seeker contacts match these filters.", height=300)
    types = [t for t in SEGMENTS if t in set(df["segment_type"].to_list())]
    fig = _panels(_side_by_side(len(types), 0.1), [SEGMENT_TYPE_LABELS[t] for t in types])
    for col, segment_type in enumerate(types, start=1):
        part = df.filter(pl.col("segment_type") == segment_type)
        order = _order(part["segment"].to_list(), SEGMENTS[segment_type])[::-1]
        rows = {r["segment"]: r for r in part.iter_rows(named=True)}
        fig.add_trace(_trace("bar", 
            orientation="h", name=SEGMENT_TYPE_LABELS[segment_type], meta=segment_type,
            x=[rows[s]["share_digital"] for s in order], y=[segment_label(s) for s in order],
            text=[fmt_pct(rows[s]["share_digital"]) for s in order], textposition="outside",
            cliponaxis=False, marker={"color": SHARE_COLOUR}, showlegend=False,
            customdata=[(s, rows[s]["n_digital"], rows[s]["n_contacts"]) for s in order],
            hovertemplate=("<b>%{y}</b><br>Digital share %{x:.1%}<br>"
                           "%{customdata[1]:,} of %{customdata[2]:,} contacts<extra></extra>"),
            **_on(col),
        ))
    fig.update_xaxes(range=[0, 1.25], tickformat=".0%")
    fig.update_yaxes(automargin=True)
    return _style(fig, height=300)


# -- 3. journeys -------------------------------------------------------------------------------

def sankey_frame(paths: pl.DataFrame) -> pl.DataFrame:
    """Links of the journeys Sankey: step_from, channel_from, step_to, channel_to, n_journeys.

    ``paths``: channel_1, channel_2, channel_3, n_journeys (channel 'none' = journey ended).
    """
    schema = {"step_from": pl.Int64, "channel_from": pl.String, "step_to": pl.Int64,
              "channel_to": pl.String, "n_journeys": pl.Int64}
    if paths.is_empty():
        return pl.DataFrame(schema=schema)
    first = (paths.group_by("channel_1", "channel_2").agg(pl.col("n_journeys").sum())
             .select(pl.lit(1, pl.Int64).alias("step_from"), pl.col("channel_1").alias("channel_from"),
                     pl.lit(2, pl.Int64).alias("step_to"), pl.col("channel_2").alias("channel_to"),
                     "n_journeys"))
    second = (paths.filter(pl.col("channel_2") != "none")
              .group_by("channel_2", "channel_3").agg(pl.col("n_journeys").sum())
              .select(pl.lit(2, pl.Int64).alias("step_from"),
                      pl.col("channel_2").alias("channel_from"),
                      pl.lit(3, pl.Int64).alias("step_to"), pl.col("channel_3").alias("channel_to"),
                      "n_journeys"))
    links = pl.concat([first, second]).cast(schema)
    rank = {c: i for i, c in enumerate((*CHANNELS, "none"))}
    return links.sort("step_from", pl.col("channel_from").replace_strict(rank, default=99),
                      pl.col("channel_to").replace_strict(rank, default=99))


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _node_label(step: int, channel: str) -> str:
    if channel == "none":
        return "No further contact"
    return f"{label(channel)} ({STEP_ORDINALS[step]})"


def sankey_figure(links: pl.DataFrame) -> go.Figure:
    """First -> second -> third channel of journeys; node colours are the channel colours."""
    if links.is_empty() or links["n_journeys"].sum() == 0:
        return empty_figure("No complete journeys match these filters.", height=520)
    rank = {c: i for i, c in enumerate((*CHANNELS, "none"))}
    volume: dict[tuple[int, str], int] = {}
    for r in links.iter_rows(named=True):
        volume[(r["step_from"], r["channel_from"])] = volume.get(
            (r["step_from"], r["channel_from"]), 0) + r["n_journeys"]
        key = (r["step_to"], r["channel_to"])
        if r["step_to"] == 3 or r["channel_to"] == "none":
            volume[key] = volume.get(key, 0) + r["n_journeys"]
    nodes = sorted(volume, key=lambda k: (k[0], rank.get(k[1], 99)))
    index = {k: i for i, k in enumerate(nodes)}
    # Fixed columns per step and stacked positions, so 'No further contact' at step 2 stays in
    # the middle column rather than drifting to the right edge.
    xs, ys = [], []
    for step in (1, 2, 3):
        column = [k for k in nodes if k[0] == step]
        total = sum(volume[k] for k in column) or 1
        cumulative = 0.0
        for k in column:
            share = volume[k] / total
            xs.append({1: 0.001, 2: 0.5, 3: 0.999}[step])
            ys.append(min(max(0.001, (cumulative + share / 2) * 0.98 + 0.01), 0.999))
            cumulative += share
    node_colours = [ENDED_COLOUR if c == "none" else CHANNEL_COLOURS.get(c, "#777777")
                    for _, c in nodes]
    fig = _figure(_trace("sankey", 
        arrangement="snap",
        node={"label": [_node_label(s, c) for s, c in nodes], "color": node_colours,
              "x": xs, "y": ys, "pad": 8, "thickness": 16,
              "line": {"color": "#1f2328", "width": 0.6},
              "hovertemplate": "<b>%{label}</b><br>%{value:,} journeys<extra></extra>"},
        link={"source": [index[(r["step_from"], r["channel_from"])] for r in links.iter_rows(named=True)],
              "target": [index[(r["step_to"], r["channel_to"])] for r in links.iter_rows(named=True)],
              "value": links["n_journeys"].to_list(),
              "color": [_rgba(CHANNEL_COLOURS.get(c, "#777777"), 0.35)
                        for c in links["channel_from"].to_list()],
              "hovertemplate": ("%{source.label} → %{target.label}<br>"
                                "%{value:,} journeys<extra></extra>")},
    ))
    return _style(fig, height=520)


def switching_frame(paths: pl.DataFrame, min_n: int) -> pl.DataFrame:
    """Per first channel: n_journeys, n_multi_contact, n_switching, rate_switching (share of
    journeys with two contacts or more that changed channel; null below ``min_n``)."""
    if paths.is_empty():
        return pl.DataFrame(schema={"channel": pl.String, "n_journeys": pl.Int64,
                                    "n_multi_contact": pl.Int64, "n_switching": pl.Int64,
                                    "rate_switching": pl.Float64})
    by_first = paths.group_by(pl.col("channel_1").alias("channel")).agg(
        pl.col("n_journeys", "n_multi_contact", "n_switching").sum())
    return _channel_order(by_first.with_columns(
        rate_switching=_rate(pl.col("n_switching"), pl.col("n_multi_contact"), min_n)))


def channel_rate_figure(drawn: pl.DataFrame, rate: str, num: str, den: str, axis_title: str,
                        noun: str, *, empty: str, x_max: float | None = None) -> go.Figure:
    """Horizontal bars of ``rate`` per channel, each in its channel colour; channels whose
    rate is null (too few) are named in a note instead of drawn."""
    shown = drawn.filter(pl.col(rate).is_not_null())
    if shown.is_empty():
        return empty_figure(empty)
    rows = shown.reverse()
    fig = _figure(_trace("bar", 
        orientation="h", x=rows[rate].to_list(), y=[label(c) for c in rows["channel"].to_list()],
        marker={"color": [CHANNEL_COLOURS.get(c, "#777777") for c in rows["channel"].to_list()],
                "line": {"color": "#1f2328", "width": 0.5}},
        text=[fmt_pct(v) for v in rows[rate].to_list()], textposition="outside",
        cliponaxis=False, meta=rows["channel"].to_list(),
        customdata=list(zip(rows[num].to_list(), rows[den].to_list(), strict=True)),
        hovertemplate=(f"<b>%{{y}}</b><br>{axis_title} %{{x:.1%}}<br>"
                       f"%{{customdata[0]:,}} of %{{customdata[1]:,}} {noun}<extra></extra>"),
    ))
    top = x_max or min(1.0, max(rows[rate].to_list()) * 1.25 + 0.02)
    fig.update_xaxes(range=[0, top], tickformat=".0%", title=axis_title)
    fig.update_yaxes(automargin=True)
    hidden = drawn.filter(pl.col(rate).is_null())["channel"].to_list()
    if hidden:
        _note_below(fig, "Too few to show: " + ", ".join(label(c) for c in hidden))
    fig = _style(fig, height=max(280, 40 * rows.height + 110))
    fig.update_layout(margin={"r": 56, "b": 80 if hidden else 10})
    return fig


def repeat_frame(df: pl.DataFrame, min_n: int) -> pl.DataFrame:
    """Per channel: n_contacts, n_repeated_7d, n_repeated_7d_offline, rate_repeated_7d."""
    return _channel_order(df.with_columns(
        rate_repeated_7d=_rate(pl.col("n_repeated_7d"), pl.col("n_contacts"), min_n)))


# -- 4. personalisation ------------------------------------------------------------------------

def channel_use_frame(df: pl.DataFrame, segment_by: str) -> pl.DataFrame:
    """Over the period, per segment value and channel: n_contacts, share_of_segment."""
    totals = df.group_by("segment", "channel").agg(pl.col("n_contacts").sum())
    totals = totals.with_columns(
        share_of_segment=pl.col("n_contacts") / pl.col("n_contacts").sum().over("segment"))
    order = {s: i for i, s in enumerate(SEGMENTS[segment_by])}
    rank = {c: i for i, c in enumerate(CHANNELS)}
    return totals.sort(pl.col("segment").replace_strict(order, default=99, return_dtype=pl.Int64),
                       pl.col("channel").replace_strict(rank, default=99, return_dtype=pl.Int64))


def channel_use_figure(drawn: pl.DataFrame, segment_by: str) -> go.Figure:
    """One 100% bar per segment value, split by channel in the channel colours."""
    if drawn.is_empty():
        return empty_figure("No job-seeker contacts match these filters.")
    segments = _order(drawn["segment"].unique().to_list(), SEGMENTS[segment_by])[::-1]
    fig = _figure()
    for channel in CHANNELS:
        part = {r["segment"]: r for r in drawn.filter(pl.col("channel") == channel)
                .iter_rows(named=True)}
        present = [s for s in segments if s in part]
        if not present:
            continue
        fig.add_trace(_trace("bar", 
            name=label(channel), orientation="h", meta=channel,
            y=[segment_label(s) for s in present],
            x=[part[s]["share_of_segment"] for s in present],
            customdata=[part[s]["n_contacts"] for s in present],
            marker={"color": CHANNEL_COLOURS[channel]},
            hovertemplate=(f"<b>{label(channel)}</b> · %{{y}}<br>%{{x:.1%}} of contacts "
                           "(%{customdata:,})<extra></extra>"),
        ))
    fig.update_layout(barmode="stack", legend={"title": {"text": "Channel"}})
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="Share of the segment's contacts")
    fig.update_yaxes(automargin=True, title=SEGMENT_TYPE_LABELS[segment_by])
    return _style(fig, height=max(300, 60 * len(segments) + 120))


def offline_trend_frame(df: pl.DataFrame) -> pl.DataFrame:
    """Per month and segment value: n_contacts, n_offline, share_offline (agency, event,
    phone, letter)."""
    offline = ~pl.col("channel").is_in(list(DIGITAL_CHANNELS))
    return (df.group_by("month", "segment")
            .agg(pl.col("n_contacts").sum(), pl.col("n_contacts").filter(offline).sum()
                 .alias("n_offline"))
            .with_columns(share_offline=_rate(pl.col("n_offline"), pl.col("n_contacts")))
            .sort("segment", "month"))


def segment_lines_figure(drawn: pl.DataFrame, segment_by: str, value: str, num: str, den: str,
                         axis_title: str, noun: str, *, empty: str) -> go.Figure:
    """One line per segment value ('all' drawn thick and dark) of a monthly rate."""
    if drawn.is_empty() or drawn[value].drop_nulls().is_empty():
        return empty_figure(empty)
    order = ["all"] if "all" in set(drawn["segment"].to_list()) else []
    order += _order([s for s in drawn["segment"].unique().to_list() if s != "all"],
                    SEGMENTS[segment_by])
    fig = _figure()
    for i, segment in enumerate(order):
        part = drawn.filter(pl.col("segment") == segment).sort("month")
        is_all = segment == "all"
        j = i - (1 if order[0] == "all" else 0)
        fig.add_trace(_trace("scatter", 
            name=segment_label(segment), x=part["month"].to_list(), y=part[value].to_list(),
            mode="lines+markers", meta=segment, connectgaps=False,
            line={"color": ALL_COLOUR if is_all else SERIES_COLOURS[j % 7],
                  "dash": "solid" if is_all else DASHES[j % 7], "width": 4 if is_all else 2},
            customdata=list(zip(part[num].to_list(), part[den].to_list(), strict=True)),
            hovertemplate=(f"<b>{segment_label(segment)}</b> %{{x|%b %Y}}<br>{axis_title} "
                           f"%{{y:.1%}}<br>%{{customdata[0]:,}} of %{{customdata[1]:,}} {noun}"
                           "<extra></extra>"),
        ))
    top = max(v for v in drawn[value].to_list() if v is not None)
    fig.update_xaxes(tickformat="%b %Y", title=None)
    fig.update_yaxes(tickformat=".0%", range=[0, min(1.0, top * 1.2 + 0.02)], title=axis_title)
    fig.update_layout(legend={"title": {"text": SEGMENT_TYPE_LABELS[segment_by]}})
    return _style(fig, height=380)


def bounce_back_frame(df: pl.DataFrame, min_n: int) -> pl.DataFrame:
    """Per month and segment value: n_digital_contacts, n_back_offline, rate_back_offline."""
    return df.with_columns(rate_back_offline=_rate(pl.col("n_back_offline"),
                                                   pl.col("n_digital_contacts"), min_n)
                           ).sort("segment", "month")


# -- 5. digital-exclusion watch ----------------------------------------------------------------

def exclusion_groups_frame(df: pl.DataFrame, min_n: int) -> pl.DataFrame:
    """group_type, group_code, group_label, n_active, n_offline_only, share_offline_only."""
    return df.with_columns(
        group_label=pl.when(pl.col("group_type") == "region_code")
        .then(pl.col("group_name").fill_null(pl.col("group_code")))
        .otherwise(pl.col("group_code").map_elements(segment_label, return_dtype=pl.String)),
        share_offline_only=_rate(pl.col("n_offline_only"), pl.col("n_active"), min_n),
    ).select("group_type", "group_code", "group_label", "n_active", "n_offline_only",
             "share_offline_only")


def exclusion_groups_figure(drawn: pl.DataFrame) -> go.Figure:
    """Offline-only share per segment value (four panels) and per region (below)."""
    if drawn.is_empty() or drawn["n_active"].sum() == 0:
        return empty_figure("No active job-seekers match these filters.", height=640)
    types = [t for t in SEGMENTS if t in set(drawn["group_type"].to_list())]
    # Segments side by side on top, regions (a longer list) across the whole width below.
    top = [(x0, x1, 0.64, 1.0) for x0, x1, _, _ in _side_by_side(len(types), 0.17)]
    fig = _panels([*top, (0.0, 1.0, 0.0, 0.5)],
                  [*(SEGMENT_TYPE_LABELS[t] for t in types), "Region"])
    placements = [(t, i + 1) for i, t in enumerate(types)] + [("region_code", len(types) + 1)]
    for group_type, panel in placements:
        part = drawn.filter((pl.col("group_type") == group_type)
                            & pl.col("share_offline_only").is_not_null())
        if group_type == "region_code":
            part = part.sort("share_offline_only", "group_label", descending=[False, True])
        else:
            order = {s: i for i, s in enumerate(SEGMENTS[group_type])}
            part = part.sort(pl.col("group_code").replace_strict(order, default=99,
                                                                 return_dtype=pl.Int64),
                             descending=True)
        fig.add_trace(_trace("bar", 
            orientation="h", x=part["share_offline_only"].to_list(),
            y=part["group_label"].to_list(), meta=group_type, showlegend=False,
            name=SEGMENT_TYPE_LABELS[group_type], marker={"color": SERIES_COLOURS[2]},
            text=[fmt_pct(v) for v in part["share_offline_only"].to_list()],
            textposition="outside", cliponaxis=False,
            customdata=list(zip(part["n_offline_only"].to_list(), part["n_active"].to_list(),
                                strict=True)),
            hovertemplate=("<b>%{y}</b><br>Offline only %{x:.1%}<br>%{customdata[0]:,} of "
                           "%{customdata[1]:,} active job-seekers<extra></extra>"),
            **_on(panel),
        ))
    top = drawn["share_offline_only"].drop_nulls()
    fig.update_xaxes(range=[0, min(1.0, (top.max() if top.len() else 0.5) * 1.35 + 0.02)],
                     tickformat=".0%")
    fig.update_yaxes(automargin=True)
    return _style(fig, height=640)


def exclusion_trend_frame(df: pl.DataFrame, min_n: int) -> pl.DataFrame:
    """month, segment ('all' or a value), n_active, n_offline_only, share_offline_only."""
    return df.with_columns(share_offline_only=_rate(pl.col("n_offline_only"),
                                                    pl.col("n_active"), min_n)
                           ).sort("segment", "month")


def exclusion_ranking_frame(df: pl.DataFrame, min_n: int) -> pl.DataFrame:
    """rank (null when too few to rank), code, name, region_name, n_active, n_offline_only,
    share_offline_only; highest share first, then those with fewer than ``min_n`` people."""
    ranked = df.with_columns(share_offline_only=_rate(pl.col("n_offline_only"),
                                                      pl.col("n_active"), min_n))
    ranked = ranked.sort(pl.col("share_offline_only").is_null(), pl.col("share_offline_only"),
                         pl.col("n_active"), "code", descending=[False, True, True, False])
    return ranked.with_columns(
        rank=pl.when(pl.col("share_offline_only").is_not_null())
        .then(pl.int_range(1, pl.len() + 1)).otherwise(None).cast(pl.Int64)
    ).select("rank", "code", "name", "region_name", "n_active", "n_offline_only",
             "share_offline_only")


# -- 6. service quality ------------------------------------------------------------------------

def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default)."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def satisfaction_frame(df: pl.DataFrame, min_survey_n: int) -> pl.DataFrame:
    """Per channel: n_rated, n_satisfied, share_satisfied, ci_low, ci_high (all null below
    ``min_survey_n`` answers: nothing is shown on fewer)."""
    rows = []
    for r in _channel_order(df).iter_rows(named=True):
        shown = r["n_rated"] >= max(min_survey_n, 1)
        low, high = wilson_interval(r["n_satisfied"], r["n_rated"]) if shown else (None, None)
        rows.append({"channel": r["channel"], "n_rated": r["n_rated"],
                     "n_satisfied": r["n_satisfied"],
                     "share_satisfied": r["n_satisfied"] / r["n_rated"] if shown else None,
                     "ci_low": low, "ci_high": high})
    return pl.DataFrame(rows, schema={"channel": pl.String, "n_rated": pl.Int64,
                                      "n_satisfied": pl.Int64, "share_satisfied": pl.Float64,
                                      "ci_low": pl.Float64, "ci_high": pl.Float64})


def satisfaction_figure(drawn: pl.DataFrame, min_survey_n: int) -> go.Figure:
    """A dot per channel at its satisfied share, with the 95% interval as a bar."""
    shown = drawn.filter(pl.col("share_satisfied").is_not_null())
    if shown.is_empty():
        return empty_figure(f"Not shown: no channel has {fmt_int(min_survey_n)} survey answers "
                            "under these filters.")
    rows = shown.reverse()
    share, low, high = (rows[c].to_list() for c in ("share_satisfied", "ci_low", "ci_high"))
    fig = _figure(_trace("scatter", 
        x=share, y=[label(c) for c in rows["channel"].to_list()], mode="markers",
        meta=rows["channel"].to_list(), name="Satisfied",
        marker={"size": 13, "color": [CHANNEL_COLOURS.get(c, "#777") for c in rows["channel"]],
                "line": {"color": "#1f2328", "width": 1}},
        error_x={"type": "data", "symmetric": False, "color": "#1f2328", "thickness": 1.5,
                 "array": [h - s for h, s in zip(high, share, strict=True)],
                 "arrayminus": [s - lo for s, lo in zip(share, low, strict=True)]},
        customdata=list(zip(low, high, rows["n_satisfied"].to_list(), rows["n_rated"].to_list(),
                            strict=True)),
        hovertemplate=("<b>%{y}</b><br>Satisfied %{x:.1%} (95% CI %{customdata[0]:.1%} – "
                       "%{customdata[1]:.1%})<br>%{customdata[2]:,} of %{customdata[3]:,} "
                       "answers<extra></extra>"),
    ))
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="Satisfied (4 or 5 out of 5)")
    fig.update_yaxes(automargin=True)
    hidden = drawn.filter(pl.col("share_satisfied").is_null())["channel"].to_list()
    if hidden:
        _note_below(fig, f"Fewer than {fmt_int(min_survey_n)} answers, not shown: "
                    + ", ".join(label(c) for c in hidden))
    fig = _style(fig, height=max(300, 40 * rows.height + 120))
    fig.update_layout(margin={"b": 80 if hidden else 10})
    return fig


def resolution_frame(df: pl.DataFrame, min_n: int) -> pl.DataFrame:
    """Per channel: n_resolution_known, n_resolved, rate_resolved (first-contact resolution)."""
    return _channel_order(df.select(
        "channel", "n_resolution_known", "n_resolved",
        _rate(pl.col("n_resolved"), pl.col("n_resolution_known"), min_n).alias("rate_resolved")))


def percentile_from_histogram(bins: Sequence[tuple[float, float, int]], q: float
                              ) -> float | None:
    """The q-th quantile of a histogram [(lower, upper, count)] sorted by lower, interpolated
    linearly within the bin that holds it (the grouped-data median formula)."""
    total = sum(n for _, _, n in bins)
    if total == 0:
        return None
    target = q * total
    cumulative = 0
    for lower, upper, n in bins:
        if n and cumulative + n >= target:
            return lower + (target - cumulative) / n * (upper - lower)
        cumulative += n
    return bins[-1][1]


def durations_frame(hist: pl.DataFrame) -> pl.DataFrame:
    """Per channel and measure: n_contacts, median_s, p90_s (from the histograms)."""
    rows = []
    for (channel, measure), part in hist.sort("channel", "measure", "bin_lower_s").group_by(
            ["channel", "measure"], maintain_order=True):
        bins = list(part.select("bin_lower_s", "bin_upper_s", "n_contacts").iter_rows())
        rows.append({"channel": channel, "measure": measure,
                     "n_contacts": int(part["n_contacts"].sum()),
                     "median_s": percentile_from_histogram(bins, 0.5),
                     "p90_s": percentile_from_histogram(bins, 0.9)})
    frame = pl.DataFrame(rows, schema={"channel": pl.String, "measure": pl.String,
                                       "n_contacts": pl.Int64, "median_s": pl.Float64,
                                       "p90_s": pl.Float64})
    rank = {c: i for i, c in enumerate(CHANNELS)}
    return frame.sort(pl.col("measure").replace_strict({"wait": 0, "duration": 1}, default=2,
                                                       return_dtype=pl.Int64),
                      pl.col("channel").replace_strict(rank, default=99, return_dtype=pl.Int64))


STATISTICS = (("median_s", "Median", ""), ("p90_s", "90th percentile", "/"))


def durations_figure(drawn: pl.DataFrame) -> go.Figure:
    """Median (solid) and 90th percentile (hatched) per channel: wait left, duration right."""
    if drawn.is_empty():
        return empty_figure("No timed contacts match these filters.")
    fig = _panels(_side_by_side(2, 0.16), ["Wait before the contact", "Duration of the contact"])
    for col, measure in enumerate(("wait", "duration"), start=1):
        part = drawn.filter(pl.col("measure") == measure).reverse()
        if part.is_empty():
            continue
        names = [label(c) for c in part["channel"].to_list()]
        colours = [CHANNEL_COLOURS.get(c, "#777") for c in part["channel"].to_list()]
        for stat, stat_name, pattern in STATISTICS:
            minutes = [v / 60 for v in part[stat].to_list()]
            fig.add_trace(_trace("bar", 
                orientation="h", y=names, x=minutes, name=stat_name, legendgroup=stat,
                offsetgroup=stat, showlegend=False, meta=f"{measure}:{stat}",
                marker={"color": colours, "pattern": {"shape": pattern, "fgcolor": "#ffffff"},
                        "line": {"color": "#1f2328", "width": 0.5}},
                text=[fmt_duration(v) for v in part[stat].to_list()], textposition="outside",
                cliponaxis=False,
                customdata=[fmt_duration(v) for v in part[stat].to_list()],
                hovertemplate=f"<b>%{{y}}</b><br>{stat_name} %{{customdata}}<extra></extra>",
                **_on(col),
            ))
        fig.update_layout({_axis("x", col): {"title": {"text": "minutes"}, "rangemode": "tozero"}})
    # The bars take their channel's colour, so the legend shows the two statistics in grey.
    for stat, stat_name, pattern in STATISTICS:
        fig.add_trace(_trace(
            "bar", x=[None], y=[None], name=stat_name, legendgroup=stat, offsetgroup=stat,
            orientation="h", meta="legend",
            marker={"color": "#777777", "pattern": {"shape": pattern, "fgcolor": "#ffffff"}}))
    fig.update_layout(barmode="group", legend={"title": {"text": "Statistic"}})
    fig.update_yaxes(automargin=True)
    return _style(fig, height=460)


def no_show_frame(df: pl.DataFrame, segment_by: str, min_n: int) -> pl.DataFrame:
    """Per channel and segment value, plus each channel's 'all' row: n_appointments,
    n_no_shows, rate_no_show (null below ``min_n`` appointments)."""
    if df.is_empty():
        return pl.DataFrame(schema={"channel": pl.String, "segment": pl.String,
                                    "n_appointments": pl.Int64, "n_no_shows": pl.Int64,
                                    "rate_no_show": pl.Float64})
    overall = df.group_by("channel").agg(pl.col("n_appointments", "n_no_shows").sum()) \
        .with_columns(segment=pl.lit("all"))
    both = pl.concat([overall.select(df.columns), df])
    order = {s: i for i, s in enumerate(("all", *SEGMENTS[segment_by]))}
    rank = {c: i for i, c in enumerate(CHANNELS)}
    return both.with_columns(
        rate_no_show=_rate(pl.col("n_no_shows"), pl.col("n_appointments"), min_n)
    ).sort(pl.col("channel").replace_strict(rank, default=99, return_dtype=pl.Int64),
           pl.col("segment").replace_strict(order, default=99, return_dtype=pl.Int64))


def no_show_figure(drawn: pl.DataFrame, segment_by: str) -> go.Figure:
    """A table-like heatmap: channels down, segment values across, the rate written in."""
    if drawn.is_empty():
        return empty_figure("No appointments match these filters.")
    channels = _order(drawn["channel"].unique().to_list(), CHANNELS)
    segments = ["all"] + _order([s for s in drawn["segment"].unique().to_list() if s != "all"],
                                SEGMENTS[segment_by])
    cell = {(r["channel"], r["segment"]): r for r in drawn.iter_rows(named=True)}
    z, text, custom = [], [], []
    for channel in channels:
        row_z, row_t, row_c = [], [], []
        for segment in segments:
            r = cell.get((channel, segment))
            rate = r["rate_no_show"] if r else None
            row_z.append(rate)
            row_t.append(fmt_pct(rate) if rate is not None else ("too few" if r else ""))
            row_c.append((r["n_no_shows"], r["n_appointments"]) if r else (0, 0))
        z.append(row_z)
        text.append(row_t)
        custom.append(row_c)
    fig = _figure(_trace("heatmap", 
        z=z, x=[segment_label(s) for s in segments], y=[label(c) for c in channels],
        text=text, texttemplate="%{text}", colorscale="cividis", zmin=0,
        colorbar={"title": {"text": "No-show"}, "tickformat": ".0%"}, customdata=custom,
        hovertemplate=("<b>%{y}</b> · %{x}<br>No-show %{z:.1%}<br>%{customdata[0]:,} of "
                       "%{customdata[1]:,} appointments<extra></extra>"),
        xgap=2, ygap=2,
    ))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(side="top", title=None)
    return _style(fig, height=max(240, 48 * len(channels) + 120))


# -- 7. support intensity ----------------------------------------------------------------------

def caseload_points_frame(df: pl.DataFrame) -> pl.DataFrame:
    """One row per counsellor: support_tier, agency_name, n_caseload, norm_label, norm_status
    ('below', 'within', 'above' or 'no norm')."""
    return df.with_columns(norm_status=pl.when(pl.col("norm_min").is_null()
                                               & pl.col("norm_max").is_null())
                           .then(pl.lit("no norm"))
                           .when(pl.col("is_below_norm")).then(pl.lit("below"))
                           .when(pl.col("is_above_norm")).then(pl.lit("above"))
                           .otherwise(pl.lit("within"))
                           ).select("support_tier", "agency_name", "n_caseload", "norm_label",
                                    "norm_min", "norm_max", "norm_status")


def caseload_summary_frame(points: pl.DataFrame) -> pl.DataFrame:
    """Per tier: norm_label, n_counsellors, median_caseload, n_below_norm, n_within_norm,
    n_above_norm."""
    order = {t: i for i, t in enumerate((*SUPPORT_TIERS, "unknown"))}
    return points.group_by("support_tier").agg(
        pl.col("norm_label").first(),
        pl.len().cast(pl.Int64).alias("n_counsellors"),
        pl.col("n_caseload").median().alias("median_caseload"),
        (pl.col("norm_status") == "below").sum().cast(pl.Int64).alias("n_below_norm"),
        (pl.col("norm_status") == "within").sum().cast(pl.Int64).alias("n_within_norm"),
        (pl.col("norm_status") == "above").sum().cast(pl.Int64).alias("n_above_norm"),
    ).sort(pl.col("support_tier").replace_strict(order, default=99, return_dtype=pl.Int64))


def caseload_figure(points: pl.DataFrame) -> go.Figure:
    """Each counsellor's caseload as a dot over a box, one panel per tier, the norm shaded."""
    if points.is_empty():
        return empty_figure("No counsellor caseloads match these filters.", height=420)
    tiers = _order(points["support_tier"].unique().to_list(), SUPPORT_TIERS)
    fig = _panels(_stacked(len(tiers), 0.32 / len(tiers)), [TIER_LABELS.get(t, t) for t in tiers])
    for row, tier in enumerate(tiers, start=1):
        part = points.filter(pl.col("support_tier") == tier).sort("n_caseload")
        first = part.row(0, named=True)
        lo, hi = first["norm_min"], first["norm_max"]
        fig.add_trace(_trace("box", 
            x=part["n_caseload"].to_list(), name=TIER_LABELS.get(tier, tier), orientation="h",
            boxpoints="all", jitter=0.5, pointpos=0, meta=tier, showlegend=False,
            marker={"color": SERIES_COLOURS[0], "size": 6, "opacity": 0.8},
            line={"color": "#1f2328", "width": 1}, fillcolor="rgba(0,0,0,0)",
            customdata=list(zip(part["agency_name"].to_list(), part["norm_status"].to_list(),
                                strict=True)),
            hovertemplate=("%{x:,} job-seekers<br>%{customdata[0]}<br>"
                           "%{customdata[1]} the norm<extra></extra>"),
            **_on(row),
        ))
        axes = _on(row)
        if lo is not None or hi is not None:
            fig.add_shape(type="rect", x0=lo or 0,
                          x1=hi if hi is not None else part["n_caseload"].max(),
                          y0=0, y1=1, xref=axes["xaxis"], yref=f"{axes['yaxis']} domain",
                          fillcolor="#117733", opacity=0.16, line_width=0, layer="below")
        hi_x = max(part["n_caseload"].max(), hi or 0) * 1.08 + 5
        fig.update_layout({
            _axis("x", row): {"range": [0, hi_x], "title": {
                "text": "job-seekers in the caseload" if row == len(tiers) else None}},
            _axis("y", row): {"showticklabels": False}})
    return _style(fig, height=150 * len(tiers) + 110)


def outside_norm_frame(df: pl.DataFrame) -> pl.DataFrame:
    """month, support_tier, n_counsellors, n_below_norm, n_above_norm, n_outside_norm."""
    return df.with_columns(
        n_outside_norm=(pl.col("n_below_norm") + pl.col("n_above_norm")).cast(pl.Int64)
    ).select("month", "support_tier", "n_counsellors", "n_below_norm", "n_above_norm",
             "n_outside_norm", "median_caseload").sort("support_tier", "month")


def outside_norm_figure(drawn: pl.DataFrame) -> go.Figure:
    if drawn.is_empty():
        return empty_figure("No counsellor caseloads match these filters.")
    fig = _figure()
    for i, tier in enumerate(_order(drawn["support_tier"].unique().to_list(), SUPPORT_TIERS)):
        part = drawn.filter(pl.col("support_tier") == tier).sort("month")
        fig.add_trace(_trace("scatter", 
            name=TIER_LABELS.get(tier, tier), x=part["month"].to_list(),
            y=part["n_outside_norm"].to_list(), mode="lines+markers", meta=tier,
            line={"color": SERIES_COLOURS[i % 7], "dash": DASHES[i % 7], "width": 2.5},
            customdata=list(zip(part["n_below_norm"].to_list(), part["n_above_norm"].to_list(),
                                part["n_counsellors"].to_list(), strict=True)),
            hovertemplate=(f"<b>{TIER_LABELS.get(tier, tier)}</b> %{{x|%b %Y}}<br>"
                           "%{y:,} outside the norm of %{customdata[2]:,} counsellors<br>"
                           "%{customdata[0]:,} below, %{customdata[1]:,} above<extra></extra>"),
        ))
    fig.update_xaxes(tickformat="%b %Y", title=None)
    fig.update_yaxes(title="Counsellors outside the norm", rangemode="tozero", tickformat=",d")
    fig.update_layout(legend={"title": {"text": "Tier"}})
    return _style(fig, height=360)

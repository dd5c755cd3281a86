"""Pure builders for the Data quality page: Polars frames in, a figure or plain text out."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import polars as pl

from dashboards.components.format import fmt_int
from dashboards.figures import SHARE_COLOUR, _style, empty_figure

OUTCOME_LABELS = {
    "loaded": "Loaded", "replaced": "Replaced (corrected file)",
    "replayed": "Replayed from quarantine", "skipped_duplicate": "Skipped: same content",
    "rejected": "Rejected",
}
OUTCOMES_ORDER = {outcome: i for i, outcome in enumerate(OUTCOME_LABELS)}
RUN_STATUS_LABELS = {"completed": "Completed", "failed": "Failed", "running": "Running"}
MAX_LABEL = 60  # characters of a reason shown on the axis; hover and the summary have it all


def fmt_local(ts: dt.datetime | None, timezone: str) -> str:
    """An instant in the PES time zone, compact for a table cell: '5 Jan 2026, 09:30'."""
    if ts is None:
        return "–"
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    local = ts.astimezone(ZoneInfo(timezone))
    return f"{local.day} {local:%b %Y, %H:%M}"


def outcome_label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, outcome.replace("_", " ").capitalize())


def reason_label(row: Mapping, with_source: bool) -> str:
    text = f"{row['source']} · {row['reason']}" if with_source else row["reason"]
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"


def reasons_figure(df: pl.DataFrame) -> go.Figure:
    """Horizontal bars of open quarantined rows per reason, the most frequent on top.

    ``df``: source, reason, n_rows, n_files (quality_queries.top_quarantine_reasons).
    """
    if df.is_empty():
        return empty_figure("No rows are waiting in quarantine.", height=240)
    with_source = df["source"].n_unique() > 1
    rows = list(reversed(df.rows(named=True)))  # plotly draws bottom-up
    fig = go.Figure(go.Bar(
        orientation="h",
        x=[r["n_rows"] for r in rows],
        y=[reason_label(r, with_source) for r in rows],
        text=[fmt_int(r["n_rows"]) for r in rows],
        textposition="outside",
        cliponaxis=False,
        customdata=[(r["source"], r["reason"], r["n_files"]) for r in rows],
        marker={"color": SHARE_COLOUR},
        hovertemplate=("<b>%{customdata[1]}</b><br>%{customdata[0]}: %{x:,} open row(s) "
                       "in %{customdata[2]:,} file(s)<extra></extra>"),
    ))
    # Whole rows only: with small counts, automatic ticks would fall between integers.
    fig.update_xaxes(title="Open quarantined rows", tickformat=",d", rangemode="tozero",
                     dtick=1 if df["n_rows"].max() <= 10 else None)
    fig.update_yaxes(title=None, automargin=True)
    fig = _style(fig, height=max(240, 60 + 34 * len(rows)))
    fig.update_layout(margin={"r": 56})  # room for the count beside the longest bar
    return fig


def describe_reasons(df: pl.DataFrame, n_open: int | None) -> str:
    """The chart's text alternative: every reason shown, with its count."""
    if df.is_empty():
        return "No rows are waiting in quarantine for this view."
    with_source = df["source"].n_unique() > 1
    items = [f"{(r['source'] + ' · ') if with_source else ''}{r['reason']}: "
             f"{fmt_int(r['n_rows'])} row(s) in {fmt_int(r['n_files'])} file(s)"
             for r in df.iter_rows(named=True)]
    total = (f"{fmt_int(n_open)} open quarantined row(s); a row can give several reasons. "
             if n_open is not None else "")
    return f"{total}Most frequent reasons: " + "; ".join(items) + "."


def expectation_label(expectation: str, column: str | None) -> str:
    """'expect_column_values_to_not_be_null', 'person_id' ->
    'person_id: column values to not be null'."""
    text = expectation.removeprefix("expect_").replace("_", " ")
    return f"{column}: {text}" if column else text


def failed_text(failed: list[Mapping] | None) -> str:
    if not failed:
        return "–"
    return "; ".join(
        expectation_label(f["expectation"], f["column_name"])
        + (f" ({fmt_int(f['unexpected_count'])} unexpected)" if f["unexpected_count"] else "")
        for f in failed)


def detail_text(detail: str | None) -> str:
    """A file event's detail for people: rejection reasons are stored as JSON."""
    if not detail:
        return ""
    try:
        reasons = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(reasons, list):
        return detail
    parts = []
    for r in reasons:
        if not isinstance(r, dict):
            parts.append(str(r))
            continue
        text = r.get("message") or r.get("detail") or r.get("check") or ""
        if r.get("column"):
            text = f"column {r['column']}: {text}"
        if r.get("n_rows"):
            text += f" ({fmt_int(r['n_rows'])} row(s))"
        parts.append(text)
    return "; ".join(parts)

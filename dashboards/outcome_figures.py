"""Pure figure builders for the Outcomes and Employers pages: Polars frames in, Plotly out.

Colours: each value of a dimension (a support tier, an age band, a close reason...) keeps its
colour on every chart of both pages, from the Okabe & Ito palette with Paul Tol's extras, as in
dashboards.figures. Hover text and legends name every value, so colour is never the only cue.
A suppressed value (denominator under the threshold) is drawn as no bar and said so on hover
and in the chart's note, never as a zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import polars as pl

from dashboards.components.format import fmt_int, fmt_pct
from dashboards.figures import FONT, SHARE_COLOUR, empty_figure

DAYS_PER_MONTH = 365.25 / 12

VALUE_LABELS: dict[str, dict[str, str]] = {
    "age_band": {"<25": "Under 25", "25-49": "25 to 49", "50+": "50 and over"},
    "sex": {"F": "Women", "M": "Men", "X": "Other or not stated"},
    "education_level": {"low": "Low (ISCED 0-2)", "medium": "Medium (ISCED 3-4)",
                        "high": "High (ISCED 5-8)"},
    "support_tier": {"autonomous": "Autonomous", "guided": "Guided", "intensive": "Intensive",
                     "global": "Global"},
    "digital_skills": {"none": "No digital skills", "basic": "Basic", "above_basic": "Above basic",
                       "unknown": "Unknown"},
    "channel_profile": {"mostly_digital": "Mostly digital", "mixed": "Mixed",
                        "mostly_in_person": "Mostly in person or by phone",
                        "too_few_contacts": "Fewer than 3 contacts"},
    "counselling_band": {"0": "None", "1": "1", "2": "2", "3-4": "3 or 4", "5+": "5 or more"},
    "employer_size": {"micro": "Micro (under 10)", "small": "Small (10-49)",
                      "medium": "Medium (50-249)", "large": "Large (250+)"},
    "close_reason": {"filled_pes": "Filled through the PES", "filled_other": "Filled otherwise",
                     "withdrawn": "Withdrawn", "expired": "Expired", "unknown": "Reason unknown"},
}
# NACE Rev. 2 section titles (Eurostat).
NACE_SECTIONS = {
    "A": "Agriculture, forestry and fishing", "B": "Mining and quarrying", "C": "Manufacturing",
    "D": "Electricity, gas, steam and air conditioning supply",
    "E": "Water supply; sewerage, waste management and remediation",
    "F": "Construction", "G": "Wholesale and retail trade; repair of motor vehicles",
    "H": "Transportation and storage", "I": "Accommodation and food service activities",
    "J": "Information and communication", "K": "Financial and insurance activities",
    "L": "Real estate activities", "M": "Professional, scientific and technical activities",
    "N": "Administrative and support service activities",
    "O": "Public administration and defence; compulsory social security", "P": "Education",
    "Q": "Human health and social work activities", "R": "Arts, entertainment and recreation",
    "S": "Other service activities", "T": "Activities of households as employers",
    "U": "Activities of extraterritorial organisations and bodies",
}
VALUE_LABELS["nace_section"] = {k: f"{k} {v}" for k, v in NACE_SECTIONS.items()}

COLOURS: dict[str, dict[str, str]] = {
    "support_tier": {"autonomous": "#009E73", "guided": "#0072B2", "intensive": "#E69F00",
                     "global": "#D55E00"},
    "age_band": {"<25": "#56B4E9", "25-49": "#0072B2", "50+": "#CC79A7"},
    "digital_skills": {"none": "#D55E00", "basic": "#E69F00", "above_basic": "#009E73",
                       "unknown": "#999999"},
    "channel_profile": {"mostly_digital": "#009E73", "mixed": "#56B4E9",
                        "mostly_in_person": "#0072B2", "too_few_contacts": "#999999"},
    "sex": {"F": "#CC79A7", "M": "#0072B2", "X": "#999933"},
    "education_level": {"low": "#E69F00", "medium": "#56B4E9", "high": "#332288"},
    "close_reason": {"filled_pes": "#009E73", "filled_other": "#56B4E9", "withdrawn": "#E69F00",
                     "expired": "#D55E00", "unknown": "#999999"},
    "employer_size": {"micro": "#CC79A7", "small": "#E69F00", "medium": "#56B4E9",
                      "large": "#0072B2"},
    "training_referral": {"yes": "#D55E00", "no": "#0072B2"},
    "horizon": {"6": "#332288", "12": "#117733", "24": "#882255"},
}
HISTORY_COLOUR = "#332288"  # Tol indigo, as single series elsewhere
FORECAST_COLOUR = "#D55E00"  # vermilion
NAIVE_COLOUR = "#6b6b6b"
SUPPRESSED_NOTE = "Not shown: fewer than {n} in the denominator."
TENSION_HEATMAP_HEIGHT = 600


def value_label(dimension: str, code: object) -> str:
    if code is None:
        return "Unknown"
    return VALUE_LABELS.get(dimension, {}).get(str(code), str(code))


def colour(dimension: str, code: object, default: str = SHARE_COLOUR) -> str:
    return COLOURS.get(dimension, {}).get(str(code), default)


# The look of Plotly's "plotly_white" template, set directly, and the whole layout given to
# the constructor: assigning the template costs about 10 ms per figure (it is validated and
# copied) and every update_* call several more, against a 100 ms budget per callback.
_AXIS = {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "zerolinecolor": "#EBF0F8",
         "zerolinewidth": 2, "ticks": "", "automargin": True}


def _axis(title: str | None = None, **kwargs) -> dict:
    return {**_AXIS, "title": {"text": title} if title else None, **kwargs}


def _figure(traces: list, *, height: int = 380, xaxis: dict | None = None,
            yaxis: dict | None = None, margin: dict | None = None, **layout) -> go.Figure:
    return go.Figure(data=traces, layout={
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "xaxis": xaxis or _axis(),
        "yaxis": yaxis or _axis(),
        "font": {"family": FONT, "size": 13, "color": "#1f2328"},
        "separators": ".,",
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10, **(margin or {})},
        "hoverlabel": {"font": {"family": FONT}},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        **layout,
    })


def _note(text: str, *, y: float = 1.06) -> dict:
    return {"text": text, "showarrow": False, "xref": "paper", "yref": "paper", "x": 1, "y": y,
            "xanchor": "right", "font": {"size": 11, "color": "#4a5360"}}


def _bar_height(n: int, *, minimum: int = 260, per_bar: int = 30) -> int:
    return max(minimum, 80 + per_bar * n)


# -- outcomes -------------------------------------------------------------------------------

def transition_rate_line(df: pl.DataFrame) -> go.Figure:
    """Monthly A1 (%) with its counts on hover; gaps where the stock is too small.

    ``df``: month, n_exits_employment, n_stock_end, rate_a1 (transition_rate_monthly).
    """
    if df.is_empty() or df["n_stock_end"].sum() == 0:
        return empty_figure("No registered job-seekers match these filters.")
    trace = go.Scatter(
        x=df["month"].to_list(), y=df["rate_a1"].to_list(), mode="lines+markers",
        name="A1 transition rate", line={"color": HISTORY_COLOUR, "width": 2},
        connectgaps=False,
        customdata=list(zip(df["n_exits_employment"].to_list(), df["n_stock_end"].to_list(),
                            strict=True)),
        hovertemplate=("<b>%{x|%b %Y}</b><br>A1 %{y:.2f}<br>%{customdata[0]:,} exits to "
                       "employment<br>%{customdata[1]:,} registered at month end<extra></extra>"),
    )
    return _figure([trace], xaxis=_axis(tickformat="%b %Y"),
                   yaxis=_axis("Exits to employment per 100 registered", rangemode="tozero"))


def share_line(df: pl.DataFrame) -> go.Figure:
    """Monthly share of exits to employment still employed 3 months later (known outcomes).

    ``df``: month, n_exits_employment, n_employment_outcome_known, n_still_employed_3m,
    share_still_employed_3m (transition_rate_monthly).
    """
    if df.is_empty() or df["n_employment_outcome_known"].sum() == 0:
        return empty_figure("No exit to employment with a known outcome matches these filters.")
    trace = go.Scatter(
        x=df["month"].to_list(), y=df["share_still_employed_3m"].to_list(),
        mode="lines+markers", name="Still employed 3 months later",
        line={"color": HISTORY_COLOUR, "width": 2}, connectgaps=False,
        customdata=list(zip(df["n_still_employed_3m"].to_list(),
                            df["n_employment_outcome_known"].to_list(),
                            df["n_exits_employment"].to_list(), strict=True)),
        hovertemplate=("<b>%{x|%b %Y}</b> (month of exit)<br>%{y:.1%} still employed<br>"
                       "%{customdata[0]:,} of %{customdata[1]:,} with a known outcome<br>"
                       "%{customdata[2]:,} exits to employment<extra></extra>"),
    )
    return _figure([trace], xaxis=_axis(tickformat="%b %Y"),
                   yaxis=_axis("Still employed 3 months later", tickformat=".0%", range=[0, 1]))


def breakdown_bars(df: pl.DataFrame, by: str, value: str, *, numerator: str, denominator: str,
                   value_format: str, axis_title: str, min_denominator: int,
                   denominator_label: str, numerator_label: str) -> go.Figure:
    """Horizontal bars of ``value`` per group of a breakdown; suppressed groups drawn empty.

    ``df``: key, label, ``value``, ``numerator``, ``denominator`` (transition_rate_by).
    """
    if df.is_empty():
        return empty_figure("No data match these filters.")
    rows = list(reversed(list(df.iter_rows(named=True))))  # plotly draws bottom-up
    names = [r["label"] if by == "region" else value_label(by, r["key"]) for r in rows]
    values = [r[value] for r in rows]
    is_pct = value_format == "pct"
    text = [("not shown" if v is None else fmt_pct(v) if is_pct else f"{v:.1f}") for v in values]
    trace = go.Bar(
        orientation="h", x=[0 if v is None else v for v in values], y=names, text=text,
        textposition="outside", cliponaxis=False,
        marker={"color": [colour(by, r["key"]) for r in rows]},
        customdata=[(r["key"], r[numerator], r[denominator]) for r in rows],
        hovertemplate=(f"<b>%{{y}}</b><br>%{{text}}<br>%{{customdata[1]:,.0f}} {numerator_label}"
                       f"<br>%{{customdata[2]:,.0f}} {denominator_label}<extra></extra>"),
    )
    x = _axis(axis_title, rangemode="tozero")
    if is_pct:
        x |= {"tickformat": ".0%", "range": [0, 1]}
    notes = ([_note(SUPPRESSED_NOTE.format(n=min_denominator))]
             if any(v is None for v in values) else [])
    return _figure([trace], height=_bar_height(len(rows)), xaxis=x, margin={"r": 70},
                   annotations=notes)


def cohort_lines(df: pl.DataFrame, period: tuple[dt.date, dt.date] | None = None) -> go.Figure:
    """Job-access rates within 6, 12 and 24 months per entry month (observed cohorts only).

    ``df``: cohort_month, n_entrants, n_job_within_{h}m, rate_{h}m (job_access_by_cohort).
    """
    if df.is_empty():
        return empty_figure("No new registrations match these filters.")
    traces = []
    for h in (6, 12, 24):
        part = df.filter(pl.col(f"rate_{h}m").is_not_null())
        if part.is_empty():
            continue
        traces.append(go.Scatter(
            x=part["cohort_month"].to_list(), y=part[f"rate_{h}m"].to_list(),
            mode="lines+markers", name=f"Within {h} months",
            line={"color": colour("horizon", h), "width": 2,
                  "dash": {6: "solid", 12: "dash", 24: "dot"}[h]},
            customdata=list(zip(part[f"n_job_within_{h}m"].to_list(),
                                part["n_entrants"].to_list(), strict=True)),
            hovertemplate=(f"<b>Entered %{{x|%b %Y}}</b><br>Within {h} months: %{{y:.1%}}<br>"
                           "%{customdata[0]:,} of %{customdata[1]:,} entrants<extra></extra>"),
        ))
    if not traces:
        return empty_figure("No cohort has 6 full months of follow-up yet.")
    shapes, notes = [], []
    if period:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": period[0],
                       "x1": period[1], "y0": 0, "y1": 1, "fillcolor": "#332288",
                       "opacity": 0.06, "line": {"width": 0}, "layer": "below"})
        notes.append({"text": "selected period", "showarrow": False, "xref": "x",
                      "yref": "paper", "x": period[0], "y": 1, "xanchor": "left",
                      "yanchor": "top", "font": {"size": 11, "color": "#4a5360"}})
    return _figure(traces, height=400,
                   xaxis=_axis("Month of registration", tickformat="%b %Y"),
                   yaxis=_axis("Share who left for a job", tickformat=".0%", rangemode="tozero"),
                   shapes=shapes, annotations=notes)


def survival_curves(curves: pl.DataFrame, summary: pl.DataFrame, by: str) -> go.Figure:
    """Kaplan–Meier step curves with their 95% band, x in months since registration.

    ``curves``: group, time (days), n_at_risk, n_events, n_censored, survival, lower, upper;
    ``summary``: group, n_spells, median_days (outcome_queries.time_to_employment).
    """
    if curves.is_empty():
        return empty_figure("Too few registration spells match these filters.", height=460)
    traces = []
    for group in summary.filter(~pl.col("is_suppressed"))["group"].to_list():
        part = curves.filter(pl.col("group") == group).sort("time")
        if part.is_empty():
            continue
        # Start every curve at S(0) = 1. NumPy arrays: Plotly validates lists item by item.
        x = np.concatenate([[0.0], part["time"].to_numpy() / DAYS_PER_MONTH])
        surv = np.concatenate([[1.0], part["survival"].to_numpy()])
        upper = np.concatenate([[1.0], part["upper"].to_numpy()])
        lower = np.concatenate([[1.0], part["lower"].to_numpy()])
        name = value_label(by, group)
        c = colour(by, group)
        traces.append(go.Scatter(
            x=np.concatenate([x, x[::-1]]), y=np.concatenate([upper, lower[::-1]]),
            mode="lines", fill="toself", fillcolor=_rgba(c, 0.15),
            line={"width": 0, "shape": "hv"},
            hoverinfo="skip", showlegend=False, legendgroup=group, name=f"{name} (95% band)"))
        custom = np.column_stack([
            np.concatenate([[0.0], part["time"].to_numpy()]),
            np.concatenate([[np.nan], part["n_at_risk"].to_numpy().astype(float)]),
            lower, upper])
        traces.append(go.Scatter(
            x=x, y=surv, mode="lines", name=name, legendgroup=group,
            line={"color": c, "width": 2, "shape": "hv"}, customdata=custom,
            hovertemplate=(f"<b>{name}</b><br>day %{{customdata[0]:,.0f}}: %{{y:.1%}} not yet "
                           "left for a job<br>95% band %{customdata[2]:.1%} to "
                           "%{customdata[3]:.1%}<br>%{customdata[1]:,} still followed"
                           "<extra></extra>")))
    half = {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": 0.5,
            "y1": 0.5, "line": {"color": "#6b6b6b", "dash": "dot", "width": 1}}
    return _figure(traces, height=460, shapes=[half],
                   xaxis=_axis("Months since registration", rangemode="tozero"),
                   yaxis=_axis("Not yet left for a job (Kaplan–Meier)", tickformat=".0%",
                               range=[0, 1.02]))


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def service_intensity_bars(df: pl.DataFrame, min_denominator: int) -> go.Figure:
    """Share leaving for a job within 6 months of the 3-month landmark, by counselling contacts
    before it, with and without a training referral.

    ``df``: counselling_band, has_training_referral, n_at_landmark, n_exits_employment_6m,
    rate_employment_6m (service_intensity).
    """
    if df.is_empty():
        return empty_figure("No cohort has 9 months of follow-up for these filters.")
    traces = []
    order = ["0", "1", "2", "3-4", "5+"]
    for referral in (False, True):
        part = df.filter(pl.col("has_training_referral") == referral)
        by_band = {r["counselling_band"]: r for r in part.iter_rows(named=True)}
        rows = [by_band.get(b) for b in order]
        name = "With a training referral" if referral else "Without a training referral"
        traces.append(go.Bar(
            x=[value_label("counselling_band", b) for b in order],
            y=[r["rate_employment_6m"] if r else None for r in rows],
            name=name, marker={"color": colour("training_referral", "yes" if referral else "no")},
            text=[("not shown" if r and r["rate_employment_6m"] is None else
                   fmt_pct(r["rate_employment_6m"]) if r else "") for r in rows],
            textposition="outside", cliponaxis=False,
            customdata=[(r["n_exits_employment_6m"], r["n_at_landmark"]) if r else (0, 0)
                        for r in rows],
            hovertemplate=(f"<b>{name}</b><br>%{{x}} counselling contact(s) in the first 3 months"
                           "<br>%{y:.1%} left for a job in the next 6 months<br>"
                           "%{customdata[0]:,} of %{customdata[1]:,}<extra></extra>"),
        ))
    notes = ([_note(SUPPRESSED_NOTE.format(n=min_denominator), y=1.08)]
             if df["rate_employment_6m"].is_null().any() else [])
    return _figure(traces, height=400, barmode="group", annotations=notes,
                   xaxis=_axis("Counselling contacts in the first 3 months"),
                   yaxis=_axis("Left for a job within the next 6 months", tickformat=".0%",
                               rangemode="tozero"))


# -- employers ------------------------------------------------------------------------------

def count_bars(df: pl.DataFrame, *, key: str, names: Sequence[str], dimension: str | None = None,
               value: str = "n_vacancies_posted", value_title: str = "Vacancies notified",
               clickable: bool = False) -> go.Figure:
    """Horizontal bars of a count per category, largest on top, with its share on hover.

    ``df``: ``key``, ``value``, share; ``names`` the label of each row, in the frame's order.
    """
    if df.is_empty() or df[value].sum() == 0:
        return empty_figure("No vacancies match these filters.")
    rows = list(df.iter_rows(named=True))
    paired = list(zip(rows, names, strict=True))
    if dimension != "employer_size":
        paired.sort(key=lambda p: p[0][value])
    else:
        paired.reverse()
    trace = go.Bar(
        orientation="h", x=[r[value] for r, _ in paired], y=[n for _, n in paired],
        text=[fmt_int(r[value]) for r, _ in paired], textposition="outside", cliponaxis=False,
        marker={"color": [colour(dimension, r[key]) if dimension else SHARE_COLOUR
                          for r, _ in paired]},
        customdata=[(r[key], r.get("share")) for r, _ in paired],
        hovertemplate=("<b>%{y}</b><br>%{x:,} " + value_title.lower() +
                       "<br>%{customdata[1]:.1%} of the total<extra></extra>"),
    )
    return _figure([trace], height=_bar_height(len(rows), per_bar=26), margin={"r": 60},
                   xaxis=_axis(value_title, rangemode="tozero"),
                   **({"clickmode": "event"} if clickable else {}))


def closure_bars(df: pl.DataFrame, names: Sequence[str]) -> go.Figure:
    """Stacked shares of closed vacancies by close reason, one bar per occupation.

    ``df``: isco_code, n_closed, n_filled_pes, n_filled_other, n_withdrawn, n_expired,
    n_unknown (closures_by_reason).
    """
    if df.is_empty() or df["n_closed"].sum() == 0:
        return empty_figure("No vacancy closed in this period matches these filters.")
    rows = list(zip(df.iter_rows(named=True), names, strict=True))[::-1]
    traces = []
    for reason in ("filled_pes", "filled_other", "withdrawn", "expired", "unknown"):
        counts = [r[f"n_{reason}"] for r, _ in rows]
        if not any(counts):
            continue
        traces.append(go.Bar(
            orientation="h", name=value_label("close_reason", reason),
            x=[c / r["n_closed"] for c, (r, _) in zip(counts, rows, strict=True)],
            y=[n for _, n in rows], marker={"color": colour("close_reason", reason)},
            customdata=[(c, r["n_closed"]) for c, (r, _) in zip(counts, rows, strict=True)],
            hovertemplate=(f"<b>%{{y}}</b><br>{value_label('close_reason', reason)}: %{{x:.1%}}"
                           "<br>%{customdata[0]:,} of %{customdata[1]:,} closed<extra></extra>"),
        ))
    return _figure(traces, height=_bar_height(len(rows), per_bar=26) + 30, barmode="stack",
                   xaxis=_axis("Share of vacancies closed in the period", tickformat=".0%",
                               range=[0, 1]))


def time_to_fill_histogram(hist: pl.DataFrame, summary: Mapping[str, float | int | None]
                           ) -> go.Figure:
    """Filled vacancies by days from notification to closure, with the median marked.

    ``hist``: label, days_from, n_filled, share (outcome_queries.time_to_fill_histogram).
    """
    if hist.is_empty() or hist["n_filled"].sum() == 0:
        return empty_figure("No vacancy filled in this period matches these filters.")
    trace = go.Bar(
        x=hist["label"].to_list(), y=hist["n_filled"].to_list(), marker={"color": SHARE_COLOUR},
        customdata=hist["share"].to_list(), name="Filled vacancies",
        hovertemplate="<b>%{x} days</b><br>%{y:,} filled (%{customdata:.1%})<extra></extra>",
    )
    notes = []
    median = summary.get("median")
    if median is not None:
        bin_days = int(hist["days_from"][1] - hist["days_from"][0]) if hist.height > 1 else 1
        index = min(int(median // bin_days), hist.height - 1)
        notes.append({"x": hist["label"][index], "y": hist["n_filled"][index],
                      "text": f"median {median:.0f} days", "showarrow": True, "arrowhead": 2,
                      "ay": -40})
    return _figure([trace], annotations=notes,
                   xaxis=_axis("Days from notification to closure", type="category"),
                   yaxis=_axis("Vacancies filled", rangemode="tozero"))


def rate_bars(df: pl.DataFrame, names: Sequence[str], *, value: str, numerator: str,
              denominator: str, axis_title: str, min_denominator: int,
              numerator_label: str, denominator_label: str, per_100: bool = False) -> go.Figure:
    """Horizontal bars of a rate per row (``per_100``: a number per 100, else a share)."""
    if df.is_empty():
        return empty_figure("No data match these filters.")
    rows = list(zip(df.iter_rows(named=True), names, strict=True))[::-1]
    values = [r[value] for r, _ in rows]
    text = ["not shown" if v is None else (f"{v:.1f}" if per_100 else fmt_pct(v)) for v in values]
    trace = go.Bar(
        orientation="h", x=[0 if v is None else v for v in values], y=[n for _, n in rows],
        text=text, textposition="outside", cliponaxis=False, marker={"color": SHARE_COLOUR},
        customdata=[(r[numerator], r[denominator]) for r, _ in rows],
        hovertemplate=(f"<b>%{{y}}</b><br>%{{text}}<br>%{{customdata[0]:,.1f}} {numerator_label}"
                       f"<br>%{{customdata[1]:,.1f}} {denominator_label}<extra></extra>"),
    )
    x = _axis(axis_title, rangemode="tozero")
    if not per_100:
        x["tickformat"] = ".0%"
    notes = ([_note(SUPPRESSED_NOTE.format(n=min_denominator))]
             if any(v is None for v in values) else [])
    return _figure([trace], height=_bar_height(len(rows), per_bar=26), xaxis=x,
                   margin={"r": 70}, annotations=notes)


def tension_heatmap(df: pl.DataFrame, occupation_names: Mapping[str, str],
                    min_denominator: int) -> go.Figure:
    """Occupations down, regions across (all selected regions first), open vacancies per 100
    job-seekers written in each cell; a suppressed cell shows "–" (explained under the chart
    and on hover), an occupation that was not recorded "n/a" (it has job-seekers but no
    vacancy), never a zero.

    ``df``: tension_by_occupation; ``occupation_names``: isco_code -> label.
    """
    if df.is_empty() or df["mean_jobseekers"].sum() == 0:
        return empty_figure("No registered job-seekers match these filters.")
    occupations = list(dict.fromkeys(df["isco_code"].to_list()))
    regions = list(dict.fromkeys(df["region_code"].to_list()))
    region_names = dict(zip(df["region_code"].to_list(), df["region_name"].to_list(),
                            strict=True))
    cell = {(r["isco_code"], r["region_code"]): r for r in df.iter_rows(named=True)}
    z, text, custom = [], [], []
    for code in occupations:
        row_z, row_t, row_c = [], [], []
        for region in regions:
            r = cell.get((code, region))
            value = r["vacancies_per_100_jobseekers"] if r else None
            if r is None:
                shown, said = "", "no data"
            elif value is not None:
                shown, said = f"{value:.1f}", f"{value:.1f} open vacancies per 100 job-seekers"
            elif code == "unknown":
                shown, said = "n/a", "occupation sought not recorded: no vacancy to compare"
            else:
                shown = "–"
                said = f"not shown: fewer than {min_denominator} job-seekers"
            row_z.append(value)
            row_t.append(shown)
            row_c.append((r["mean_open_vacancies"] if r else 0.0,
                          r["mean_jobseekers"] if r else 0.0, said))
        z.append(row_z)
        text.append(row_t)
        custom.append(row_c)
    trace = go.Heatmap(
        z=z, x=[region_names.get(r) or r for r in regions],
        y=[occupation_names.get(c, c) for c in occupations], text=text,
        texttemplate="%{text}", textfont={"size": 11}, colorscale="cividis", zauto=False,
        zmin=0, zmax=max((v for row in z for v in row if v is not None), default=1) or 1,
        colorbar={"title": {"text": "Per 100"}}, customdata=custom, xgap=2, ygap=2,
        hovertemplate=("<b>%{y}</b> · %{x}<br>%{customdata[2]}"
                       "<br>%{customdata[0]:,.1f} open vacancies (monthly average)"
                       "<br>%{customdata[1]:,.1f} job-seekers (monthly average)<extra></extra>"),
    )
    notes = ([{**_note(f"– not shown: fewer than {min_denominator} job-seekers (monthly "
                       "average)", y=-0.01), "yanchor": "top"}]
             if any(r["is_suppressed"] and r["isco_code"] != "unknown" for r in cell.values())
             else [])
    # One height for every drill level (the page sizes the graph from the first figure it
    # draws): enough for the ten major groups, their total and "not recorded".
    return _figure([trace], height=TENSION_HEATMAP_HEIGHT,
                   xaxis=_axis(None, side="top", tickangle=-35),
                   yaxis=_axis(None, autorange="reversed"),
                   margin={"t": 120, "b": 30}, annotations=notes)


def forecast_chart(df: pl.DataFrame) -> go.Figure:
    """History, fitted values, the 6-month forecast with 80% and 95% intervals, and the
    seasonal-naive forecast. ``df``: outcome_queries.forecast_series."""
    if df.is_empty():
        return empty_figure("No forecast for this selection.", height=420)
    hist = df.filter(~pl.col("is_forecast"))
    ahead = df.filter(pl.col("is_forecast"))
    traces = []
    if not ahead.is_empty():
        last = hist.tail(1)
        anchor_x = last["month"].to_list()
        anchor_y = last["n_vacancies_posted"].cast(pl.Float64).to_list()
        x = anchor_x + ahead["month"].to_list()
        for level, alpha in ((95, 0.12), (80, 0.25)):
            lo = anchor_y + ahead[f"lower_{level}"].to_list()
            hi = anchor_y + ahead[f"upper_{level}"].to_list()
            traces.append(go.Scatter(
                x=x + x[::-1], y=hi + lo[::-1], mode="lines", fill="toself",
                fillcolor=_rgba(FORECAST_COLOUR, alpha), line={"width": 0},
                name=f"{level}% interval", hoverinfo="skip"))
    traces.append(go.Scatter(
        x=hist["month"].to_list(), y=hist["n_vacancies_posted"].to_list(), mode="lines+markers",
        name="Vacancies notified", line={"color": HISTORY_COLOUR, "width": 2},
        hovertemplate="<b>%{x|%b %Y}</b><br>%{y:,} notified<extra></extra>"))
    traces.append(go.Scatter(
        x=hist["month"].to_list(), y=hist["fitted"].to_list(), mode="lines", name="Model fit",
        line={"color": HISTORY_COLOUR, "width": 1, "dash": "dot"},
        hovertemplate="<b>%{x|%b %Y}</b><br>fitted %{y:,.1f}<extra></extra>"))
    if not ahead.is_empty():
        traces.append(go.Scatter(
            x=ahead["month"].to_list(), y=ahead["forecast"].to_list(), mode="lines+markers",
            name="Forecast", line={"color": FORECAST_COLOUR, "width": 2, "dash": "dash"},
            customdata=list(zip(ahead["lower_80"].to_list(), ahead["upper_80"].to_list(),
                                ahead["lower_95"].to_list(), ahead["upper_95"].to_list(),
                                strict=True)),
            hovertemplate=("<b>%{x|%b %Y}</b><br>forecast %{y:,.1f}<br>80%: %{customdata[0]:,.0f}"
                           " to %{customdata[1]:,.0f}<br>95%: %{customdata[2]:,.0f} to "
                           "%{customdata[3]:,.0f}<extra></extra>")))
        if ahead["seasonal_naive"].is_not_null().any():
            traces.append(go.Scatter(
                x=ahead["month"].to_list(), y=ahead["seasonal_naive"].to_list(), mode="markers",
                name="Seasonal naive (same month last year)",
                marker={"color": NAIVE_COLOUR, "symbol": "x", "size": 8},
                hovertemplate="<b>%{x|%b %Y}</b><br>seasonal naive %{y:,}<extra></extra>"))
    return _figure(traces, height=440, margin={"t": 60}, xaxis=_axis(tickformat="%b %Y"),
                   yaxis=_axis("Vacancies notified per month", rangemode="tozero"))


def beveridge_chart(pairs: pl.DataFrame) -> go.Figure:
    """Vacancies against the unemployment rate, one dot per quarter, joined in time order.

    ``pairs``: geo, geo_label, quarter, period, unemployment_rate, vacancies, vacancy_measure,
    une_measure (outcome_queries.beveridge).
    """
    if pairs.is_empty():
        return empty_figure("No country has both series loaded.", height=420)
    traces = []
    palette = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
    for i, geo in enumerate(sorted(set(pairs["geo"].to_list()))):
        part = pairs.filter(pl.col("geo") == geo).sort("quarter")
        name = part["geo_label"][0] or geo
        traces.append(go.Scatter(
            x=part["unemployment_rate"].to_list(), y=part["vacancies"].to_list(),
            mode="lines+markers+text", name=name, text=[
                p if j in (0, part.height - 1) else "" for j, p in enumerate(part["period"])],
            textposition="top center", line={"color": palette[i % len(palette)]},
            customdata=part["period"].to_list(),
            hovertemplate=(f"<b>{name} %{{customdata}}</b><br>unemployment %{{x:.1f}}%<br>"
                           "vacancies %{y:,.1f}<extra></extra>")))
    measure = pairs["vacancy_measure"][0]
    une = pairs["une_measure"][0]
    return _figure(traces, height=420,
                   xaxis=_axis(f"Unemployment rate, % (quarterly mean; {une})"),
                   yaxis=_axis("Job-vacancy rate, %" if measure == "rate"
                               else "Job vacancies (number)"))


def bmo_bars(df: pl.DataFrame) -> go.Figure:
    """BMO recruitment projects by occupation family (published cells only)."""
    if df.is_empty():
        return empty_figure("No BMO survey loaded for this region.", height=360)
    rows = list(df.iter_rows(named=True))[::-1]
    trace = go.Bar(
        orientation="h", x=[r["n_projects"] for r in rows],
        y=[r["family_label"] or r["family_code"] for r in rows], marker={"color": "#0072B2"},
        customdata=[(r["share_difficult"], r["n_secret_projects"]) for r in rows],
        hovertemplate=("<b>%{y}</b><br>%{x:,} recruitment projects<br>%{customdata[0]:.0%} judged "
                       "difficult<br>%{customdata[1]:,} secret cells left out<extra></extra>"),
    )
    return _figure([trace], height=_bar_height(len(rows), per_bar=28),
                   xaxis=_axis("Recruitment projects (BMO, published cells)",
                               rangemode="tozero"))

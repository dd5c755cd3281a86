"""Headline indicators: their arithmetic over monthly series, and their cards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import polars as pl
from dash import dcc, html

from dashboards import figures
from dashboards.components.format import CHANNEL_LABELS, fmt_int, fmt_pct, fmt_period
from dashboards.queries import Filters
from pipelines.contracts import DIGITAL_CHANNELS

DEFINITIONS = {
    "contacts": "All contacts between the PES and job-seekers or employers, every channel and "
                "direction, summed over the period.",
    "digital_share": "Contacts through digital channels ("
                     + ", ".join(CHANNEL_LABELS[c] for c in DIGITAL_CHANNELS)
                     + ") as a share of all contacts in the period.",
    "active_jobseekers": "Job-seekers registered at the end of the last month of the period.",
    "exits_to_employment": "Registration spells that ended because the person found work, "
                           "summed over the period.",
    "open_vacancies": "Vacancies notified to the PES still open at the end of the last month "
                      "of the period.",
    "satisfaction": "Share of survey answers rating the contact 4 or 5 out of 5.",
}


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    kind: Literal["count", "share"]
    value: float | None
    previous: float | None
    months: tuple[dt.date, ...]
    series: tuple[float | None, ...]
    note: str | None = None
    definition: str = ""

    @property
    def change(self) -> float | None:
        """Relative change for counts, difference in points (as a fraction) for shares."""
        if self.value is None or self.previous is None:
            return None
        if self.kind == "share":
            return self.value - self.previous
        return None if self.previous == 0 else self.value / self.previous - 1

    @property
    def value_text(self) -> str:
        return fmt_pct(self.value) if self.kind == "share" else fmt_int(self.value)

    def change_text(self, previous_period: str) -> str:
        change = self.change
        if change is None:
            return f"No comparison with {previous_period}"
        if round(change, 4) == 0:
            word, amount = "No change", ""
        else:
            word = "Up" if change > 0 else "Down"
            amount = (f" {abs(change) * 100:.1f} pp" if self.kind == "share"
                      else f" {abs(change) * 100:.1f}%")
        return f"{word}{amount} vs {previous_period}"


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def overview_kpis(contacts: pl.DataFrame, jobseekers: pl.DataFrame, vacancies: pl.DataFrame,
                  f: Filters, *, data_from: dt.date, min_survey_n: int) -> list[Kpi]:
    """The six headline indicators for the period of ``f``, each against the previous period.

    The frames are monthly series (queries.*_monthly) covering f.with_previous_period().
    """
    prev = f.previous_period()
    has_previous = prev.month_from >= data_from

    def current(df: pl.DataFrame) -> pl.DataFrame:
        return df.filter(pl.col("month").is_between(f.month_from, f.month_to))

    def before(df: pl.DataFrame) -> pl.DataFrame | None:
        return df.filter(pl.col("month").is_between(prev.month_from, prev.month_to)) \
            if has_previous else None

    def at(df: pl.DataFrame, month: dt.date, column: str) -> float | None:
        if month < data_from:
            return None
        row = df.filter(pl.col("month") == month)
        return float(row[column].sum()) if row.height else 0.0

    c_now, c_prev = current(contacts), before(contacts)
    j_now, j_prev = current(jobseekers), before(jobseekers)
    months = tuple(c_now["month"].to_list())

    def summed(df: pl.DataFrame | None, column: str) -> float | None:
        return None if df is None else float(df[column].sum())

    def share(df: pl.DataFrame | None, num: str, den: str, minimum: int = 1) -> float | None:
        if df is None or df[den].sum() < minimum:
            return None
        return df[num].sum() / df[den].sum()

    monthly_digital = tuple(_ratio(d, n) for d, n in zip(c_now["n_digital"], c_now["n_contacts"],
                                                          strict=True))
    monthly_satisfaction = tuple(
        s / r if r >= min_survey_n else None
        for s, r in zip(c_now["n_satisfied"], c_now["n_rated"], strict=True))
    n_rated = int(c_now["n_rated"].sum())
    satisfaction_note = None
    if n_rated < min_survey_n:
        satisfaction_note = (f"Not shown: {fmt_int(n_rated)} survey answers, fewer than the "
                             f"{fmt_int(min_survey_n)} needed.")
    contacts_note = "Segment filters keep job-seeker contacts only." if f.has_segment else None
    vacancies_note = ("Vacancies are not split by job-seeker segment: segment filters do not "
                      "apply.") if f.has_segment else None
    v_now = current(vacancies)
    return [
        Kpi("contacts", "Contacts", "count", summed(c_now, "n_contacts"),
            summed(c_prev, "n_contacts"), months, tuple(c_now["n_contacts"].to_list()),
            contacts_note, DEFINITIONS["contacts"]),
        Kpi("digital_share", "Digital share", "share", share(c_now, "n_digital", "n_contacts"),
            share(c_prev, "n_digital", "n_contacts"), months, monthly_digital, contacts_note,
            DEFINITIONS["digital_share"]),
        Kpi("active_jobseekers", "Active job-seekers", "count",
            at(jobseekers, f.month_to, "n_stock_end"), at(jobseekers, prev.month_to, "n_stock_end"),
            months, tuple(j_now["n_stock_end"].to_list()), None, DEFINITIONS["active_jobseekers"]),
        Kpi("exits_to_employment", "Exits to employment", "count",
            summed(j_now, "n_exits_employment"), summed(j_prev, "n_exits_employment"), months,
            tuple(j_now["n_exits_employment"].to_list()), None,
            DEFINITIONS["exits_to_employment"]),
        Kpi("open_vacancies", "Open vacancies", "count", at(vacancies, f.month_to, "n_open_end"),
            at(vacancies, prev.month_to, "n_open_end"), months,
            tuple(v_now["n_open_end"].to_list()), vacancies_note, DEFINITIONS["open_vacancies"]),
        Kpi("satisfaction", "Satisfaction", "share",
            share(c_now, "n_satisfied", "n_rated", min_survey_n),
            share(c_prev, "n_satisfied", "n_rated", min_survey_n), months, monthly_satisfaction,
            satisfaction_note,
            DEFINITIONS["satisfaction"] + f" Not shown below {fmt_int(min_survey_n)} answers."),
    ]


def kpi_card(kpi: Kpi, previous_period: str) -> html.Article:
    """One indicator: value, change, sparkline (with a text alternative) and its definition."""
    fmt = fmt_pct if kpi.kind == "share" else fmt_int
    change = kpi.change
    direction = "flat" if not change or round(change, 4) == 0 else ("up" if change > 0 else "down")
    label_id = f"kpi-{kpi.key}-label"
    children = [
        html.H2(kpi.label, id=label_id, className="kpi-label"),
        html.P(kpi.value_text, className="kpi-value", id=f"kpi-{kpi.key}-value"),
        html.P(kpi.change_text(previous_period), className=f"kpi-change kpi-change-{direction}",
               id=f"kpi-{kpi.key}-change"),
        dcc.Graph(id=f"kpi-{kpi.key}-sparkline", className="kpi-sparkline",
                  figure=figures.sparkline(kpi.months, kpi.series),
                  config=figures.SPARKLINE_CONFIG),
        html.P("Trend by month: " + figures.describe_series(kpi.series, fmt),
               className="visually-hidden"),
    ]
    if kpi.note:
        children.append(html.P(kpi.note, className="kpi-note", id=f"kpi-{kpi.key}-note"))
    children.append(html.P([html.Span("About this indicator: ", className="kpi-about"),
                            kpi.definition], className="kpi-definition"))
    return html.Article(children, className="kpi", id=f"kpi-{kpi.key}",
                        **{"aria-labelledby": label_id})


def kpi_grid(kpis: list[Kpi], f: Filters) -> list[html.Article]:
    previous = f.previous_period()
    return [kpi_card(k, fmt_period(previous.month_from, previous.month_to)) for k in kpis]

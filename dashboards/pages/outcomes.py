"""Outcomes (/outcomes): do the services lead people back to work?

A1 transition rate, job access by entry cohort, Kaplan–Meier time to employment, sustainability
and outcomes by service intensity. Every chart reads a mart through dashboards.outcome_queries,
has its definition beside it and a CSV button for the numbers it draws. Filters live in the URL
(?from=2025-01&to=2025-12&region=FRK&breakdown=sex&curves=channel_profile).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import dash
import duckdb
import plotly.graph_objects as go
import polars as pl
from dash import Input, Output, html

from dashboards import db, figures
from dashboards import outcome_figures as ofig
from dashboards import outcome_queries as oq
from dashboards.components import export, filters, page
from dashboards.components.filters import COMMON, fid
from dashboards.components.format import fmt_int, fmt_pct, fmt_period
from dashboards.components.section import chart_section
from observatory import access

TITLE = "Outcomes"
PATH = "/outcomes"
EXTRAS = ("breakdown", "curves")
NAMES = (*COMMON, *EXTRAS)
log = logging.getLogger(__name__)

A1_SOURCE = ("EU PES Network benchmarking, indicator A1 (Decision 573/2014/EU, annex).")
DEFINITIONS: dict[str, tuple[str, list]] = {
    "outcomes-a1-monthly": ("Transition rate to employment (A1), by month", [
        html.P(["Outflows from the register to employment × 100 ÷ the registered stock. Over a "
                "period the stock is the average of its end-of-month stocks (their sum ÷ the "
                "number of months). For one month: that month's exits to employment × 100 ÷ its "
                "end-of-month stock."]),
        html.P("Filters apply to the job-seeker's region and segment in each month."),
        html.P(A1_SOURCE, className="definition-source"),
    ]),
    "outcomes-a1-by": ("A1 over the period, by group", [
        html.P(["Exits to employment over the whole period × 100 ÷ the average of the "
                "end-of-month stocks. Summed over months, so a 12-month A1 is roughly 12 times "
                "a monthly one; compare groups over the same period."]),
        html.P("Groups whose average stock is below the minimum denominator are not shown."),
        html.P(A1_SOURCE + " Published by age, sex and qualification.",
               className="definition-source"),
    ]),
    "outcomes-cohorts": ("Job access by entry cohort (6, 12 and 24 months)", [
        html.P(["Of the job-seekers who registered in a month, the share who left the register "
                "for a job within 6, 12 or 24 months of registering. ",
                html.Strong("Right-censoring: "),
                "a cohort appears for a horizon only once every member has been followed for "
                "that long, so recent cohorts have no 12- or 24-month point yet."]),
        html.P("Every cohort of the data is shown; the selected period is shaded. Region and "
               "segment are those at registration."),
        html.P(["Published reference: France Travail's six-month job-access rate (TAE), 47.7% "
                "for Q4-2024 entrants, and 44.9% / 61.1% / 74.8% at 6 / 12 / 24 months for "
                "March-2023 entrants (France Travail, 2025). TAE also counts jobs taken while "
                "still registered; this indicator counts exits from the register only. The "
                "synthetic demo does not model work while registered, so it runs well below."],
               className="definition-source"),
    ]),
    "outcomes-survival": ("Time to employment (Kaplan–Meier)", [
        html.P(["For spells that began in the data's window: the estimated share not yet left "
                "for a job, by months since registration. An exit to employment is the event. ",
                html.Strong("Censored: "),
                "spells still registered at the end of the data, and exits for any other reason "
                "(training, no renewal, sanction...), at their exit date."]),
        html.P(["Treating other exits as censoring estimates the time to a job if nobody left "
                "for another reason; 1 − S(t) therefore exceeds the share who actually left for "
                "a job by t (that share is the cohort chart above)."]),
        html.P(["The 95% band uses Greenwood's variance on the log(−log) scale. Medians (and the "
                "time by which 25% left for a job) come with Brookmeyer–Crowley 95% intervals; "
                "'not reached' means the curve, or its band, never falls that low."]),
        html.P(["Channel profile: the share of the job-seeker's inbound contacts during the "
                "spell made through a digital channel: mostly digital (≥ 2/3), mostly in person "
                "or by phone (≤ 1/3), mixed in between; fewer than 3 inbound contacts are set "
                "apart. Measured over the whole spell: an association, not a cause."]),
    ]),
    "outcomes-sustainability-monthly": ("Sustainability of exits to employment, by month", [
        html.P(["Of the exits to employment in a month whose situation 3 months later is known, "
                "the share still employed then. Exits with no known outcome (the most recent "
                "months, before 3 months have passed) are left out of the denominator."]),
        html.P(["Published reference: 83.3% of job resumptions still employed 3 months later "
                "(Dares Indicateurs 2014-077, March 2014)."], className="definition-source"),
    ]),
    "outcomes-sustainability-by": ("Sustainability over the period, by group", [
        html.P("Exits to employment in the period still employed 3 months later ÷ those with a "
               "known outcome. Groups with few known outcomes are not shown."),
    ]),
    "outcomes-intensity": ("Outcomes by service intensity", [
        html.P(html.Strong("Association, not effect."), className="association-warning"),
        html.P(["Who gets counselling or a training referral is not random: advisers see those "
                "who struggle more, and support tiers differ. These rates describe who did what; "
                "they do not say what counselling or a referral causes. Filter on one support "
                "tier to compare like with like."]),
        html.P(["Landmark design: entrants still registered 3 months after registering, grouped "
                "by the counselling contacts that took place (not missed or cancelled) and by "
                "any training referral in those 3 months; the rate is the share who left for a "
                "job in the following 6 months. Cohorts without 9 months of follow-up are left "
                "out. Counting services only before the landmark keeps long spells from "
                "collecting contacts merely by lasting."]),
    ]),
}
SURVIVAL_TABLE_ID = "outcomes-survival-medians"


def _min_n(settings) -> int:
    return settings.disclosure.min_rate_denominator


# -- views: frames and figures for validated values -----------------------------------------

def monthly_views(values: dict, wh: db.Warehouse, settings) -> dict:
    f = filters.to_filters(values)
    df = oq.transition_rate_monthly(wh, f, _min_n(settings))
    exits, stock_sum = int(df["n_exits_employment"].sum()), int(df["n_stock_end"].sum())
    known, still = int(df["n_employment_outcome_known"].sum()), int(df["n_still_employed_3m"].sum())
    mean_stock = stock_sum / f.n_months
    a1 = (f"A1 over {fmt_period(f.month_from, f.month_to)}: "
          + (f"{exits * 100 / mean_stock:.1f}" if mean_stock >= _min_n(settings) else "not shown")
          + f" ({fmt_int(exits)} exits to employment; {fmt_int(mean_stock)} registered on "
          "average at month ends).")
    sustain = ("Still employed 3 months later: "
               + (fmt_pct(still / known) if known >= _min_n(settings) else "not shown")
               + f" ({fmt_int(still)} of {fmt_int(known)} exits to employment with a known "
               "outcome).")
    return {
        "frames": {"outcomes-a1-monthly": df, "outcomes-sustainability-monthly": df},
        "figures": {"outcomes-a1-monthly": ofig.transition_rate_line(df),
                    "outcomes-sustainability-monthly": ofig.share_line(df)},
        "texts": {"outcomes-a1-monthly": a1, "outcomes-sustainability-monthly": sustain},
    }


def breakdown_views(values: dict, wh: db.Warehouse, settings) -> dict:
    f, by = filters.to_filters(values), values["breakdown"]
    df = oq.transition_rate_by(wh, f, by, _min_n(settings))
    label = oq.BREAKDOWNS[by].lower()
    return {
        "frames": {"outcomes-a1-by": df, "outcomes-sustainability-by": df},
        "figures": {
            "outcomes-a1-by": ofig.breakdown_bars(
                df, by, "rate_a1", numerator="n_exits_employment", denominator="mean_stock",
                value_format="number", axis_title=f"A1 over {f.n_months} month(s)",
                min_denominator=_min_n(settings), numerator_label="exits to employment",
                denominator_label="registered on average at month ends"),
            "outcomes-sustainability-by": ofig.breakdown_bars(
                df, by, "share_still_employed_3m", numerator="n_still_employed_3m",
                denominator="n_employment_outcome_known", value_format="pct",
                axis_title="Still employed 3 months later", min_denominator=_min_n(settings),
                numerator_label="still employed", denominator_label="with a known outcome"),
        },
        "texts": {"outcomes-a1-by": f"By {label}.", "outcomes-sustainability-by": f"By {label}."},
    }


def cohort_views(values: dict, wh: db.Warehouse, settings) -> dict:
    f = filters.to_filters(values)
    cohorts = oq.job_access_by_cohort(wh, f, _min_n(settings))
    intensity = oq.service_intensity(wh, f, _min_n(settings))
    observed = cohorts.filter(pl.col("rate_6m").is_not_null())
    if observed.is_empty():
        text = "No cohort has 6 full months of follow-up yet for these filters."
    else:
        last = observed.tail(1).row(0, named=True)
        text = (f"Latest cohort with 6 months of follow-up, {last['cohort_month']:%b %Y}: "
                f"{fmt_pct(last['rate_6m'])} left for a job within 6 months "
                f"({fmt_int(last['n_job_within_6m'])} of {fmt_int(last['n_entrants'])}).")
    n_landmark = int(intensity["n_at_landmark"].sum()) if not intensity.is_empty() else 0
    return {
        "frames": {"outcomes-cohorts": cohorts, "outcomes-intensity": intensity},
        "figures": {
            "outcomes-cohorts": ofig.cohort_lines(cohorts, (f.month_from, f.month_to)),
            "outcomes-intensity": ofig.service_intensity_bars(intensity, _min_n(settings)),
        },
        "texts": {"outcomes-cohorts": text,
                  "outcomes-intensity": f"{fmt_int(n_landmark)} entrants still registered at "
                                        "3 months, in cohorts with 9 months of follow-up."},
    }


def survival_views(values: dict, wh: db.Warehouse, settings) -> dict:
    f, by = filters.to_filters(values), values["curves"]
    curves, summary = oq.time_to_employment(wh, f, by, min_n=_min_n(settings))
    return {
        "frames": {"outcomes-survival": curves, SURVIVAL_TABLE_ID: summary},
        "figures": {"outcomes-survival": ofig.survival_curves(curves, summary, by)},
        "texts": {"outcomes-survival": f"By {oq.CURVES[by].lower()}; spells that began in the "
                                       "data window, whatever the period."},
        "table": survival_table(summary, by),
    }


VIEWS: dict[str, Callable[[dict, db.Warehouse, object], dict]] = {
    "monthly": monthly_views, "breakdown": breakdown_views, "cohorts": cohort_views,
    "survival": survival_views,
}
CHART_VIEW = {
    "outcomes-a1-monthly": "monthly", "outcomes-sustainability-monthly": "monthly",
    "outcomes-a1-by": "breakdown", "outcomes-sustainability-by": "breakdown",
    "outcomes-cohorts": "cohorts", "outcomes-intensity": "cohorts",
    "outcomes-survival": "survival", SURVIVAL_TABLE_ID: "survival",
}


def _days(d: float | None) -> str:
    if d is None:
        return "not reached"
    return f"{d:,.0f} d ({d / ofig.DAYS_PER_MONTH:.1f} mo)"


def _interval(lo: float | None, hi: float | None) -> str:
    return f"{'–' if lo is None else f'{lo:,.0f}'} to {'not reached' if hi is None else f'{hi:,.0f}'}"


def survival_table(summary: pl.DataFrame, by: str) -> html.Table:
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        oq.CURVES[by], "Spells", "Exits to employment", "Still registered (censored)",
        "Other exits (censored)", "Median time to a job", "95% interval (days)",
        "Time until 25% left for a job", "95% interval (days)")]))
    rows = []
    for r in summary.iter_rows(named=True):
        cells = [html.Th(ofig.value_label(by, r["group"]), scope="row"),
                 html.Td(fmt_int(r["n_spells"])), html.Td(fmt_int(r["n_events"])),
                 html.Td(fmt_int(r["n_censored_still_registered"])),
                 html.Td(fmt_int(r["n_censored_other_exit"]))]
        if r["is_suppressed"]:
            cells.append(html.Td("not shown: too few spells", colSpan=4))
        else:
            cells += [html.Td(_days(r["median_days"])),
                      html.Td(_interval(r["median_lower"], r["median_upper"])),
                      html.Td(_days(r["q25_days"])),
                      html.Td(_interval(r["q25_lower"], r["q25_upper"]))]
        rows.append(html.Tr(cells))
    return html.Table([html.Caption("Medians and quartiles with Brookmeyer–Crowley 95% "
                                    "intervals"), head, html.Tbody(rows)],
                      className="data-table")


# -- layout ---------------------------------------------------------------------------------

def _section(chart_id: str, figure: go.Figure, text: str, extra=None) -> html.Section:
    heading, definition = DEFINITIONS[chart_id]
    return chart_section(chart_id, heading, definition, figure, text, extra)


def _body(values: dict, wh: db.Warehouse, settings, meta: dict) -> list:
    views = {name: fn(values, wh, settings) for name, fn in VIEWS.items()}

    def section(chart_id: str, extra=None) -> html.Section:
        v = views[CHART_VIEW[chart_id]]
        return _section(chart_id, v["figures"][chart_id], v["texts"][chart_id], extra)

    table = html.Div([html.Div(views["survival"]["table"], id="outcomes-survival-table"),
                      export.button(SURVIVAL_TABLE_ID, "Download the medians (CSV)")],
                     className="table-wrap")
    return [
        html.P(["Rates on fewer than ", str(_min_n(settings)), " people are not shown. "
                "Definitions follow the EU PES benchmarking indicators and published French "
                "statistics; see ", html.Code("docs/outcome-indicators.md"), "."],
               className="page-intro"),
        section("outcomes-a1-monthly"),
        section("outcomes-a1-by"),
        section("outcomes-cohorts"),
        section("outcomes-survival", table),
        section("outcomes-sustainability-monthly"),
        section("outcomes-sustainability-by"),
        section("outcomes-intensity"),
    ]


def layout(**query) -> html.Div:
    """The page for a URL query such as ?region=FRK&breakdown=sex&curves=channel_profile."""
    return page.render(TITLE, query, _body, EXTRAS)


# -- callbacks ------------------------------------------------------------------------------

def _values(raw: dict) -> tuple[dict, db.Warehouse, object]:
    wh = db.current_warehouse()
    values, _meta = page.validated(wh, raw, EXTRAS)
    return values, wh, db.current_settings()


def _failed(error: Exception, n_figures: int, n_texts: int) -> tuple:
    if isinstance(error, db.NoDataYet):
        message = "No data yet: run `observatory refresh`."
    elif isinstance(error, access.AccessDenied):
        message = page.denied_message(error)
    else:
        log.error("cannot read the published warehouse: %s", error)
        message = "The published warehouse could not be read."
    return (*(figures.empty_figure(message),) * n_figures, *(message,) * n_texts)


def _update(view: str, charts: tuple[str, ...], raw: dict, with_table: bool = False) -> tuple:
    try:
        values, wh, settings = _values(raw)
        v = VIEWS[view](values, wh, settings)
    except (db.NoDataYet, access.AccessDenied, duckdb.Error) as error:
        out = _failed(error, len(charts), len(charts))
        return (*out, html.P(out[-1])) if with_table else out
    out = (*(v["figures"][c] for c in charts), *(v["texts"][c] for c in charts))
    return (*out, v["table"]) if with_table else out


def update_monthly(*args):
    return _update("monthly", ("outcomes-a1-monthly", "outcomes-sustainability-monthly"),
                   dict(zip(COMMON, args, strict=True)))


def update_breakdown(*args):
    return _update("breakdown", ("outcomes-a1-by", "outcomes-sustainability-by"),
                   dict(zip((*COMMON, "breakdown"), args, strict=True)))


def update_cohorts(*args):
    return _update("cohorts", ("outcomes-cohorts", "outcomes-intensity"),
                   dict(zip(COMMON, args, strict=True)))


def update_survival(*args):
    return _update("survival", ("outcomes-survival",),
                   dict(zip((*COMMON, "curves"), args, strict=True)), with_table=True)


def csv_export_frame(chart_id: str, raw) -> tuple[pl.DataFrame, str]:
    """The frame a chart of this page draws for the current controls, and its file name."""
    values, wh, settings = _values({name: raw.get(name) for name in NAMES})
    return VIEWS[CHART_VIEW[chart_id]](values, wh, settings)["frames"][chart_id], f"{chart_id}.csv"


def _outputs(*charts: str) -> list[Output]:
    return [*(Output(c, "figure") for c in charts), *(Output(f"{c}-text", "children")
                                                     for c in charts)]


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=PATH, name=TITLE, order=4, layout=layout,
                       title=f"{TITLE} · PES Observatory",
                       description="Return to work: A1 transition rate, job access by cohort, "
                                   "time to employment, sustainability, service intensity.")
    common = [Input(fid(name), "value") for name in COMMON]
    app.callback(*_outputs("outcomes-a1-monthly", "outcomes-sustainability-monthly"),
                 *common, prevent_initial_call=True)(update_monthly)
    app.callback(*_outputs("outcomes-a1-by", "outcomes-sustainability-by"),
                 *common, Input(fid("breakdown"), "value"),
                 prevent_initial_call=True)(update_breakdown)
    app.callback(*_outputs("outcomes-cohorts", "outcomes-intensity"),
                 *common, prevent_initial_call=True)(update_cohorts)
    app.callback(*_outputs("outcomes-survival"), Output("outcomes-survival-table", "children"),
                 *common, Input(fid("curves"), "value"),
                 prevent_initial_call=True)(update_survival)
    for chart_id in CHART_VIEW:
        export.register(app, chart_id, functools.partial(csv_export_frame, chart_id))

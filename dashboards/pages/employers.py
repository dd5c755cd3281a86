"""Employers (/employers): what employers need, and whether the PES meets it.

Vacancies notified by occupation (ISCO-08, drilling from major group to unit group), sector,
region and employer size; time to fill and fill rates; relevance of proposed profiles; tension
by region and by occupation x region (the occupation job-seekers seek against the vacancies'
one); a Beveridge curve from official statistics; and the recruitment outlook (forecast
with its backtest, beside the BMO survey when loaded). Filters live in the URL
(?from=2025-01&to=2025-12&region=FRK&isco=52). Vacancies have no job-seeker segment, so the
segment filters do not apply here.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import dash
import duckdb
import plotly.graph_objects as go
import polars as pl
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboards import db, figures, queries
from dashboards import outcome_figures as ofig
from dashboards import outcome_queries as oq
from dashboards.components import export, filters, page
from dashboards.components.filters import COMMON, fid
from dashboards.components.format import fmt_int, fmt_month, fmt_pct, fmt_period
from dashboards.components.section import chart_section
from observatory import access

TITLE = "Employers"
PATH = "/employers"
NAMES = (*COMMON, "isco")
INPUTS = ("from", "to", "region", "isco")  # the filters that change this page
CRUMB = "employers-crumb"
log = logging.getLogger(__name__)

DEFINITIONS: dict[str, tuple[str, list]] = {
    "employers-occupations": ("Vacancies notified, by occupation (ISCO-08)", [
        html.P("Vacancies notified to the PES (posted) in the period, by ISCO-08 group. Click a "
               "bar, or pick a group in the list, to go one level down: major group (1 digit), "
               "sub-major (2), minor (3), unit group (4)."),
        html.P(["Labels: ISCO-08 titles from ", html.Code("official.isco_groups"),
                " (ESCO) when imported, otherwise the built-in titles of the ten major groups; "
                "codes without a title show the code alone."], className="definition-source"),
    ]),
    "employers-sectors": ("By sector (NACE Rev. 2 section)", [
        html.P("Vacancies notified in the period, by the employer's NACE Rev. 2 section."),
    ]),
    "employers-regions": ("By region", [
        html.P("Vacancies notified in the period, by the region of the agency they were "
               "notified to."),
    ]),
    "employers-sizes": ("By employer size, and the SME share", [
        html.P("Micro: under 10 staff; small: 10-49; medium: 50-249; large: 250 or more. SME "
               "share: vacancies from employers under 250 staff (the EU definition, "
               "Recommendation 2003/361/EC); the share under 50 staff is also given."),
        html.P("Published reference: about 7 in 10 hiring projects come from firms under 50 "
               "staff (France Travail, BMO 2024).", className="definition-source"),
    ]),
    "employers-time-to-fill": ("Time to fill", [
        html.P("Days from notification to closure of the vacancies filled (through the PES or "
               "otherwise) and closed in the period: the median, quartiles and distribution. "
               "This is the Bundesagentur für Arbeit's 'Laufzeit'."),
        html.P("The BA's 'Vakanzzeit' counts from the employer's desired start date and is the "
               "delay that matters economically: 95 days in Germany in 2016 (BA/IAB). It cannot "
               "be computed here: the contract has no desired start date.",
               className="definition-source"),
    ]),
    "employers-fill": ("Fill rates", [
        html.P("Of the vacancies closed in the period: filled through the PES ÷ closed, and "
               "filled at all (through the PES or otherwise) ÷ closed. The rest were withdrawn "
               "or expired."),
        html.P("Published reference: 9 in 10 of the vacancies posted directly with France "
               "Travail's predecessor were filled (2018, via press).",
               className="definition-source"),
    ]),
    "employers-relevance-occupation": ("Relevance of proposed profiles, by occupation", [
        html.P("Hires from the candidates the PES proposed ÷ candidates proposed, over vacancies "
               "closed in the period where candidates were proposed and the hires are known."),
    ]),
    "employers-relevance-region": ("Relevance of proposed profiles, by region", [
        html.P("As by occupation, by the region of the agency."),
    ]),
    "employers-tension": ("Labour-market tension, by region", [
        html.P("Vacancies open at the end of each month of the period ÷ job-seekers registered "
               "at the end of those months, per 100 job-seekers (the ratio of the monthly "
               "averages). All occupations: the occupation filter does not apply here; the "
               "next chart breaks tension down by occupation."),
        html.P("Only vacancies notified to the PES count (in Germany 40% of vacancies were "
               "notified in 2023, IAB), so this understates demand. IAB reference: 150 "
               "unemployed per 100 vacancies in Germany (2023).",
               className="definition-source"),
    ]),
    "employers-tension-occupation": ("Labour-market tension, by occupation and region", [
        html.P("Vacancies open at the end of each month of the period, by their ISCO-08 "
               "occupation, ÷ job-seekers registered at the end of those months, by the "
               "occupation they seek (the register's occupation sought), per 100 job-seekers "
               "(the ratio of the monthly averages). The same counts as the tension by region: "
               "each region's occupations add up to it."),
        html.P("ISCO-08 major groups; pick an occupation above to see the sub-major groups of "
               "its major group. Not shown on fewer than the minimum number of job-seekers "
               "(monthly average)."),
        html.P([html.Strong("Occupation sought not recorded: "),
                "those job-seekers count in All occupations and have a row of their own, "
                "marked n/a: every vacancy has an occupation, so they have no tension."],
               className="association-warning"),
        html.P("The occupation sought is the one recorded on the register; job-seekers may "
               "apply more widely, and only vacancies notified to the PES count. Read a high "
               "figure as a likely shortage, a low one as many candidates per vacancy.",
               className="definition-source"),
    ]),
    "employers-beveridge": ("Beveridge curve (official statistics)", [
        html.P("Vacancies against the unemployment rate over time, one point per quarter, "
               "from Eurostat's job-vacancy statistics (jvs_q_nace2) and monthly unemployment "
               "rates (une_rt_m, quarterly mean), for the countries where both are loaded. "
               "A move up and left is a tighter market; a shift outwards suggests worse "
               "matching."),
        html.P("The period and region filters do not apply: these are national statistics.",
               className="definition-source"),
    ]),
    "employers-outlook": ("Recruitment outlook: vacancies forecast 6 months ahead", [
        html.P("Monthly vacancies notified, forecast 6 months ahead with 80% and 95% intervals, "
               "for the selected region (one region, else all) and ISCO major group (from the "
               "occupation chosen above). Model: Poisson regression on a trend and annual "
               "harmonics chosen by QAIC; intervals by simulation with a fixed seed."),
        html.P("Backtest: over the last 12 months, forecasts 1-6 months ahead from every origin, "
               "against the seasonal-naive forecast (same month last year). MASE: mean absolute "
               "error ÷ the in-sample error of the seasonal-naive forecast; lower is better."),
    ]),
    "employers-bmo": ("Employers' own outlook: BMO survey", [
        html.P("France Travail's 'Besoins en main-d'œuvre' survey: employers' hiring projects "
               "for the year, by occupation family (BMO/FAP families, not ISCO), for the "
               "selected region when it is French and one region is chosen. Secret cells "
               "(small counts) are left out, so sums are lower bounds."),
        html.P("Source: France Travail, enquête BMO (Licence Ouverte v2.0).",
               className="definition-source"),
    ]),
}


def _min_n(settings) -> int:
    return settings.disclosure.min_rate_denominator


def _isco(values: dict) -> str:
    return values.get("isco") or oq.ISCO_ALL


def _labels(wh: db.Warehouse) -> dict[str, str | None]:
    df = oq.isco_groups(wh)
    return dict(zip(df["isco_code"].to_list(), df["label"].to_list(), strict=True))


def _names(df: pl.DataFrame, column: str, labels: dict) -> list[str]:
    return [oq.isco_label(c, labels) for c in df[column].to_list()]


# -- views ----------------------------------------------------------------------------------

def demand_views(values: dict, wh: db.Warehouse, settings) -> dict:
    f, isco = filters.to_filters(values), _isco(values)
    labels = _labels(wh)
    occ = oq.vacancies_by_occupation(wh, f, isco)
    sectors = oq.vacancies_by(wh, f, "nace_section", isco)
    regions = oq.vacancies_by(wh, f, "region", isco)
    sizes = oq.vacancies_by(wh, f, "employer_size", isco)
    sme = oq.sme_shares(wh, f, isco)
    where = oq.isco_label(isco, labels)
    return {
        "frames": {"employers-occupations": occ, "employers-sectors": sectors,
                   "employers-regions": regions, "employers-sizes": sizes},
        "figures": {
            "employers-occupations": ofig.count_bars(occ, key="isco_code",
                                                     names=_names(occ, "isco_code", labels),
                                                     clickable=True),
            "employers-sectors": ofig.count_bars(
                sectors, key="key", names=[ofig.value_label("nace_section", k)
                                           for k in sectors["key"].to_list()]),
            "employers-regions": ofig.count_bars(
                regions, key="key", names=[n or k for k, n in zip(
                    regions["key"].to_list(), regions["label"].to_list(), strict=True)]),
            "employers-sizes": ofig.count_bars(
                sizes, key="key", dimension="employer_size",
                names=[ofig.value_label("employer_size", k) for k in sizes["key"].to_list()]),
        },
        "texts": {
            "employers-occupations": f"{fmt_int(sme['n_vacancies_posted'])} vacancies notified "
                                     f"in {fmt_period(f.month_from, f.month_to)}: {where}.",
            "employers-sectors": f"{where}.",
            "employers-regions": f"{where}.",
            "employers-sizes": f"SME share (under 250 staff): {fmt_pct(sme['share_sme'])}; under "
                               f"50 staff: {fmt_pct(sme['share_under_50'])}.",
        },
        "crumbs": breadcrumb(isco, labels),
    }


def closure_views(values: dict, wh: db.Warehouse, settings) -> dict:
    f, isco, n = filters.to_filters(values), _isco(values), _min_n(settings)
    labels = _labels(wh)
    days = oq.days_to_fill(wh, f, isco)
    hist = oq.time_to_fill_histogram(days)
    ttf = oq.time_to_fill_summary(days)
    closures = oq.closures_by_reason(wh, f, isco)
    totals = oq.fill_totals(closures, n)
    rel_occ = oq.relevance_by(wh, f, "occupation", isco, n)
    rel_reg = oq.relevance_by(wh, f, "region", isco, n)

    def days_text(x):
        return "–" if x is None else f"{x:.0f}"

    ttf_text = (f"Median {days_text(ttf['median'])} days (quartiles {days_text(ttf['p25'])} and "
                f"{days_text(ttf['p75'])}; 90% within {days_text(ttf['p90'])}) over "
                f"{fmt_int(ttf['n_filled'])} filled vacancies."
                if ttf["n_filled"] else "No vacancy filled in the period.")
    fill_text = (f"Of {fmt_int(totals['n_closed'])} vacancies closed: "
                 f"{fmt_pct(totals['fill_rate_pes'])} filled through the PES, "
                 f"{fmt_pct(totals['fill_rate_any'])} filled at all.")
    candidates = int(rel_occ["n_candidates_proposed"].sum()) if not rel_occ.is_empty() else 0
    hires = int(rel_occ["n_hires_from_proposed"].sum()) if not rel_occ.is_empty() else 0
    rel_text = (f"{fmt_int(hires)} hires from {fmt_int(candidates)} candidates proposed: "
                + (fmt_pct(hires / candidates) if candidates >= n else "not shown") + ".")
    common = {"value": "rate_relevance", "numerator": "n_hires_from_proposed",
              "denominator": "n_candidates_proposed", "axis_title": "Hires per candidate proposed",
              "min_denominator": n, "numerator_label": "hires from proposed candidates",
              "denominator_label": "candidates proposed"}
    return {
        "frames": {"employers-time-to-fill": hist, "employers-fill": closures,
                   "employers-relevance-occupation": rel_occ,
                   "employers-relevance-region": rel_reg},
        "figures": {
            "employers-time-to-fill": ofig.time_to_fill_histogram(hist, ttf),
            "employers-fill": ofig.closure_bars(closures, _names(closures, "isco_code", labels)),
            "employers-relevance-occupation": ofig.rate_bars(
                rel_occ, _names(rel_occ, "key", labels), **common),
            "employers-relevance-region": ofig.rate_bars(
                rel_reg, [lab or k for k, lab in zip(rel_reg["key"].to_list(),
                                                     rel_reg["label"].to_list(), strict=True)],
                **common),
        },
        "texts": {"employers-time-to-fill": ttf_text, "employers-fill": fill_text,
                  "employers-relevance-occupation": rel_text,
                  "employers-relevance-region": rel_text},
    }


def tension_views(values: dict, wh: db.Warehouse, settings) -> dict:
    f = filters.to_filters(values)
    df = oq.tension_by_region(wh, f, _min_n(settings))
    total = df.filter(pl.col("key") == oq.ALL)
    regions = df.filter(pl.col("key") != oq.ALL).sort("vacancies_per_100_jobseekers",
                                                      descending=True, nulls_last=True)
    value = total["vacancies_per_100_jobseekers"][0] if total.height else None
    text = (f"All selected regions: {value:.1f} open vacancies per 100 registered job-seekers."
            if value is not None else "Too few registered job-seekers to compute tension.")
    return {
        "frames": {"employers-tension": df},
        "figures": {"employers-tension": ofig.rate_bars(
            regions, regions["label"].fill_null(regions["key"]).to_list(),
            value="vacancies_per_100_jobseekers", numerator="mean_open_vacancies",
            denominator="mean_jobseekers", axis_title="Open vacancies per 100 job-seekers",
            min_denominator=_min_n(settings), numerator_label="open vacancies (monthly average)",
            denominator_label="job-seekers (monthly average)", per_100=True)},
        "texts": {"employers-tension": text},
    }


def tension_occupation_names(isco: str, labels: dict) -> dict[str, str]:
    """Row labels of the tension heatmap: the codes shown, their total and 'not recorded'."""
    _column, major = oq.tension_occupation_level(isco)
    names = {code: oq.isco_label(code, labels) for code in labels}
    names[oq.ALL] = ("All occupations" if major is None
                     else f"All of {oq.isco_label(major, labels)}")
    names[oq.UNKNOWN] = ("Occupation sought not recorded" if major is None
                         else f"{major} (sub-major group not recorded)")
    return names


def tension_occupation_views(values: dict, wh: db.Warehouse, settings) -> dict:
    f, isco = filters.to_filters(values), _isco(values)
    labels = _labels(wh)
    df = oq.tension_by_occupation(wh, f, isco, _min_n(settings))
    names = tension_occupation_names(isco, labels)
    for code in df["isco_code"].unique().to_list():  # codes sought but never in a vacancy
        names.setdefault(code, oq.isco_label(code, labels))
    frame = df.with_columns(pl.col("isco_code").replace_strict(names, default=None)
                            .alias("isco_label")).select(
        "isco_code", "isco_label", *[c for c in df.columns if c != "isco_code"])
    return {"frames": {"employers-tension-occupation": frame},
            "figures": {"employers-tension-occupation": ofig.tension_heatmap(
                df, names, _min_n(settings))},
            "texts": {"employers-tension-occupation": tension_occupation_text(df, names)}}


def tension_occupation_text(df: pl.DataFrame, names: dict[str, str]) -> str:
    """The highest and lowest shown cells, and the share with no occupation recorded."""
    cells = df.filter((pl.col("isco_code") != oq.ALL) & (pl.col("region_code") == oq.ALL)
                      & pl.col("vacancies_per_100_jobseekers").is_not_null()
                      ).sort("vacancies_per_100_jobseekers")
    if cells.is_empty():
        return "Too few registered job-seekers to compute tension by occupation."
    low, high = cells.row(0, named=True), cells.row(-1, named=True)
    text = (f"All selected regions: highest tension in {names[high['isco_code']]} "
            f"({high['vacancies_per_100_jobseekers']:.1f} open vacancies per 100 job-seekers), "
            f"lowest in {names[low['isco_code']]} ({low['vacancies_per_100_jobseekers']:.1f}).")
    total = df.filter((pl.col("isco_code") == oq.ALL) & (pl.col("region_code") == oq.ALL))
    unknown = df.filter((pl.col("isco_code") == oq.UNKNOWN) & (pl.col("region_code") == oq.ALL))
    if total.height and unknown.height and total["mean_jobseekers"][0]:
        share = unknown["mean_jobseekers"][0] / total["mean_jobseekers"][0]
        text += (f" {fmt_pct(share)} of the job-seekers have no occupation sought recorded"
                 " at this level.")
    return text


def outlook_series(values: dict) -> tuple[str, str, str]:
    """(region_code, isco major group, note) of the forecast series for these filters."""
    regions, isco = values.get("region") or [], _isco(values)
    scope = access.allowed_regions()
    if scope is not None and not regions:
        regions = sorted(scope)  # a manager's "all regions" are theirs: one is one series
    region = regions[0] if len(regions) == 1 else oq.ALL
    group = isco[0] if isco != oq.ISCO_ALL else oq.ALL
    note = "" if len(regions) <= 1 else "Several regions selected: the national series is shown. "
    if isco != oq.ISCO_ALL and len(isco) > 1:
        note += f"Forecasts exist by major group: major group {group} is shown. "
    return region, group, note


def outlook_views(values: dict, wh: db.Warehouse, settings) -> dict:
    region, group, note = outlook_series(values)
    try:
        series = oq.forecast_series(wh, region, group)
        accuracy = oq.forecast_accuracy(wh, region, group)
        refused = None
    except access.AccessDenied as error:  # the all-regions series, for a regional scope
        series, accuracy, refused = pl.DataFrame(), None, page.denied_message(error)
    bmo = oq.bmo_families(wh.path, None if region == oq.ALL else region)
    bmo_note = ("" if not bmo.is_empty() else
                "No BMO survey is loaded" + ("" if region == oq.ALL else
                                             " for this region") + ".")
    if not bmo.is_empty():
        bmo_note = (f"BMO {bmo['year'][0]}: top {bmo.height} occupation families by hiring "
                    "projects" + (" in the region" if region != oq.ALL else ", all regions") +
                    ". Compare orders of magnitude: BMO counts intentions for the year, the "
                    "forecast counts vacancies notified per month.")
    return {
        "frames": {"employers-outlook": series, "employers-bmo": bmo},
        "figures": {"employers-outlook": (figures.empty_figure(refused) if refused
                                          else ofig.forecast_chart(series)),
                    "employers-bmo": ofig.bmo_bars(bmo)},
        "texts": {"employers-outlook": refused or note + accuracy_text(accuracy),
                  "employers-bmo": bmo_note},
        "accuracy": accuracy,
    }


def accuracy_text(acc: dict | None) -> str:
    if not acc:
        return "No forecast for this selection."
    head = f"{acc['region_name']}, {acc['isco_major_group_label']}. {acc['model']}; seed {acc['seed']}. "
    if acc["status"] != "ok" or acc["mase_model"] is None:
        return head + f"Backtest not available ({acc['status']})."

    def cov(level):
        c = acc.get(f"coverage_{level}")
        return "–" if c is None else fmt_pct(c)

    verdict = ("the model does better" if acc["mase_model"] < acc["mase_seasonal_naive"]
               else "the seasonal naive does as well or better")
    return head + (
        f"Backtest {fmt_month(acc['backtest_from'])} – {fmt_month(acc['backtest_to'])} "
        f"({fmt_int(acc['n_forecasts'])} forecasts 1-6 months ahead): MASE "
        f"{acc['mase_model']:.2f} for the model, {acc['mase_seasonal_naive']:.2f} for the "
        f"seasonal naive ({verdict}). "
        f"The 80% interval held {cov(80)} of the outcomes, the 95% interval {cov(95)}.")


def beveridge_view(wh: db.Warehouse) -> dict:
    pairs, note = oq.beveridge(wh.path)
    return {"frames": {"employers-beveridge": pairs},
            "figures": {"employers-beveridge": ofig.beveridge_chart(pairs)},
            "texts": {"employers-beveridge": note}}


VIEWS: dict[str, Callable[[dict, db.Warehouse, object], dict]] = {
    "demand": demand_views, "closures": closure_views, "tension": tension_views,
    "tension-occupation": tension_occupation_views, "outlook": outlook_views,
    "beveridge": lambda values, wh, settings: beveridge_view(wh),
}
CHART_VIEW = {
    "employers-occupations": "demand", "employers-sectors": "demand",
    "employers-regions": "demand", "employers-sizes": "demand",
    "employers-time-to-fill": "closures", "employers-fill": "closures",
    "employers-relevance-occupation": "closures", "employers-relevance-region": "closures",
    "employers-tension": "tension", "employers-tension-occupation": "tension-occupation",
    "employers-outlook": "outlook", "employers-bmo": "outlook",
    "employers-beveridge": "beveridge",
}
VIEW_CHARTS = {view: tuple(c for c, v in CHART_VIEW.items() if v == view) for view in VIEWS}


# -- layout ---------------------------------------------------------------------------------

def breadcrumb(isco: str, labels: dict) -> list:
    """Links back up the ISCO hierarchy: All occupations › 5 ... › 52 ..."""
    trail = [oq.ISCO_ALL] + ([isco[:i] for i in range(1, len(isco) + 1)]
                             if isco != oq.ISCO_ALL else [])
    items = []
    for i, code in enumerate(trail):
        name = oq.isco_label(code, labels)
        if i == len(trail) - 1:
            items.append(html.Li(html.Span(name, **{"aria-current": "location"})))
        else:
            items.append(html.Li(html.Button(name, id={"type": CRUMB, "code": code},
                                             n_clicks=0, type="button", className="crumb")))
    return [html.Ol(items, className="crumbs")]


def isco_control(value: str, groups: pl.DataFrame) -> html.Div:
    options = [{"label": "All occupations", "value": oq.ISCO_ALL}] + [
        {"label": f"{'· ' * (r['level'] - 1)}{r['isco_code']} {r['label'] or ''}".rstrip(),
         "value": r["isco_code"]} for r in groups.iter_rows(named=True)]
    return html.Div([
        html.Label(filters.LABELS["isco"], htmlFor=filters.dom_id("isco"),
                   className="filter-label"),
        dcc.Dropdown(id=fid("isco"), options=options, value=value, clearable=False,
                     searchable=True),
    ], className="filter-field filter-isco")


def _section(chart_id: str, figure: go.Figure | None, text: str, extra=None,
             controls=None) -> html.Section:
    heading, definition = DEFINITIONS[chart_id]
    return chart_section(chart_id, heading, definition, figure, text, extra, controls)


def _body(values: dict, wh: db.Warehouse, settings, groups: pl.DataFrame) -> list:
    views = {name: fn(values, wh, settings) for name, fn in VIEWS.items()}

    def section(chart_id: str, **kwargs) -> html.Section:
        v = views[CHART_VIEW[chart_id]]
        return _section(chart_id, v["figures"][chart_id], v["texts"][chart_id], **kwargs)

    controls = html.Div([isco_control(_isco(values), groups),
                         html.Nav(views["demand"]["crumbs"], id="employers-crumbs",
                                  className="crumbs-nav",
                                  **{"aria-label": "Occupation levels"})],
                        className="isco-controls")
    return [
        html.P("Vacancies carry no job-seeker segment: the age band, digital skills and support "
               "tier filters do not change this page. Rates on fewer than "
               f"{_min_n(settings)} are not shown.", className="page-intro"),
        section("employers-occupations", controls=controls),
        html.Div([section("employers-sectors"), section("employers-regions")],
                 className="chart-row"),
        section("employers-sizes"),
        section("employers-time-to-fill"),
        section("employers-fill"),
        html.Div([section("employers-relevance-occupation"),
                  section("employers-relevance-region")], className="chart-row"),
        section("employers-tension"),
        section("employers-tension-occupation"),
        section("employers-beveridge"),
        section("employers-outlook"),
        section("employers-bmo"),
    ]


def allowed(wh: db.Warehouse) -> tuple[dict, dict, pl.DataFrame, dict]:
    """(allowed values per query key, dataset meta, ISCO groups, region names)."""
    meta = queries.dataset_meta(wh).row(0, named=True)
    region_df = queries.regions(wh)
    groups = oq.isco_groups(wh)
    allow = filters.allowed_values(meta["data_from"], meta["data_to"],
                                   region_df["region_code"].to_list())
    allow["isco"] = [oq.ISCO_ALL, *groups["isco_code"].to_list()]
    return allow, meta, groups, dict(region_df.iter_rows())


def layout(**query) -> html.Div:
    """The page for a URL query such as ?region=FRK&isco=52."""
    try:
        settings = db.current_settings()
        wh = db.current_warehouse()
        allow, meta, groups, region_names = allowed(wh)
        values = filters.parse_query(query, allow)
        content = _body(values, wh, settings, groups)
    except db.NoDataYet:
        return page.no_data(TITLE)
    except access.AccessDenied as error:
        return page.denied(TITLE, error)
    except (duckdb.Error, IndexError):
        log.exception("cannot read the published warehouse")
        return page.unavailable(TITLE)
    return html.Div([page.header(TITLE, meta, settings.timezone),
                     filters.filter_bar(values, allow, region_names), *content])


# -- callbacks ------------------------------------------------------------------------------

def validated(raw: dict) -> tuple[dict, db.Warehouse, object]:
    """Callback values checked like a URL query (anything unknown falls back to the default)."""
    wh = db.current_warehouse()
    allow, _meta, _groups, _names_ = allowed(wh)
    values = filters.parse_query({k: v for k, v in raw.items() if v is not None}, allow)
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


def _update(view: str, raw: dict, with_crumbs: bool = False) -> tuple:
    charts = VIEW_CHARTS[view]
    try:
        values, wh, settings = validated(raw)
        v = VIEWS[view](values, wh, settings)
    except (db.NoDataYet, access.AccessDenied, duckdb.Error) as error:
        out = _failed(error, len(charts), len(charts))
        return (*out, no_update) if with_crumbs else out
    out = (*(v["figures"][c] for c in charts), *(v["texts"][c] for c in charts))
    return (*out, v["crumbs"]) if with_crumbs else out


def update_demand(month_from, month_to, region, isco):
    return _update("demand", dict(zip(INPUTS, (month_from, month_to, region, isco), strict=True)),
                   with_crumbs=True)


def update_closures(month_from, month_to, region, isco):
    return _update("closures", dict(zip(INPUTS, (month_from, month_to, region, isco),
                                        strict=True)))


def update_tension(month_from, month_to, region):
    return _update("tension", {"from": month_from, "to": month_to, "region": region})


def update_tension_occupation(month_from, month_to, region, isco):
    return _update("tension-occupation", dict(zip(INPUTS, (month_from, month_to, region, isco),
                                                  strict=True)))


def update_outlook(region, isco):
    return _update("outlook", {"region": region, "isco": isco})


def drill_target(trigger, value, click, current: str | None) -> str | None:
    """The ISCO code to show after a click on an occupation bar (one level down) or on a
    breadcrumb (back up); None when nothing should change."""
    if trigger == "employers-occupations":
        points = (click if isinstance(click, dict) else {}).get("points") or []
        point = points[0] if isinstance(points, list) and points else {}
        custom = point.get("customdata") if isinstance(point, dict) else None
        code = custom[0] if isinstance(custom, list) and custom else None
        return str(code) if _isco_code(code) and str(code) != current else None
    if isinstance(trigger, dict) and trigger.get("type") == CRUMB and value:
        code = trigger.get("code")
        return code if code == oq.ISCO_ALL or _isco_code(code) else None
    return None


def _isco_code(code) -> bool:
    """An ISCO-08 code of 1 to 4 digits (a forged click or crumb may carry anything)."""
    return isinstance(code, str | int) and not isinstance(code, bool) and \
        str(code).isdigit() and 1 <= len(str(code)) <= 4


def drill(click, _crumbs, current):
    value = ctx.triggered[0]["value"] if ctx.triggered else None
    target = drill_target(ctx.triggered_id, value, click, current)
    return no_update if target is None else target


def csv_export_frame(chart_id: str, raw) -> tuple[pl.DataFrame, str]:
    """The frame a chart of this page draws for the current controls, and its file name."""
    values, wh, settings = validated({name: raw.get(name) for name in NAMES})
    return VIEWS[CHART_VIEW[chart_id]](values, wh, settings)["frames"][chart_id], f"{chart_id}.csv"


def _outputs(view: str) -> list[Output]:
    charts = VIEW_CHARTS[view]
    return [*(Output(c, "figure") for c in charts),
            *(Output(f"{c}-text", "children") for c in charts)]


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=PATH, name=TITLE, order=5, layout=layout,
                       title=f"{TITLE} · PES Observatory",
                       description="Employer demand: vacancies by occupation, sector, region "
                                   "and size; time to fill; tension by region and occupation; "
                                   "recruitment outlook.")
    inputs = [Input(fid(name), "value") for name in INPUTS]
    app.callback(*_outputs("demand"), Output("employers-crumbs", "children"), *inputs,
                 prevent_initial_call=True)(update_demand)
    app.callback(*_outputs("closures"), *inputs, prevent_initial_call=True)(update_closures)
    app.callback(*_outputs("tension"), *inputs[:3], prevent_initial_call=True)(update_tension)
    app.callback(*_outputs("tension-occupation"), *inputs,
                 prevent_initial_call=True)(update_tension_occupation)
    app.callback(*_outputs("outlook"), Input(fid("region"), "value"), Input(fid("isco"), "value"),
                 prevent_initial_call=True)(update_outlook)
    app.callback(Output(fid("isco"), "value", allow_duplicate=True),
                 Input("employers-occupations", "clickData"),
                 Input({"type": CRUMB, "code": ALL}, "n_clicks"),
                 State(fid("isco"), "value"), prevent_initial_call=True)(drill)
    for chart_id in CHART_VIEW:
        export.register(app, chart_id, functools.partial(csv_export_frame, chart_id))

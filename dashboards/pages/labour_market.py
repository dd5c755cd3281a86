"""Labour market (/labour-market): official statistics beside the PES data.

Eurostat series with their flags, a NUTS map and the France Travail BMO survey, read from the
official.* tables of the published snapshot through dashboards.official_queries. Every view is
a link: the choices live in the URL query (see `View.search`). The URL is the single source of
truth: a control change writes the URL and the canonical view (a store the charts listen
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
from dashboards import official_figures as of
from dashboards import official_queries as oq
from dashboards.components import page
from dashboards.components.format import fmt_int, fmt_timestamp

TITLE = "Labour market"
PATH = "/labour-market"
URL_ID = "lm-url"
VIEW_ID = "lm-view"  # dcc.Store: the canonical query string of the view the charts show
NAMES = ("dataset", "geo", "age", "sex", "level", "period", "bmo_region")
log = logging.getLogger(__name__)


def cid(name: str) -> str:
    """The component id of the control for query key ``name``."""
    return f"lm-filter-{name}"


@dataclass(frozen=True)
class DatasetInfo:
    title: str  # the heading of the series chart
    measure: str  # what a value is, in a sentence
    y_title: str
    about: str
    suffix: str = "%"
    decimals: int = 1
    default_geos: tuple[str, ...] = ()
    default_ages: tuple[str, ...] = ()


DATASETS: dict[str, DatasetInfo] = {
    "une_rt_m": DatasetInfo(
        title="Unemployment rate by country, monthly",
        measure="monthly unemployment rate",
        y_title="Unemployment rate (% of labour force)",
        about=("Eurostat une_rt_m: unemployed people as a percentage of the labour force, "
               "ILO definition (without work, available to start within two weeks and "
               "actively seeking work), monthly, seasonally adjusted. It comes from the EU "
               "Labour Force Survey and is not the count of job-seekers registered with a PES."),
        default_geos=("EU27_2020", "FR", "DE", "ES", "IT"),
        default_ages=("From 25 to 74 years", "Y25-74"),
    ),
    "lfst_r_lfu3rt": DatasetInfo(
        title="Unemployment rate by NUTS region, annual",
        measure="annual unemployment rate",
        y_title="Unemployment rate (%)",
        about=("Eurostat lfst_r_lfu3rt: annual unemployment rate by NUTS region from the EU "
               "Labour Force Survey. The loaded file is a 2014 bulk download (1999-2013) "
               "coded in NUTS 2010: regions redrawn since (the French regions, for example) "
               "have no NUTS 2021 boundary and are not on the map. Regional LFS samples are "
               "small: many values are flagged u (low reliability)."),
        default_geos=("FR", "DE", "FR10", "DE30"),
        default_ages=("Y_GE15", "Y15-74"),
    ),
    "jvs_q_nace2": DatasetInfo(
        title="Job vacancies, quarterly",
        measure="number of job vacancies",
        y_title="Job vacancies",
        about=("Eurostat jvs_q_nace2: job vacancies (paid posts, newly created, unoccupied "
               "or about to become vacant, that the employer is actively trying to fill), "
               "quarterly, industry, construction and services (NACE sections B to S). The "
               "loaded file covers Luxembourg, not seasonally adjusted."),
        suffix="", decimals=0, default_geos=("LU", "FR", "DE"),
    ),
}
DATASET_ORDER = tuple(DATASETS)
AGE_LABELS = {"Y15-24": "15 to 24 years", "Y20-64": "20 to 64 years",
              "Y_GE15": "15 years or over", "Y_GE25": "25 years or over",
              "Y15-74": "15 to 74 years", "Y25-74": "25 to 74 years",
              "Y_LT25": "Less than 25 years"}
SEX_LABELS = {"T": "Total", "F": "Females", "M": "Males"}
DEFAULT_SEXES = ("T", "Total")
BMO_ABOUT = ("BMO (Besoins en Main-d'Œuvre) is France Travail's yearly survey of employers' "
             "hiring plans: recruitment projects for the year, the share the employer expects "
             "to be difficult, and the share that are seasonal. In the open data, cells with "
             "too few answers are secret (*): they are left out and never counted as zero.")
MAP_ABOUT = ("Each NUTS 2021 region of the chosen level is coloured by its value for the "
             "chosen period (darker is higher). Grey: a region of the same country with no "
             "value, because the value is missing or the dataset codes it in another NUTS "
             "version. Islands and overseas parts far from mainland Europe are left out of "
             "the frame; the regions this leaves out are named under the map.")


def dataset_info(dataset: str | None) -> DatasetInfo:
    if dataset in DATASETS:
        return DATASETS[dataset]
    return DatasetInfo(title=f"{dataset} over time", measure=f"{dataset} value",
                       y_title=str(dataset), suffix="", about=f"Eurostat dataset {dataset}.")


# -- the view: choices offered and the one made --------------------------------------------

@dataclass(frozen=True)
class Choices:
    """What the controls offer for the chosen dataset and level."""

    datasets: tuple[str, ...] = ()
    geos: tuple[tuple[str, str], ...] = ()  # (code, label)
    ages: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    levels: tuple[int, ...] = ()
    periods: tuple[str, ...] = ()  # latest first
    bmo_regions: tuple[tuple[str, str], ...] = ()  # (code, name)
    bmo_year: int | None = None


@dataclass(frozen=True)
class View:
    """One view of the page: the URL query, validated."""

    dataset: str | None = None
    geos: tuple[str, ...] = ()
    age: str | None = None
    sex: str | None = None
    level: int | None = None
    period: str | None = None
    bmo_region: str | None = None

    def control_values(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "geo": list(self.geos), "age": self.age,
                "sex": self.sex, "level": self.level, "period": self.period,
                "bmo_region": self.bmo_region}

    def search(self) -> str:
        """The query string of this view: '?dataset=une_rt_m&geo=FR,DE&…'."""
        values = self.control_values()
        pairs = []
        for name in NAMES:
            value = values[name]
            if name == "geo":
                if self.dataset is not None:
                    pairs.append((name, ",".join(value)))
            elif value is not None:
                pairs.append((name, str(value)))
        return "?" + urlencode(pairs, safe=",", quote_via=quote) if pairs else ""

    def dimension_filters(self) -> dict[str, str]:
        """The dimensions fixed for the map: {'age': …, 'sex': …} where the dataset has them."""
        return {k: v for k, v in (("age", self.age), ("sex", self.sex)) if v is not None}


def _tokens(raw: object) -> list[str]:
    if raw is None:
        return []
    items = list(raw) if isinstance(raw, list | tuple) else [raw]
    return [t.strip() for item in items for t in str(item).split(",") if t.strip()]


def _pick(raw: object, options: Sequence[str], defaults: Sequence[str] = ()) -> str | None:
    """The first value of ``raw`` among ``options``, else the first default offered, else the
    first option. A '+' typed in a URL arrives as a space: both spellings are tried."""
    for token in _tokens(raw):
        for candidate in (token, token.replace(" ", "+")):
            if candidate in options:
                return candidate
    return next((d for d in defaults if d in options), options[0] if options else None)


def _geo_options(geos: pl.DataFrame) -> tuple[tuple[str, str], ...]:
    """Countries first, then regions by level and code; codes without a NUTS 2021 name last."""
    rows = sorted(geos.filter(pl.col("geo").is_not_null()).iter_rows(named=True),
                  key=lambda r: (r["nuts_level"] is None, r["nuts_level"] or 0, r["geo"]))
    return tuple((r["geo"], of.series_name(r["geo"], r["geo_label"])) for r in rows)


def resolve(published_db, query: Mapping[str, Any], *, eurostat: bool = True,
            bmo: bool = True) -> tuple[View, Choices]:
    """The view a URL query asks for, and the choices offered; anything unknown falls back to a
    default, so a crafted URL never reaches a query unchecked."""
    view: dict[str, Any] = {}
    choices: dict[str, Any] = {}
    if eurostat:
        loaded = oq.available_datasets(published_db)["dataset"].to_list()
        datasets = [d for d in DATASET_ORDER if d in loaded] + \
                   [d for d in loaded if d not in DATASETS]
        choices["datasets"] = tuple(datasets)
        dataset = _pick(query.get("dataset"), datasets)
        if dataset is not None:
            info = dataset_info(dataset)
            geos = oq.available_geos(published_db, dataset)
            geo_options = _geo_options(geos)
            codes = [code for code, _ in geo_options]
            if "geo" in query:  # present but empty: the reader removed every geo
                wanted = [t for t in _tokens(query["geo"]) if t in codes]
            else:
                wanted = [g for g in info.default_geos if g in codes] or codes[:3]
            ages = oq.dimension_values(published_db, dataset, "age")
            sexes = oq.dimension_values(published_db, dataset, "sex")
            boundary_levels = set(oq.nuts_boundaries(published_db)["level"].to_list())
            data_levels = set(geos["nuts_level"].drop_nulls().to_list())
            levels = sorted(boundary_levels & data_levels)
            level_text = _pick(query.get("level"), [str(v) for v in levels],
                               [str(levels[-1])] if levels else ())
            level = int(level_text) if level_text is not None else None
            periods = oq.available_periods(published_db, dataset, level) \
                if level is not None else []
            choices.update(geos=geo_options, ages=tuple(ages), sexes=tuple(sexes),
                           levels=tuple(levels), periods=tuple(periods))
            view.update(dataset=dataset, geos=tuple(dict.fromkeys(wanted)),
                        age=_pick(query.get("age"), ages, info.default_ages),
                        sex=_pick(query.get("sex"), sexes, DEFAULT_SEXES),
                        level=level, period=_pick(query.get("period"), periods))
    if bmo:
        regions = bmo_regions(published_db)
        if regions.height:
            year = int(regions["year"].max())
            regions = regions.filter(pl.col("year") == year).sort("region_name")
            options = tuple(regions.select("region_code", "region_name").iter_rows())
            choices.update(bmo_regions=options, bmo_year=year)
            raw = _tokens(query.get("bmo_region"))
            codes = [c for c, _ in options]
            view["bmo_region"] = raw[0] if raw and raw[0] in codes else None
    return View(**view), Choices(**choices)


def bmo_regions(published_db) -> pl.DataFrame:
    """BMO totals per region and year; empty when no BMO survey is loaded."""
    try:
        return oq.bmo_totals(published_db, "region")
    except duckdb.CatalogException:
        return pl.DataFrame()


def query_of(search: str | None) -> dict[str, list[str]]:
    if not isinstance(search, str):  # only a forged request sends anything else
        search = ""
    return parse_qs(search.lstrip("?"), keep_blank_values=True)


# -- controls --------------------------------------------------------------------------------

def control_options(choices: Choices) -> dict[str, list[dict[str, Any]]]:
    def labelled(values, labels):
        return [{"label": labels.get(v, v), "value": v} for v in values]

    return {
        "dataset": [{"label": f"{dataset_info(d).title} ({d})", "value": d}
                    for d in choices.datasets],
        "geo": [{"label": text, "value": code} for code, text in choices.geos],
        "age": labelled(choices.ages, AGE_LABELS),
        "sex": labelled(choices.sexes, SEX_LABELS),
        "level": [{"label": "Countries (NUTS 0)" if v == 0 else f"NUTS {v}", "value": v}
                  for v in choices.levels],
        "period": [{"label": of.fmt_period(p), "value": p} for p in choices.periods],
        "bmo_region": [{"label": f"{name} ({code})", "value": code}
                       for code, name in choices.bmo_regions],
    }


def _field(name: str, text: str, control) -> html.Div:
    return html.Div([html.Label(text, htmlFor=cid(name), className="filter-label"), control],
                    className=f"filter-field filter-{name}")


def _fieldset(name: str, text: str, control) -> html.Fieldset:
    return html.Fieldset([html.Legend(text, className="filter-label"), control],
                         className=f"filter-field filter-{name}")


def _controls(view: View, choices: Choices) -> dict[str, Any]:
    options = control_options(choices)
    return {
        "dataset": dcc.RadioItems(id=cid("dataset"), options=options["dataset"],
                                  value=view.dataset),
        "geo": dcc.Dropdown(id=cid("geo"), options=options["geo"], value=list(view.geos),
                            multi=True, placeholder="Choose countries or regions"),
        "age": dcc.Dropdown(id=cid("age"), options=options["age"], value=view.age,
                            clearable=False, placeholder="Not in this dataset"),
        "sex": dcc.Dropdown(id=cid("sex"), options=options["sex"], value=view.sex,
                            clearable=False, placeholder="Not in this dataset"),
        "level": dcc.RadioItems(id=cid("level"), options=options["level"], value=view.level,
                                inline=True),
        "period": dcc.Dropdown(id=cid("period"), options=options["period"], value=view.period,
                               clearable=False, placeholder="No period"),
        "bmo_region": dcc.Dropdown(id=cid("bmo_region"), options=options["bmo_region"],
                                   value=view.bmo_region, placeholder="All regions"),
    }


def sync(trigger: str | None, search: str | None, values: Sequence[Any], shown: str | None,
         published_db) -> tuple[Any, Any, list[Any], list[Any]]:
    """What the URL <-> controls callback returns: (new search, new view, one value per
    control, one options list per control), with no_update wherever nothing changes.

    ``shown`` is the view the charts show: the URL opening the page sets it again on load,
    which must not redraw them.
    """
    current = dict(zip(NAMES, values, strict=True))
    if trigger == URL_ID:
        query: dict[str, Any] = query_of(search)
    else:
        query = {n: v for n, v in current.items() if v is not None}
        if trigger == cid("dataset"):  # the other choices belong to the previous dataset
            query = {n: v for n, v in query.items() if n in ("dataset", "bmo_region")}
    view, choices = resolve(published_db, query)
    wanted = view.control_values()
    new_values = [no_update if wanted[n] == current[n] else wanted[n] for n in NAMES]
    if trigger in (URL_ID, cid("dataset"), cid("level")):
        options = control_options(choices)
        new_options = [options[n] for n in NAMES]
    else:
        new_options = [no_update] * len(NAMES)
    # Back/Forward changed the URL: follow it, never write it (that would add a history step).
    new_search = view.search()
    search_out = no_update if trigger == URL_ID or new_search == (search or "") else new_search
    view_out = no_update if new_search == shown else new_search
    return search_out, view_out, new_values, new_options


# -- chart contents --------------------------------------------------------------------------

def _about(text: str) -> html.Details:
    return html.Details([html.Summary("About this indicator"), html.P(text)],
                        className="chart-about")


def _sources(lines: Sequence[str], element_id: str) -> html.Div:
    return html.Div([html.P(line, className="chart-caption chart-source") for line in lines],
                    id=element_id)


def _flag_note(df: pl.DataFrame) -> html.P:
    counts: dict[str, int] = {}
    for flags in df["flags"].drop_nulls().to_list():
        for letter in flags:
            counts[letter] = counts.get(letter, 0) + 1
    letters = list(of.EXPLAINED_FLAGS) + sorted(set(counts) - set(of.EXPLAINED_FLAGS))
    items = [f"{f} {of.FLAG_LABELS.get(f, 'flag ' + f)}" for f in letters]
    text = ("Flags: " + " · ".join(items)
            + " · ':' missing value, drawn as a gap (not a zero).")
    shown = [f"{counts[f]} × {f}" for f in letters if counts.get(f)]
    n_missing = df["value"].null_count() if df.height else 0
    if shown or n_missing:
        text += " In this view: " + ", ".join(shown + ([f"{n_missing} missing"]
                                                      if n_missing else [])) + "."
    return html.P(text, className="chart-caption", id="lm-series-flags")


def series_content(published_db, view: View, timezone: str) -> tuple[go.Figure, str, str, list]:
    """(figure, heading, text alternative, notes) of the series chart."""
    if view.dataset is None:
        message = "No Eurostat dataset is loaded: import une_rt_m.csv or lfst_r_lfu3rt.tsv."
        return figures.empty_figure(message), "Eurostat series", message, []
    info = dataset_info(view.dataset)
    if not view.geos:
        df = oq.unemployment_series(published_db, view.dataset, geos=[])
        fig = figures.empty_figure("Choose at least one country or region.")
        summary = "No country or region is chosen."
    else:
        df = oq.unemployment_series(published_db, view.dataset, geos=list(view.geos),
                                    age=view.age, sex=view.sex)
        fig = of.series_figure(df, y_title=info.y_title, decimals=info.decimals,
                               suffix=info.suffix, geo_order=view.geos)
        summary = of.describe_series_chart(df, info.measure, decimals=info.decimals,
                                           suffix=info.suffix, geo_order=view.geos)
    sources = of.source_lines(oq.official_sources(published_db, dataset=view.dataset),
                              view.dataset, timezone)
    notes = [_flag_note(df), _about(info.about), _sources(sources, "lm-series-source")]
    return fig, info.title, summary, notes


def unmatched_note(unmatched: pl.DataFrame, dataset: str, level: int | None) -> str:
    """Which codes of the dataset are not drawn, because NUTS 2021 has no such region."""
    if unmatched.is_empty():
        return f"Every geo code of {dataset} is a NUTS 2021 region or country."
    sentences = []
    version = unmatched.filter(pl.col("reason").str.starts_with("not a NUTS"))
    if level is not None:  # a NUTS code is the country code and one character per level
        version = version.filter(pl.col("geo").str.len_chars() == level + 2)
    if version.height:
        examples = ", ".join(version["geo"].head(6).to_list())
        what = "regions" if level else "codes"
        sentences.append(
            f"{version.height} {what} of this level in {dataset} use codes of another NUTS "
            f"version (NUTS 2010 here) that do not exist in NUTS 2021 and are not drawn "
            f"(e.g. {examples}).")
    others = unmatched.filter(~pl.col("reason").str.starts_with("not a NUTS"))
    for (reason,), part in others.group_by("reason", maintain_order=True):
        examples = ", ".join(g or "(empty)" for g in part["geo"].head(6).to_list())
        sentences.append(f"{part.height} code(s) not drawn: {reason} (e.g. {examples}).")
    return " ".join(sentences) or f"Every code of this level in {dataset} is a NUTS 2021 region."


def map_content(published_db, view: View, timezone: str) -> tuple[go.Figure, str, list]:
    """(figure, text alternative, notes) of the NUTS map."""
    if view.dataset is None:
        message = "No Eurostat dataset is loaded."
        return figures.empty_figure(message, height=of.MAP_HEIGHT), message, []
    info = dataset_info(view.dataset)
    boundaries = oq.nuts_boundaries(published_db)
    if view.level is None or view.period is None:
        message = ("No NUTS boundaries are loaded for the levels of this dataset: import a "
                   "NUTS_RG_…_2021_4326 GeoJSON file.")
        return figures.empty_figure(message, height=of.MAP_HEIGHT), message, [_about(MAP_ABOUT)]
    try:
        frame, geojson = oq.nuts_choropleth_data(published_db, view.dataset, view.period,
                                                 view.level, filters=view.dimension_filters())
    except ValueError as error:  # another dimension still varies: say which
        message = str(error)
        return figures.empty_figure(message, height=of.MAP_HEIGHT), message, [_about(MAP_ABOUT)]
    fig = of.choropleth_figure(frame, geojson, value_title=info.y_title.split(" (")[0],
                               decimals=info.decimals, suffix=info.suffix)
    summary = of.describe_choropleth(frame, info.measure, view.period, view.level,
                                     decimals=info.decimals, suffix=info.suffix)
    unmatched = oq.nuts_unmatched(published_db, view.dataset)
    sources = of.source_lines(oq.official_sources(published_db, dataset=view.dataset),
                              view.dataset, timezone)
    used = boundaries.filter(pl.col("level") == view.level).head(1)
    sources += of.source_lines(used, timezone=timezone)
    outside = of.outside_europe(frame, geojson)
    notes = [html.P(unmatched_note(unmatched, view.dataset, view.level),
                    className="chart-caption", id="lm-map-unmatched"),
             *([html.P("Not drawn at this scale (outside the frame of Europe): "
                       + ", ".join(f"{name} ({code})" for code, name in outside) + ".",
                       className="chart-caption", id="lm-map-outside")] if outside else []),
             _about(MAP_ABOUT), _sources(sources, "lm-map-source")]
    return fig, summary, notes


BMO_CHARTS = {
    "family": ("lm-bmo-by-family", "family_label", "family_code", "by occupation family"),
    "region": ("lm-bmo-by-region", "region_name", "region_code", "by region"),
}


def bmo_content(published_db, view: View, choices: Choices, timezone: str) -> list:
    """[figure, text alternative, notes] for the family chart, then the same for regions."""
    out: list = []
    if choices.bmo_year is None:
        message = "No BMO survey is loaded: import Base_open_data_BMO_<year>.xlsx."
        for _ in BMO_CHARTS:
            out += [figures.empty_figure(message, height=300), message, []]
        return out
    sources = of.source_lines(oq.official_sources(published_db, table="bmo"),
                              f"BMO {choices.bmo_year}", timezone)
    region_name = dict(choices.bmo_regions).get(view.bmo_region)
    for by, (graph_id, label_column, code_column, what) in BMO_CHARTS.items():
        region = view.bmo_region if by == "family" else None
        df = oq.bmo_totals(published_db, by, region_code=region, year=choices.bmo_year)
        where = f" in {region_name}" if region_name and by == "family" else ""
        fig = of.bmo_figure(df, label_column, code_column=code_column,
                            highlight=view.bmo_region if by == "region" else None)
        summary = of.describe_bmo(df, f"{what}{where}, {choices.bmo_year}", label_column)
        notes = [html.P(of.secret_note(df), className="chart-caption",
                        id=f"{graph_id}-secret"),
                 _about(BMO_ABOUT), _sources(sources, f"{graph_id}-source")]
        out += [fig, summary, notes]
    return out


# -- layout ----------------------------------------------------------------------------------

def _chart(graph_id: str, heading, caption: str, figure: go.Figure, summary: str,
           notes: list, controls: list | None = None, config: dict | None = None
           ) -> html.Section:
    height = figure.layout.height or 420
    return html.Section([
        html.H2(heading, id=f"{graph_id}-heading"),
        html.P(caption, className="chart-caption"),
        *([html.Div(controls, className="filter-grid")] if controls else []),
        html.Figure([
            dcc.Graph(id=graph_id, figure=figure, config=config or figures.GRAPH_CONFIG,
                      style={"height": f"{height}px"}),
            # The chart's text alternative, also read by everyone.
            html.Figcaption(summary, id=f"{graph_id}-summary", className="chart-caption"),
        ], style={"margin": 0}, **{"aria-labelledby": f"{graph_id}-heading",
                                   "aria-describedby": f"{graph_id}-summary"}),
        html.Div(notes, id=f"{graph_id}-notes"),
    ], className="chart", **{"aria-labelledby": f"{graph_id}-heading"})


def _header(published_db, timezone: str, sources: pl.DataFrame) -> html.Div:
    status = [html.Span("Published official statistics", className="badge",
                        id="official-badge",
                        style={"background": "#e8f1fb", "color": "#0b3d6b",
                               "border": "1px solid #0072B2"},
                        title="Figures as published by Eurostat and France Travail; "
                              "not the synthetic demo data.")]
    freshness = [f"Official files loaded up to {fmt_timestamp(sources['loaded_at'].max(), timezone)}"]
    try:
        meta = queries.dataset_meta(db.warehouse_for(published_db)).row(0, named=True)
        freshness.append(f" · published {fmt_timestamp(meta['published_at'], timezone)}")
    except (duckdb.Error, IndexError):
        pass  # a snapshot with official tables only has no PES dataset row
    status.append(html.Span(freshness, className="freshness", id="data-freshness"))
    return html.Div([html.H1(TITLE), html.P(status, className="data-status")],
                    className="page-header")


def no_official_data() -> html.Div:
    return html.Div([
        html.H1(TITLE),
        html.Div(html.P([
            "No official statistics loaded yet: run ", html.Code("observatory import auto FILE..."),
            " or drop files into ", html.Code("landing/official/"), ", then reload this page.",
        ]), className="notice", role="status", id="no-official-data"),
    ], className="page-header")


def sources_table(sources: pl.DataFrame, timezone: str) -> html.Section:
    """Every official file in the snapshot, classifications included."""
    header = ("Source", "File", "Kind", "Rows", "Publisher's update", "Loaded")
    rows = [html.Tr([
        html.Td(r["attribution"] or "–"), html.Td(html.Code(r["source_file"])),
        html.Td(r["kind"]), html.Td(fmt_int(r["n_rows"]), style={"textAlign": "right"}),
        html.Td(r["source_updated_on"].isoformat() if r["source_updated_on"] else "–"),
        html.Td(fmt_timestamp(r["loaded_at"], timezone)),
    ]) for r in sources.iter_rows(named=True)]
    return html.Section([
        html.H2("Official data loaded", id="lm-sources-heading"),
        html.Table([
            html.Caption(f"{len(rows)} official files in this snapshot (classifications "
                         "included), with their publisher and when they were loaded.",
                         className="chart-caption"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in header])),
            html.Tbody(rows),
        ], id="lm-sources-table", style={"width": "100%", "borderCollapse": "collapse"}),
    ], className="chart", **{"aria-labelledby": "lm-sources-heading"})


def _body(published_db, view: View, choices: Choices, timezone: str) -> list:
    controls = _controls(view, choices)
    series_fig, series_heading, series_summary, series_notes = \
        series_content(published_db, view, timezone)
    map_fig, map_summary, map_notes = map_content(published_db, view, timezone)
    bmo = bmo_content(published_db, view, choices, timezone)
    family, region = bmo[:3], bmo[3:]
    filters_bar = html.Section([
        html.H2("Filters", className="visually-hidden", id="lm-filters-heading"),
        html.Div([_fieldset("dataset", "Dataset", controls["dataset"]),
                  _field("geo", "Countries or regions", controls["geo"]),
                  _field("age", "Age", controls["age"]),
                  _field("sex", "Sex", controls["sex"])], className="filter-grid"),
        html.P("Ages and sexes are those the dataset publishes; the map uses them too.",
               className="filter-hint"),
        dcc.Location(id=URL_ID, refresh=False),
        dcc.Store(id=VIEW_ID, data=view.search()),
    ], className="filters", role="search", **{"aria-labelledby": "lm-filters-heading"})
    return [
        filters_bar,
        _chart("lm-series", series_heading,
               "Lines per country or region; a diamond marks a flagged value, with its letter "
               "above. Hover a point for its value and flag.",
               series_fig, series_summary, series_notes),
        _chart("lm-map", "Map by NUTS region",
               "The chosen dataset, age and sex for one period and NUTS level.",
               map_fig, map_summary, map_notes,
               controls=[_fieldset("level", "NUTS level", controls["level"]),
                         _field("period", "Period", controls["period"])],
               config=of.MAP_GRAPH_CONFIG),
        html.Section([
            html.H2("Recruitment projects" + (f" (BMO {choices.bmo_year})"
                                              if choices.bmo_year else ""),
                    id="lm-bmo-heading"),
            html.Div([_field("bmo_region", "BMO region (occupation families)",
                             controls["bmo_region"])], className="filter-grid"),
        ], className="filters", **{"aria-labelledby": "lm-bmo-heading"}),
        _chart("lm-bmo-by-family", "By occupation family",
               "Recruitment projects, and the shares judged difficult and seasonal.", *family),
        _chart("lm-bmo-by-region", "By region",
               "Recruitment projects, and the shares judged difficult and seasonal. The chosen "
               "region is in bold.", *region),
    ]


def layout(**query) -> html.Div:
    """The page for a URL query such as ?dataset=une_rt_m&geo=FR,DE&age=…&level=0&period=…"""
    try:
        settings = db.current_settings()
        published_db = settings.published_db
        if not oq.has_official_data(published_db):
            return no_official_data()
        sources = oq.official_sources(published_db)
        view, choices = resolve(published_db, query)
        body = _body(published_db, view, choices, settings.timezone)
        header = _header(published_db, settings.timezone, sources)
    except duckdb.Error:
        log.exception("cannot read the official tables of the published warehouse")
        return page.unavailable(TITLE)
    return html.Div([header, *body, sources_table(sources, settings.timezone)])


# -- callbacks -------------------------------------------------------------------------------

def _failed(error: Exception, shape: Sequence[str]) -> list:
    """Blank charts that say why, in the shape of a callback's outputs."""
    if isinstance(error, db.NoDataYet):
        message = "No data yet: run `observatory refresh`."
    else:
        log.error("cannot read the official tables: %s", error)
        message = "The published warehouse could not be read."
    parts = {"figure": figures.empty_figure(message), "text": message, "notes": []}
    return [parts[kind] for kind in shape]


def sync_controls(search, *values_and_shown):
    *values, shown = values_and_shown
    try:
        published_db = db.current_settings().published_db
        search_out, view_out, new_values, new_options = sync(ctx.triggered_id, search, values,
                                                             shown, published_db)
    except (db.NoDataYet, duckdb.Error) as error:
        log.error("cannot read the official tables: %s", error)
        return no_update, no_update, *([no_update] * len(NAMES) * 2)
    return search_out, view_out, *new_values, *new_options


def update_series(view_search):
    try:
        settings = db.current_settings()
        view, _ = resolve(settings.published_db, query_of(view_search), bmo=False)
        return series_content(settings.published_db, view, settings.timezone)
    except (db.NoDataYet, duckdb.Error) as error:
        return _failed(error, ("figure", "text", "text", "notes"))


def update_map(view_search):
    try:
        settings = db.current_settings()
        view, _ = resolve(settings.published_db, query_of(view_search), bmo=False)
        return map_content(settings.published_db, view, settings.timezone)
    except (db.NoDataYet, duckdb.Error) as error:
        return _failed(error, ("figure", "text", "notes"))


def update_bmo(view_search):
    try:
        settings = db.current_settings()
        view, choices = resolve(settings.published_db, query_of(view_search), eurostat=False)
        return bmo_content(settings.published_db, view, choices, settings.timezone)
    except (db.NoDataYet, duckdb.Error) as error:
        return _failed(error, ("figure", "text", "notes") * 2)


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=PATH, name=TITLE, order=2, layout=layout,
                       title=f"{TITLE} · PES Observatory",
                       description="Official labour-market statistics: Eurostat unemployment "
                                   "and vacancies, NUTS map, France Travail BMO survey.")
    app.callback(
        Output(URL_ID, "search"),
        Output(VIEW_ID, "data"),
        *[Output(cid(name), "value") for name in NAMES],
        *[Output(cid(name), "options") for name in NAMES],
        Input(URL_ID, "search"),
        *[Input(cid(name), "value") for name in NAMES],
        State(VIEW_ID, "data"),
        prevent_initial_call=True,
    )(sync_controls)
    app.callback(
        Output("lm-series", "figure"), Output("lm-series-heading", "children"),
        Output("lm-series-summary", "children"), Output("lm-series-notes", "children"),
        Input(VIEW_ID, "data"), prevent_initial_call=True,
    )(update_series)
    app.callback(
        Output("lm-map", "figure"), Output("lm-map-summary", "children"),
        Output("lm-map-notes", "children"),
        Input(VIEW_ID, "data"), prevent_initial_call=True,
    )(update_map)
    app.callback(
        *[Output(f"{graph_id}{suffix}", prop) for graph_id, *_ in BMO_CHARTS.values()
          for suffix, prop in (("", "figure"), ("-summary", "children"),
                               ("-notes", "children"))],
        Input(VIEW_ID, "data"), prevent_initial_call=True,
    )(update_bmo)

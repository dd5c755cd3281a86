"""The "Labour market" page: figure builders on literal frames, callbacks on a snapshot holding
the real official files, recomputed from the source cells, and the page in headless Chromium.

Expected values come from independent reads of the files in ../shared/data (the csv module,
str.split, openpyxl), never from the importers or queries under test.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
import pytest
from dash import no_update

from dashboards import official_figures as of
from dashboards.app import create_app
from dashboards.pages import labour_market as lm
from tests.dashboards.layout import by_id

ROOT = Path(__file__).resolve().parents[2]


# The files the page shows; a cheap subset of ../shared/data (a second or two to import).
FILES = {
    "eurostat/une_rt_m.csv": 2_691,
    "eurostat/lfst_r_lfu3rt.tsv": 84_060,
    "eurostat/jvs_q_nace2_page_linear_2_0.csv": 70,
    "geo/NUTS_RG_20M_2021_4326_LEVL_0.geojson": 37,
    "geo/NUTS_RG_20M_2021_4326_LEVL_2.geojson": 333,
    "france_travail/Base_open_data_BMO_2025.xlsx": 50_076,
    "esco/ISCOGroups_en.csv": 619,
}
UNE_AGE = "From 25 to 74 years"


# -- helpers ---------------------------------------------------------------------------------


def text_of(component) -> str:
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return "".join(text_of(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else text_of(children)


def trace(fig: go.Figure, name: str):
    return next(t for t in fig.data if t.name == name)


# -- fixtures --------------------------------------------------------------------------------

def _import_and_publish(settings, shared_data: Path, names, base_db: Path | None) -> None:
    from pipelines import official
    from warehouse.build import publish
    from warehouse.db import connect_build

    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    if base_db is not None:
        shutil.copyfile(base_db, settings.build_db)
    con = connect_build(settings.build_db)
    try:
        outcomes = official.import_files(con, [shared_data / n for n in names], "run-lm")
        assert all(o.outcome == "loaded" for o in outcomes), [o.describe() for o in outcomes]
        con.execute("checkpoint")
    finally:
        con.close()
    publish(settings.build_db, settings.published_db)


@pytest.fixture(scope="session")
def official_settings(dash_settings, shared_data, tmp_path_factory):
    """A home whose snapshot holds the PES demo (or the tiny warehouse) and the official files."""
    settings = dataclasses.replace(dash_settings, home=tmp_path_factory.mktemp("lm-home"))
    base = dash_settings.build_db if dash_settings.build_db.exists() \
        else dash_settings.published_db
    _import_and_publish(settings, shared_data, FILES, base)
    return settings


@pytest.fixture(scope="session")
def official_only_settings(dash_settings, shared_data, tmp_path_factory):
    """A snapshot with two official files and no PES data (no marts, no meta.dataset)."""
    settings = dataclasses.replace(dash_settings, home=tmp_path_factory.mktemp("lm-official"))
    _import_and_publish(settings, shared_data, ["eurostat/une_rt_m.csv",
                                                "geo/NUTS_RG_20M_2021_4326_LEVL_0.geojson"],
                        None)
    return settings


@pytest.fixture
def app(official_settings):
    # Outside a request, pages read the settings of the app created last.
    return create_app(official_settings)


@pytest.fixture(scope="session")
def une_rows(shared_data) -> list[dict[str, str]]:
    with (shared_data / "eurostat" / "une_rt_m.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def tsv_cells(shared_data) -> dict[tuple[str, ...], tuple[float | None, str | None]]:
    """lfst_r_lfu3rt.tsv read with str.split: {(age, sex, geo, year): (value, flags)}."""
    lines = (shared_data / "eurostat" / "lfst_r_lfu3rt.tsv").read_text(encoding="utf-8").split("\n")
    periods = [cell.strip() for cell in lines[0].split("\t")[1:]]
    cells = {}
    for line in filter(None, lines[1:]):
        key, *values = line.split("\t")
        age, sex, geo = key.split(",")
        for period, cell in zip(periods, values, strict=True):
            number, _, flag = cell.partition(" ")
            cells[(age, sex, geo, period)] = (None if number == ":" else float(number),
                                              flag.strip() or None)
    return cells


@pytest.fixture(scope="session")
def bmo_rows(shared_data) -> list[dict[str, object]]:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.load_workbook(
        shared_data / "france_travail" / "Base_open_data_BMO_2025.xlsx", read_only=True)
    try:
        header, *data = workbook["BMO_2025_open_data"].iter_rows(values_only=True)
    finally:
        workbook.close()
    return [dict(zip(header, row, strict=True)) for row in data]


# -- figure builders on literal frames -------------------------------------------------------

def _series_frame() -> pl.DataFrame:
    dims = '{"age":"Y15-24","sex":"T"}'
    return pl.DataFrame({
        "geo": ["FR", "FR", "FR", "DE", "DE", "DE"],
        "geo_label": ["France", "France", "France", None, None, None],
        "period": ["2011", "2012", "2013"] * 2,
        "period_start": [dt.date(y, 1, 1) for y in (2011, 2012, 2013)] * 2,
        "value": [9.0, None, 10.5, 5.0, 5.5, 6.0],
        "flags": [None, "u", "b", None, "bu", None],
        "dimensions": [dims] * 6,
    })


def test_series_figure_draws_gaps_and_flags():
    fig = of.series_figure(_series_frame(), y_title="Rate (%)", suffix="%", geo_order=["DE", "FR"])

    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == ["DE", "France (FR)"]  # in the order asked for
    assert list(trace(fig, "France (FR)").y) == [9.0, None, 10.5]  # a gap, never a zero
    assert trace(fig, "France (FR)").connectgaps is False
    flagged = trace(fig, "France (FR): flagged")
    # The missing 'u' value has no point to mark; the 'b' one does, with its letter.
    assert list(flagged.y) == [10.5] and list(flagged.text) == ["b"]
    assert flagged.marker.symbol == "diamond" and flagged.mode == "markers+text"
    assert "break in time series" in flagged.customdata[0][1]
    de_flag = trace(fig, "DE: flagged")
    assert list(de_flag.text) == ["bu"]
    assert de_flag.customdata[0][1] == "b: break in time series; u: low reliability"
    assert "flag b: break" in trace(fig, "France (FR)").customdata[2][1]
    assert any(t.meta == {"legend_key": True} for t in fig.data)
    assert fig.layout.yaxis.title.text == "Rate (%)"
    # Colour and dash differ per line, and the flag diamonds share their line's colour.
    assert lines[0].line.color != lines[1].line.color
    assert flagged.marker.color == trace(fig, "France (FR)").line.color


def test_series_figure_without_data_says_so():
    fig = of.series_figure(_series_frame().head(0), y_title="Rate")
    assert fig.data == () and "No observations" in fig.layout.annotations[0].text


def test_series_text_alternative():
    text = of.describe_series_chart(_series_frame(), "annual unemployment rate", suffix="%",
                                    geo_order=["FR", "DE"])
    assert text.startswith("Line chart of the annual unemployment rate for France (FR) and DE, "
                           "2011 to 2013.")
    assert "France 10.5% (2013)" in text and "DE 6.0% (2013)" in text
    assert "2 flagged value(s)" in text and "1 missing value(s) are shown as gaps" in text


def _square(nuts_id: str, lon: float, lat: float, country: str) -> dict:
    ring = [[lon, lat], [lon + 1, lat], [lon + 1, lat + 1], [lon, lat + 1], [lon, lat]]
    return {"type": "Feature", "properties": {"NUTS_ID": nuts_id, "CNTR_CODE": country,
                                              "NAME_LATN": f"Region {nuts_id}"},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


GEOJSON = {"type": "FeatureCollection", "features": [
    _square("FR10", 2, 48, "FR"), _square("FRB0", 1, 47, "FR"),
    _square("FRY3", -53, 4, "FR"),  # French Guiana: outside the frame of Europe
    _square("DE30", 13, 52, "DE"), _square("PL91", 21, 52, "PL"),
]}


def _map_frame() -> pl.DataFrame:
    return pl.DataFrame({"nuts_id": ["DE30", "FR10", "FRY3"],
                         "name_latn": ["Berlin", "Ile-de-France", "Guyane"],
                         "value": [12.3, 8.5, 20.0], "flags": [None, "u", None]})


def test_choropleth_draws_given_geojson_only_with_no_value_regions_in_grey():
    fig = of.choropleth_figure(_map_frame(), GEOJSON, value_title="Rate", suffix="%")

    values = next(t for t in fig.data if t.meta == "values")
    assert dict(zip(values.locations, values.z, strict=True)) == {"DE30": 12.3, "FR10": 8.5}
    assert values.featureidkey == "properties.NUTS_ID"
    assert {f["properties"]["NUTS_ID"] for f in values.geojson["features"]} == {"DE30", "FR10"}
    assert "low reliability" in values.customdata[1][1]
    grey = next(t for t in fig.data if t.meta == "no_value")
    # FRB0 has no value in a country that has some; PL is not in the data at all.
    assert list(grey.locations) == ["FRB0"]
    geo = fig.layout.geo
    assert geo.fitbounds == "locations" and geo.visible is False
    assert not any((geo.showcountries, geo.showcoastlines, geo.showland, geo.showocean,
                    geo.showlakes, geo.showrivers, geo.showframe))
    assert all(isinstance(t, go.Choropleth) for t in fig.data)  # no tiles, no mapbox
    assert of.outside_europe(_map_frame(), GEOJSON) == [("FRY3", "Region FRY3")]
    assert of.MAP_GRAPH_CONFIG["topojsonURL"].startswith("data:")


def test_choropleth_without_geometry_or_values():
    assert "No NUTS boundaries" in of.choropleth_figure(
        _map_frame(), None, value_title="Rate").layout.annotations[0].text
    empty = _map_frame().with_columns(pl.lit(None, pl.Float64).alias("value"))
    assert "No value" in of.choropleth_figure(
        empty, GEOJSON, value_title="Rate").layout.annotations[0].text
    text = of.describe_choropleth(_map_frame(), "rate", "2013", 2, suffix="%")
    assert "3 NUTS 2 regions" in text and "Lowest: Ile-de-France (FR10) 8.5%" in text
    assert "highest: Guyane (FRY3) 20.0%" in text and "1 value(s) are flagged" in text


def _bmo_frame() -> pl.DataFrame:
    return pl.DataFrame({
        "family_code": ["A", "B", "C"], "family_label": ["Admin", "Build", "Care"],
        "n_cells": [10, 4, 6], "n_projects": [500, None, 1_200],
        "n_secret_projects": [2, 4, 0], "n_secret_difficult": [3, 4, 1],
        "n_secret_seasonal": [5, 4, 2],
        "share_difficult": [0.5, None, 0.25], "share_seasonal": [0.1, None, 0.4],
    })


def test_bmo_figure_never_turns_secret_into_zero():
    fig = of.bmo_figure(_bmo_frame(), "family_label", code_column="family_code", highlight="C")

    projects = next(t for t in fig.data if t.meta == "n_projects")
    # Largest on top: plotly draws bottom-up, the all-secret family first (at the bottom).
    assert list(projects.y) == ["Build", "Admin", "<b>Care</b>"]
    assert list(projects.x) == [None, 500, 1_200]
    assert list(projects.text) == ["secret", "500", "1,200"]
    difficult = next(t for t in fig.data if t.meta == "share_difficult")
    assert list(difficult.x) == [None, 0.5, 0.25]
    seasonal = next(t for t in fig.data if t.meta == "share_seasonal")
    assert list(seasonal.x) == [None, 0.1, 0.4] and seasonal.marker.pattern.shape == "/"
    assert of.secret_note(_bmo_frame()).startswith(
        "6 secret cells (published as *) not included in the project counts, out of 20 ")
    assert "8 secret 'difficult' and 11 secret 'seasonal'" in of.secret_note(_bmo_frame())
    text = of.describe_bmo(_bmo_frame(), "by occupation family", "family_label")
    assert "2 groups, 1,700 projects" in text and "Largest: Care (1,200 projects, 25.0% " \
        "difficult, 40.0% seasonal)" in text


def test_source_line():
    loaded = dt.datetime(2026, 11, 25, 23, 30, tzinfo=dt.UTC)
    assert of.source_line("Source: Eurostat", "une_rt_m", "une_rt_m.csv", dt.date(2026, 3, 4),
                          loaded) == ("Source: Eurostat, une_rt_m (une_rt_m.csv, last update "
                                      "2026-03-04), loaded 2026-11-25")
    # The date is the local one.
    assert of.source_line("Source: INSEE", "naf.csv", "naf.csv", None, loaded,
                          "Europe/Paris") == "Source: INSEE, naf.csv, loaded 2026-11-26"


# -- the view and the URL --------------------------------------------------------------------

def test_view_search_round_trip():
    view = lm.View(dataset="une_rt_m", geos=("FR", "DE"), age=UNE_AGE, sex="Total", level=0,
                   period="2026-01")
    assert view.search() == ("?dataset=une_rt_m&geo=FR,DE&age=From%2025%20to%2074%20years"
                             "&sex=Total&level=0&period=2026-01")
    query = lm.query_of(view.search())
    assert query["age"] == [UNE_AGE] and query["geo"] == ["FR,DE"]
    assert lm.View().search() == ""


@pytest.mark.shared_data
def test_resolve_falls_back_on_anything_unknown(official_settings):
    db = official_settings.published_db
    view, choices = lm.resolve(db, {})
    assert choices.datasets == ("une_rt_m", "lfst_r_lfu3rt", "jvs_q_nace2")
    assert view.dataset == "une_rt_m" and view.geos == ("FR", "DE", "ES", "IT")
    assert (view.age, view.sex, view.level) == (UNE_AGE, "Total", 0)
    assert view.period == choices.periods[0] == "2026-01" and view.bmo_region is None

    crafted, _ = lm.resolve(db, {"dataset": "x' or 1=1 --", "geo": "FR,ZZ,DE; drop", "age": "?",
                                 "level": "9", "period": "1900", "bmo_region": "99"})
    assert crafted == view.__class__(**{**dataclasses.asdict(view), "geos": ("FR",)})

    lfst, choices = lm.resolve(db, {"dataset": "lfst_r_lfu3rt", "geo": ""})
    assert lfst.geos == () and (lfst.age, lfst.sex, lfst.level) == ("Y_GE15", "T", 2)
    assert choices.levels == (0, 2) and lfst.period == "2013"


@pytest.mark.shared_data
def test_sync_dataset_change_resets_its_choices_and_writes_the_url(official_settings):
    db = official_settings.published_db
    view, _ = lm.resolve(db, {})
    values = list(view.control_values().values())
    values[0] = "lfst_r_lfu3rt"  # the reader picks another dataset
    search, shown, new_values, options = lm.sync(lm.cid("dataset"), "", values, view.search(), db)
    assert search == shown == ("?dataset=lfst_r_lfu3rt&geo=FR,DE,FR10,DE30&age=Y_GE15&sex=T"
                               "&level=2&period=2013")
    assert new_values[0] is no_update  # the dataset is already what the reader chose
    assert new_values[1:6] == [["FR", "DE", "FR10", "DE30"], "Y_GE15", "T", 2, "2013"]
    assert {o["value"] for o in options[2]} == {"Y15-24", "Y20-64", "Y_GE15", "Y_GE25"}

    # Back to the bare URL: the controls follow it; the URL itself is never written.
    after = ["lfst_r_lfu3rt", ["FR", "DE", "FR10", "DE30"], "Y_GE15", "T", 2, "2013", None]
    search, shown, back, _ = lm.sync(lm.URL_ID, "", after, search, db)
    assert search is no_update and shown == view.search()
    assert back[0] == "une_rt_m" and back[1] == ["FR", "DE", "ES", "IT"]
    # The page opening with its own URL changes nothing, so the charts are not redrawn.
    assert lm.sync(lm.URL_ID, view.search(), list(view.control_values().values()),
                   view.search(), db)[:2] == (no_update, no_update)


# -- callbacks against the real files --------------------------------------------------------

@pytest.mark.shared_data
def test_series_equals_the_csv_cells(app, une_rows):
    view_search = lm.View(dataset="une_rt_m", geos=("FR", "DK"), age=UNE_AGE,
                          sex="Total").search()
    fig, heading, summary, notes = lm.update_series(view_search)

    def csv_series(country: str) -> list[tuple[str, float, str]]:
        return sorted((r["TIME_PERIOD"], float(r["OBS_VALUE"]), r["OBS_FLAG"])
                      for r in une_rows if r["geo"] == country and r["age"] == UNE_AGE)

    france = csv_series("France")
    line = trace(fig, "France (FR)")
    assert list(line.y)[-12:] == [v for _, v, _ in france[-12:]]  # the last 12 months
    assert list(line.y) == [v for _, v, _ in france]
    assert [p for p, _ in line.customdata] == [p for p, _, _ in france]
    denmark = csv_series("Denmark")
    breaks = [(p, v) for p, v, f in denmark if f == "b"]
    assert breaks == [("2023-10", 4.7)]
    flagged = trace(fig, "Denmark (DK): flagged")
    assert [(c[0], y) for c, y in zip(flagged.customdata, flagged.y, strict=True)] == breaks
    assert list(flagged.text) == ["b"]
    assert heading == "Unemployment rate by country, monthly"
    assert "DK Oct 2023 (b)" in summary
    assert "1 × b" in text_of(notes[0]) and "u low reliability" in text_of(notes[0])
    assert text_of(notes[2]).startswith(
        "Source: Eurostat, une_rt_m (une_rt_m.csv, last update 2026-03-04), loaded 20")


@pytest.mark.shared_data
def test_regional_series_equals_the_tsv_cells(app, tsv_cells):
    view_search = lm.View(dataset="lfst_r_lfu3rt", geos=("FR10", "EL11"), age="Y15-24",
                          sex="F").search()
    fig, _, _, _ = lm.update_series(view_search)
    for geo, name in (("FR10", "Ile-de-France (FR10)"), ("EL11", "EL11")):
        expected = sorted((p, cell) for (a, s, g, p), cell in tsv_cells.items()
                          if (a, s, g) == ("Y15-24", "F", geo))
        line = trace(fig, name)
        assert list(line.y) == [v for _, (v, _) in expected]
        flagged = {(p, f) for p, (v, f) in expected if f and v is not None}
        assert flagged  # both series have flagged values (u and b) in the file
        shown = trace(fig, f"{name}: flagged")
        assert {(c[0], t) for c, t in zip(shown.customdata, shown.text, strict=True)} == flagged


@pytest.mark.shared_data
def test_map_equals_the_tsv_cells_and_names_unmatched_codes(app, tsv_cells, shared_data):
    view_search = lm.View(dataset="lfst_r_lfu3rt", age="Y15-24", sex="T", level=2,
                          period="2013").search()
    fig, summary, notes = lm.update_map(view_search)

    def features(name):
        text = (shared_data / "geo" / name).read_text(encoding="utf-8")
        return {f["properties"]["NUTS_ID"]: f for f in json.loads(text)["features"]}

    level_2 = features("NUTS_RG_20M_2021_4326_LEVL_2.geojson")
    countries = set(features("NUTS_RG_20M_2021_4326_LEVL_0.geojson"))
    outside = {"ES70", "PT20", "PT30"}  # Canarias, Azores, Madeira: outside the frame
    valued = {geo: value for (a, s, geo, p), (value, _) in tsv_cells.items()
              if (a, s, p) == ("Y15-24", "T", "2013") and geo in level_2 and value is not None}
    expected = {geo: value for geo, value in valued.items() if geo not in outside}
    values = next(t for t in fig.data if t.meta == "values")
    assert dict(zip(values.locations, values.z, strict=True)) == expected
    assert "FR21" not in values.locations and "FR10" in values.locations

    nuts_2010 = sorted({g for (_, _, g, _) in tsv_cells if len(g) == 4 and g[:2] in countries
                        and g not in level_2})
    unmatched = text_of(next(n for n in notes if getattr(n, "id", None) == "lm-map-unmatched"))
    assert unmatched.startswith(f"{len(nuts_2010)} regions of this level in lfst_r_lfu3rt use "
                                "codes of another NUTS version")
    assert "not drawn" in unmatched and "FR21" in nuts_2010
    assert "Canarias (ES70)" in text_of(notes)
    assert f"for {len(valued)} NUTS 2 regions" in summary
    sources = text_of(next(n for n in notes if getattr(n, "id", None) == "lm-map-source"))
    assert sources.startswith("Source: Eurostat, lfst_r_lfu3rt (lfst_r_lfu3rt.tsv), loaded 20")
    assert "© EuroGeographics" in sources and "NUTS_RG_20M_2021_4326_LEVL_2.geojson" in sources


@pytest.mark.shared_data
def test_bmo_equals_the_workbook_cells(app, bmo_rows):
    fam_fig, fam_summary, fam_notes, reg_fig, _, reg_notes = lm.update_bmo("?bmo_region=84")

    def recompute(rows, key):
        out = {}
        for row in rows:
            acc = out.setdefault(row[key], {"n": None, "secret": 0, "num": 0, "den": 0})
            if row["met"] == "*":
                acc["secret"] += 1
            else:
                acc["n"] = (acc["n"] or 0) + int(row["met"])
            if row["met"] != "*" and row["xmet"] != "*":
                acc["num"] += int(row["xmet"])
                acc["den"] += int(row["met"])
        return out

    region = [r for r in bmo_rows if r["REG"] == "84"]
    families = recompute(region, "Lbl_fam_met")
    projects = next(t for t in fam_fig.data if t.meta == "n_projects")
    assert dict(zip(projects.y, projects.x, strict=True)) == {k: v["n"] for k, v in families.items()}
    assert list(projects.customdata) == [families[k]["secret"] for k in projects.y]
    difficult = next(t for t in fam_fig.data if t.meta == "share_difficult")
    for label, share in zip(difficult.y, difficult.x, strict=True):
        assert share == pytest.approx(families[label]["num"] / families[label]["den"])
    n_secret = sum(v["secret"] for v in families.values())
    assert text_of(fam_notes[0]).startswith(f"{n_secret:,} secret cells (published as *) not "
                                            f"included in the project counts, out of "
                                            f"{len(region):,} ")
    assert "in Auvergne-Rhône-Alpes, 2025" in fam_summary

    regions = recompute(bmo_rows, "NOM_REG")
    reg_projects = next(t for t in reg_fig.data if t.meta == "n_projects")
    assert {y.replace("<b>", "").replace("</b>", ""): x
            for y, x in zip(reg_projects.y, reg_projects.x, strict=True)} \
        == {k: v["n"] for k, v in regions.items()}
    assert "<b>Auvergne-Rhône-Alpes</b>" in reg_projects.y  # the chosen region
    for notes in (fam_notes, reg_notes):
        assert text_of(notes[2]).startswith("Source: France Travail")
        assert "BMO 2025 (Base_open_data_BMO_2025.xlsx), loaded 20" in text_of(notes[2])


@pytest.mark.shared_data
def test_layout_restores_the_view_and_lists_every_file(app):
    page = lm.layout(dataset="lfst_r_lfu3rt", geo="FR10,DE30", age="Y15-24", sex="F",
                     level="0", period="2010", bmo_region="11")
    assert by_id(page, lm.cid("dataset")).value == "lfst_r_lfu3rt"
    assert by_id(page, lm.cid("geo")).value == ["FR10", "DE30"]
    assert (by_id(page, lm.cid("age")).value, by_id(page, lm.cid("sex")).value) == ("Y15-24", "F")
    assert (by_id(page, lm.cid("level")).value, by_id(page, lm.cid("period")).value) == (0, "2010")
    assert by_id(page, lm.cid("bmo_region")).value == "11"
    assert by_id(page, lm.VIEW_ID).data == ("?dataset=lfst_r_lfu3rt&geo=FR10,DE30&age=Y15-24"
                                            "&sex=F&level=0&period=2010&bmo_region=11")
    assert by_id(page, "official-badge").children == "Published official statistics"
    freshness = text_of(by_id(page, "data-freshness"))
    assert freshness.startswith("Official files loaded up to ")
    # Every chart has its text alternative, an about note and a source line.
    for graph_id in ("lm-series", "lm-map", "lm-bmo-by-family", "lm-bmo-by-region"):
        assert by_id(page, graph_id).figure.data
        assert text_of(by_id(page, f"{graph_id}-summary"))
        notes = text_of(by_id(page, f"{graph_id}-notes"))
        assert "About this indicator" in notes and "Source: " in notes
    # Every imported file shows up, with the number of observations the source file holds.
    rows = by_id(page, "lm-sources-table").children[2].children
    shown = {text_of(r.children[1]): text_of(r.children[3]) for r in rows}
    assert shown == {Path(name).name: f"{n:,}" for name, n in FILES.items()}


@pytest.mark.shared_data
def test_official_tables_only(official_only_settings):
    create_app(official_only_settings)
    page = lm.layout()
    assert "published" not in text_of(by_id(page, "data-freshness"))  # no PES snapshot row
    assert list(trace(by_id(page, "lm-series").figure, "France (FR)").y)
    assert next(t for t in by_id(page, "lm-map").figure.data if t.meta == "values").z
    assert "No BMO survey is loaded" in text_of(by_id(page, "lm-bmo-by-family-summary"))
    assert [o["value"] for o in by_id(page, lm.cid("dataset")).options] == ["une_rt_m"]


@pytest.mark.parametrize("settings_fixture", ["dash_settings", "empty_settings"])
def test_no_official_data_says_how_to_load_it(request, settings_fixture):
    create_app(request.getfixturevalue(settings_fixture))
    page = lm.layout(dataset="une_rt_m")
    assert text_of(by_id(page, "no-official-data")) == (
        "No official statistics loaded yet: run observatory import auto FILE... or drop files "
        "into landing/official/, then reload this page.")
    assert lm.update_series("?dataset=une_rt_m")[0].data == ()


# -- the page in headless Chromium -----------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
FIGURE_DATA = """id => {
    const plot = document.getElementById(id)?.querySelector('.js-plotly-plot');
    return plot?.data ? plot.data.map(t => ({name: t.name, y: Array.from(t.y || []),
                                             n: (t.locations || t.y || []).length})) : null;
}"""


@pytest.fixture(scope="module")
def base_url(official_settings, serve_dashboard):
    """The dashboard served by dashboards.app.serve in its own process, as in production."""
    return serve_dashboard(official_settings.home)


@pytest.mark.browser
@pytest.mark.shared_data
def test_labour_market_page_in_the_browser(base_url, login, accounts):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        page = context.new_page()
        page.set_default_timeout(15_000)
        login(page, base_url, accounts.analyst)
        requests, errors = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(base_url + "/labour-market")
        page.wait_for_selector("#lm-series .main-svg")
        assert page.title() == "Labour market · PES Observatory"
        assert page.is_visible("#official-badge")
        series = page.evaluate(FIGURE_DATA, "lm-series")
        names = [t["name"] for t in series if t["n"] > 1]
        assert names == ["France (FR)", "Germany (DE)", "Spain (ES)", "Italy (IT)"]
        assert all(isinstance(v, float | int) for v in series[0]["y"])

        # Add Denmark: the URL records the view and the chart redraws with its line.
        page.click(f"[id='{lm.cid('geo')}']")
        page.get_by_role("option", name="Denmark (DK)").click()
        page.keyboard.press("Escape")
        page.wait_for_function(
            "() => (new URLSearchParams(location.search).get('geo') || '').includes('DK')")
        page.wait_for_function(
            "() => document.querySelector('#lm-series .js-plotly-plot')"
            ".data.some(t => t.name === 'Denmark (DK)')")
        assert "dataset=une_rt_m" in page.url
        assert "Denmark (DK)" in page.inner_text("#lm-series-summary")

        # The map: regions drawn from the GeoJSON in the snapshot.
        page.wait_for_selector("#lm-map path.choroplethlocation")
        assert page.locator("#lm-map path.choroplethlocation").count() >= 26
        # BMO: the bars are drawn.
        for graph_id in ("lm-bmo-by-family", "lm-bmo-by-region"):
            page.wait_for_selector(f"#{graph_id} .bars path")
        bmo = page.evaluate(FIGURE_DATA, "lm-bmo-by-region")
        assert bmo[0]["n"] == 18
        # A source line under every chart.
        for graph_id in ("lm-series", "lm-map", "lm-bmo-by-family", "lm-bmo-by-region"):
            assert page.inner_text(f"#{graph_id}-notes .chart-source").startswith("Source: ")

        # The permalink reopens the same view.
        page.reload()
        page.wait_for_selector("#lm-series .main-svg")
        assert "Denmark (DK)" in [t["name"] for t in page.evaluate(FIGURE_DATA, "lm-series")]
        labels = page.eval_on_selector_all(
            "label[for]", "els => els.map(e => !!document.getElementById(e.htmlFor))")
        assert labels and all(labels)

        # Nothing, scripts and styles included, comes from anywhere but the dashboard.
        assert all(u.startswith(base_url) for u in requests if not u.startswith("data:")), \
            {u for u in requests if not u.startswith(base_url)}
        assert errors == []
        context.close()
        browser.close()

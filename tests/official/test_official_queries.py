"""Labour-market page queries on a published snapshot, recomputed from the source files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dashboards import official_queries as q
from pipelines import official
from warehouse.build import publish
from warehouse.db import connect_build

pytestmark = pytest.mark.shared_data

FILES = [
    "eurostat/une_rt_m.csv",
    "eurostat/lfst_r_lfu3rt.tsv",
    "eurostat/jvs_q_nace2_page_linear_2_0.csv",
    "geo/NUTS_RG_20M_2021_4326_LEVL_0.geojson",
    "geo/NUTS_RG_20M_2021_4326_LEVL_2.geojson",
    "geo/NUTS_RG_60M_2021_4326.geojson",
    "geo/NUTS_LB_2021_4326_LEVL_2.geojson",
    "france_travail/Base_open_data_BMO_2025.xlsx",
]


@pytest.fixture(scope="module")
def published(shared_data: Path, tmp_path_factory) -> Path:
    """A published snapshot holding the official files above (no PES data)."""
    folder = tmp_path_factory.mktemp("official-queries")
    con = connect_build(folder / "build.duckdb")
    try:
        outcomes = official.import_files(con, [shared_data / name for name in FILES], "run-q")
        assert all(o.outcome == "loaded" for o in outcomes), [o.describe() for o in outcomes]
        con.execute("checkpoint")
    finally:
        con.close()
    publish(folder / "build.duckdb", folder / "observatory.duckdb")
    return folder / "observatory.duckdb"


@pytest.fixture(scope="module")
def tsv_cells(shared_data: Path) -> dict[tuple[str, ...], tuple[float | None, str | None]]:
    """lfst_r_lfu3rt.tsv read with str.split: {(age, sex, geo, year): (value, flags)}."""
    path = shared_data / "eurostat" / "lfst_r_lfu3rt.tsv"
    lines = path.read_text(encoding="utf-8").split("\n")
    periods = [cell.strip() for cell in lines[0].split("\t")[1:]]
    cells = {}
    for line in filter(None, lines[1:]):
        key, *values = line.split("\t")
        age, sex, geo = key.split(",")
        for period, cell in zip(periods, values, strict=True):
            number, _, flag = cell.partition(" ")
            cells[(age, sex, geo, period)] = (
                None if number == ":" else float(number), flag.strip() or None)
    return cells


def _features(shared_data: Path, name: str) -> dict[str, dict]:
    collection = json.loads((shared_data / "geo" / name).read_text(encoding="utf-8"))
    return {f["properties"]["NUTS_ID"]: f["properties"] for f in collection["features"]}


def test_has_official_data(published: Path, tmp_path: Path) -> None:
    assert q.has_official_data(published)
    assert not q.has_official_data(tmp_path / "absent.duckdb")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert not q.has_official_data(empty)


def test_unemployment_series_equals_the_csv_rows(shared_data: Path, published: Path) -> None:
    with (shared_data / "eurostat" / "une_rt_m.csv").open(encoding="utf-8", newline="") as f:
        source = [row for row in csv.DictReader(f)
                  if row["geo"] in ("France", "Germany") and row["age"] == "Less than 25 years"]
    codes = {"France": "FR", "Germany": "DE"}
    expected = sorted((codes[r["geo"]], r["geo"], r["TIME_PERIOD"], float(r["OBS_VALUE"]),
                       r["OBS_FLAG"] or None) for r in source)

    series = q.unemployment_series(published, geos=["FR", "DE"], age="Less than 25 years")

    assert len(expected) == 2 * 50  # 2021-12 to 2026-01
    assert sorted(series.select("geo", "geo_label", "period", "value", "flags").rows()) \
        == expected
    assert series.filter(geo="FR")["period_start"].is_sorted()
    assert set(series["source_file"]) == {"une_rt_m.csv"}
    assert set(series["attribution"]) == {"Source: Eurostat"}
    assert {d.isoformat() for d in series["source_updated_on"]} == {"2026-03-04"}
    assert series["loaded_at"].null_count() == 0


def test_unemployment_series_of_a_code_file_with_nuts_names(
        shared_data: Path, published: Path, tsv_cells) -> None:
    series = q.unemployment_series(published, "lfst_r_lfu3rt", geos=["FR10"], age="Y15-24",
                                   sex="T")
    expected = sorted((period, *cell) for (age, sex, geo, period), cell in tsv_cells.items()
                      if (age, sex, geo) == ("Y15-24", "T", "FR10"))
    assert sorted(series.select("period", "value", "flags").rows()) == expected
    name = _features(shared_data, "NUTS_RG_20M_2021_4326_LEVL_2.geojson")["FR10"]["NAME_LATN"]
    assert set(series["geo_label"]) == {name}
    assert q.unemployment_series(published, dataset="une_rt_m' or 1=1 --").height == 0


def test_available_geos_datasets_and_dimensions(shared_data: Path, published: Path) -> None:
    with (shared_data / "eurostat" / "une_rt_m.csv").open(encoding="utf-8", newline="") as f:
        labels = {row["geo"] for row in csv.DictReader(f)}
    geos = q.available_geos(published, "une_rt_m")
    assert set(geos["geo_label"]) == labels and geos.height == len(labels) == 27
    assert geos["is_nuts_2021"].all() and set(geos["nuts_level"]) == {0}
    datasets = q.available_datasets(published)
    assert dict(datasets.select("dataset", "n_observations").rows()) == {
        "jvs_q_nace2": 70, "lfst_r_lfu3rt": 84_060, "une_rt_m": 2_691}
    assert q.dimension_values(published, "lfst_r_lfu3rt", "sex") == ["F", "M", "T"]
    assert q.dimension_values(published, "une_rt_m", "age") == [
        "From 25 to 74 years", "Less than 25 years"]
    with pytest.raises(ValueError):
        q.dimension_values(published, "une_rt_m", "age') or 1=1 --")
    assert q.available_periods(published, "lfst_r_lfu3rt", level=2)[:2] == ["2013", "2012"]


def test_choropleth_data_equals_the_source_cells(shared_data: Path, published: Path,
                                                 tsv_cells) -> None:
    level_2 = set(_features(shared_data, "NUTS_RG_20M_2021_4326_LEVL_2.geojson")) | {
        nuts_id for nuts_id, p in _features(shared_data, "NUTS_RG_60M_2021_4326.geojson").items()
        if p["LEVL_CODE"] == 2}
    expected = {geo: cell for (age, sex, geo, period), cell in tsv_cells.items()
                if (age, sex, period) == ("Y15-24", "T", "2013") and geo in level_2}

    frame, geojson = q.nuts_choropleth_data(published, "lfst_r_lfu3rt", "2013", 2,
                                            filters={"age": "Y15-24", "sex": "T"})

    loaded = {nuts_id: (v, f) for nuts_id, v, f in frame.select("nuts_id", "value", "flags").rows()}
    assert loaded == expected
    assert "FR10" in expected and "FR21" not in set(frame["nuts_id"])
    # The most detailed boundaries loaded for the level: the 1:20M file.
    assert len(geojson["features"]) == 333
    assert set(frame["nuts_id"]) <= {f["properties"]["NUTS_ID"] for f in geojson["features"]}
    _, coarse = q.nuts_choropleth_data(published, "lfst_r_lfu3rt", "2013", 2,
                                       filters={"age": "Y15-24", "sex": "T"}, scale="60M")
    assert len(coarse["features"]) == 334
    # Only the 1:60M file has NUTS-1 boundaries here; nothing has a level 4.
    _, level_1 = q.nuts_choropleth_data(published, "lfst_r_lfu3rt", "2013", 1,
                                        filters={"age": "Y15-24", "sex": "T"})
    assert len(level_1["features"]) == 125
    assert q.nuts_choropleth_data(published, "lfst_r_lfu3rt", "2013", 4,
                                  filters={"age": "Y15-24", "sex": "T"})[1] is None
    with pytest.raises(ValueError, match=r"\['age', 'sex'\]"):
        q.nuts_choropleth_data(published, "lfst_r_lfu3rt", "2013", 2)


def test_nuts_unmatched(published: Path) -> None:
    unmatched = q.nuts_unmatched(published, "lfst_r_lfu3rt")
    assert "FR21" in set(unmatched["geo"]) and "DE1" not in set(unmatched["geo"])
    assert q.nuts_unmatched(published, "une_rt_m").height == 0


@pytest.fixture(scope="module")
def bmo_raw(shared_data: Path) -> list[dict[str, object]]:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.load_workbook(
        shared_data / "france_travail" / "Base_open_data_BMO_2025.xlsx", read_only=True)
    try:
        header, *data = workbook["BMO_2025_open_data"].iter_rows(values_only=True)
    finally:
        workbook.close()
    return [dict(zip(header, row, strict=True)) for row in data]


def _recompute_bmo(rows: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    """Per BMO occupation: published sums, secret counts and shares over fully known cells."""
    out: dict[str, dict[str, object]] = {}
    for row in rows:
        acc = out.setdefault(row["Code métier BMO"], {
            "n_projects": None, "n_secret_projects": 0, "n_projects_difficult": None,
            "n_secret_difficult": 0, "d_num": 0, "d_den": 0, "s_num": 0, "s_den": 0})
        met, xmet, smet = row["met"], row["xmet"], row["smet"]
        for cell, total, secret in ((met, "n_projects", "n_secret_projects"),
                                    (xmet, "n_projects_difficult", "n_secret_difficult")):
            if cell == "*":
                acc[secret] += 1
            else:
                acc[total] = (acc[total] or 0) + int(cell)
        if met != "*" and xmet != "*":
            acc["d_num"] += int(xmet)
            acc["d_den"] += int(met)
        if met != "*" and smet != "*":
            acc["s_num"] += int(smet)
            acc["s_den"] += int(met)
    for acc in out.values():
        acc["share_difficult"] = acc["d_num"] / acc["d_den"] if acc["d_den"] else None
        acc["share_seasonal"] = acc["s_num"] / acc["s_den"] if acc["s_den"] else None
    return out


def test_bmo_by_occupation_region_is_secrecy_aware(published: Path, bmo_raw) -> None:
    region = [row for row in bmo_raw if row["REG"] == "84"]
    expected = _recompute_bmo(region)

    frame = q.bmo_by_occupation_region(published, region_code="84")

    assert frame.height == len(expected)
    assert set(frame["region_name"]) == {"Auvergne-Rhône-Alpes"}
    for row in frame.iter_rows(named=True):
        want = expected[row["bmo_code"]]
        for column in ("n_projects", "n_secret_projects", "n_projects_difficult",
                       "n_secret_difficult"):
            assert row[column] == want[column], (row["bmo_code"], column)
        for column in ("share_difficult", "share_seasonal"):
            assert row[column] == pytest.approx(want[column]), (row["bmo_code"], column)
    # An occupation whose every cell is secret has no count, not a zero.
    all_secret = [code for code, acc in expected.items() if acc["n_projects"] is None]
    assert frame.filter(pl.col("bmo_code").is_in(all_secret))["n_projects"].null_count() \
        == len(all_secret)

    everything = q.bmo_by_occupation_region(published)
    assert everything["n_projects"].sum() == sum(int(r["met"]) for r in bmo_raw if r["met"] != "*")
    assert everything["n_secret_projects"].sum() == 11_452
    family = q.bmo_by_occupation_region(published, family_code="Z", region_code="84")
    assert set(family["family_code"]) == {"Z"} and 0 < family.height < frame.height


def test_official_sources(published: Path) -> None:
    sources = q.official_sources(published)
    assert sources.height == len(FILES)
    une = q.official_sources(published, dataset="une_rt_m").row(0, named=True)
    assert (une["source_file"], une["attribution"]) == ("une_rt_m.csv", "Source: Eurostat")
    assert une["source_updated_on"].isoformat() == "2026-03-04" and une["loaded_at"] is not None
    bmo = q.official_sources(published, table="bmo")
    assert bmo["source_file"].to_list() == ["Base_open_data_BMO_2025.xlsx"]
    assert "France Travail" in bmo["attribution"][0]
    nuts = q.official_sources(published, table="nuts_regions")
    assert nuts.height == 4 and set(nuts["attribution"]) == {
        "© EuroGeographics for the administrative boundaries (Eurostat GISCO)"}

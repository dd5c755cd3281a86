"""Importing every real official file into a build database, checked against the source cells.

The expected values come from independent reads of the files (str.split, the csv module,
openpyxl), never from the parsers under test.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

import duckdb
import pytest

from observatory.settings import load_settings
from pipelines import official
from pipelines.sources.detect import OfficialFileError, detect_official
from warehouse import official as wh_official
from warehouse.db import connect_build

# File -> (table, rows loaded) for every real file the importers support.
REAL_FILES = {
    "eurostat/une_rt_m.csv": ("eurostat_observations", 2_691),
    "eurostat/jvs_q_nace2_page_linear_2_0.csv": ("eurostat_observations", 70),
    "eurostat/lfst_r_lfu3rt.tsv": ("eurostat_observations", 84_060),
    "eurostat/codelist_obs_flag.tsv": ("eurostat_flags", 42),
    "esco/ISCOGroups_en.csv": ("isco_groups", 619),
    "esco/occupations_en.csv": ("esco_occupations", 2_942),
    "rome/unix_referentiel_code_rome_v460_utf8.csv": ("rome_codes", 1_584),
    "rome/unix_referentiel_appellation_v460_utf8.csv": ("rome_appellations", 13_120),
    "nace/NACE_REV2_20221103_144244.csv": ("nace", 996),
    "nace/naf2008_liste_n5.csv": ("naf", 732),
    "geo/NUTS_RG_20M_2021_4326_LEVL_0.geojson": ("nuts_regions", 37),
    "geo/NUTS_RG_20M_2021_4326_LEVL_1.geojson": ("nuts_regions", 125),
    "geo/NUTS_RG_20M_2021_4326_LEVL_2.geojson": ("nuts_regions", 333),
    "geo/NUTS_RG_60M_2021_4326.geojson": ("nuts_regions", 37 + 125 + 334 + 1_514),
    "geo/NUTS_LB_2021_4326_LEVL_2.geojson": ("nuts_regions", 334),
    "france_travail/Base_open_data_BMO_2025.xlsx": ("bmo", 50_076),
}
# French ESCO exports: imported together with their English sibling, so skipped on their own.
FRENCH_ESCO = ["esco/ISCOGroups_fr.csv", "esco/occupations_fr.csv"]
BMO_COUNTS = {
    "met": ("n_projects", "is_secret_projects"),
    "xmet": ("n_projects_difficult", "is_secret_difficult"),
    "smet": ("n_projects_seasonal", "is_secret_seasonal"),
}

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def imported(shared_data: Path, tmp_path_factory):
    """(connection, outcomes): every real file imported into a fresh build database."""
    con = connect_build(tmp_path_factory.mktemp("official-import") / "build.duckdb")
    paths = [shared_data / name for name in [*REAL_FILES, *FRENCH_ESCO]]
    outcomes = official.import_files(con, paths, run_id="run-1")
    yield con, outcomes
    con.close()


@pytest.fixture(scope="module")
def con(imported) -> duckdb.DuckDBPyConnection:
    return imported[0]


def rows(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params=None):
    return rows(con, sql, params)[0][0]


# -- every file, its row count and lineage ------------------------------------------------------

def test_every_real_file_imports_with_its_row_count(imported) -> None:
    con, outcomes = imported
    by_name = {o.file_name: o for o in outcomes}
    for name, (table, n_rows) in REAL_FILES.items():
        file_name = Path(name).name
        outcome = by_name[file_name]
        assert (outcome.outcome, outcome.n_rows) == ("loaded", n_rows), outcome.describe()
        assert rows(con, "select table_name, n_rows from official.imports where file_name = ?",
                    [file_name]) == [(table, n_rows)]
        assert scalar(con, f"select count(*) from official.{table} where source_file = ?",
                      [file_name]) == n_rows
    for name in FRENCH_ESCO:
        outcome = by_name[Path(name).name]
        assert outcome.outcome == "skipped_duplicate"
        assert "_en.csv" in outcome.detail
    assert scalar(con, "select count(*) from official.imports") == len(REAL_FILES)


def test_every_row_carries_its_lineage(con) -> None:
    for table in ("eurostat_observations", "bmo", "nace", "nuts_regions", "nuts_geometry"):
        bad = rows(con, f"""
            select count(*) from official.{table} as t
            left join official.imports as i
              on i.file_name = t.source_file and i.content_hash = t.content_hash
            where i.file_name is null or t.run_id <> 'run-1' or t.loaded_at is null""")
        assert bad == [(0,)], table
    events = rows(con, "select outcome, count(*) from meta.file_events "
                       "where source = 'official' group by all order by 1")
    assert events == [("loaded", len(REAL_FILES)), ("skipped_duplicate", len(FRENCH_ESCO))]


# -- Eurostat values and flags against the source cells ----------------------------------------

def _tsv_cells(path: Path) -> dict[tuple[str, str, str, str], tuple[float | None, str | None]]:
    """Independent read with str.split: {(age, sex, geo, year): (value, flags)}."""
    lines = path.read_text(encoding="utf-8").split("\n")
    periods = [cell.strip() for cell in lines[0].split("\t")[1:]]
    cells = {}
    for line in lines[1:]:
        if not line:
            continue
        key, *values = line.split("\t")
        age, sex, geo = key.split(",")
        for period, cell in zip(periods, values, strict=True):
            number, _, flag = cell.partition(" ")
            cells[(age, sex, geo, period)] = (
                None if number == ":" else float(number), flag.strip() or None)
    return cells


def _loaded_tsv(con) -> dict[tuple[str, str, str, str], tuple[float | None, str | None]]:
    loaded = rows(con, """
        select json_extract_string(dimensions, '$.age'), json_extract_string(dimensions, '$.sex'),
               geo, period, value, flags
        from official.eurostat_observations where source_file = 'lfst_r_lfu3rt.tsv'""")
    return {row[:4]: row[4:] for row in loaded}


def test_lfst_r_lfu3rt_seeded_sample_of_cells(shared_data: Path, con) -> None:
    cells = _tsv_cells(shared_data / "eurostat" / "lfst_r_lfu3rt.tsv")
    loaded = _loaded_tsv(con)
    assert len(cells) == len(loaded) == 84_060
    for key in random.Random(20260305).sample(sorted(cells), 300):
        assert loaded[key] == cells[key], key
    assert loaded == cells


def test_lfst_r_lfu3rt_counts_per_flag(shared_data: Path, con) -> None:
    cells = _tsv_cells(shared_data / "eurostat" / "lfst_r_lfu3rt.tsv")
    independent: dict[tuple[bool, str | None], int] = {}
    for value, flag in cells.values():
        independent[(value is not None, flag)] = independent.get((value is not None, flag), 0) + 1
    loaded = dict(((has_value, flags), n) for has_value, flags, n in rows(con, """
        select value is not null, flags, count(*) from official.eurostat_observations
        where source_file = 'lfst_r_lfu3rt.tsv' group by all"""))
    # The counts published in shared/data/README.md.
    assert loaded == independent == {
        (True, None): 66_110, (True, "u"): 6_345, (True, "b"): 225,
        (False, None): 6_103, (False, "u"): 5_277,
    }
    assert rows(con, """select distinct freq, dataset from official.eurostat_observations
                        where source_file = 'lfst_r_lfu3rt.tsv'""") == [("A", "lfst_r_lfu3rt")]


def test_une_rt_m_every_row_against_the_csv_module(shared_data: Path, con) -> None:
    with (shared_data / "eurostat" / "une_rt_m.csv").open(encoding="utf-8", newline="") as f:
        source = list(csv.DictReader(f))
    loaded = {
        (geo_label, age, period): (value, flags, period_start, freq)
        for geo_label, age, period, value, flags, period_start, freq in rows(con, """
            select geo_label, json_extract_string(dimensions, '$.age'), period, value, flags,
                   period_start, freq
            from official.eurostat_observations where source_file = 'une_rt_m.csv'""")
    }
    assert len(loaded) == len(source) == 2_691
    for row in source:
        value, flags, period_start, freq = loaded[(row["geo"], row["age"], row["TIME_PERIOD"])]
        assert value == float(row["OBS_VALUE"])
        assert flags == (row["OBS_FLAG"] or None)
        assert (period_start.isoformat()[:7], freq) == (row["TIME_PERIOD"], "M")
    assert sum(row["OBS_FLAG"] == "b" for row in source) == 5
    assert scalar(con, "select count(*) from official.eurostat_observations "
                       "where source_file = 'une_rt_m.csv' and flags = 'b'") == 5
    assert scalar(con, "select source_updated_on from official.imports "
                       "where file_name = 'une_rt_m.csv'").isoformat() == "2026-03-04"


def test_jvs_values_against_the_csv_module(shared_data: Path, con) -> None:
    path = shared_data / "eurostat" / "jvs_q_nace2_page_linear_2_0.csv"
    with path.open(encoding="utf-8", newline="") as f:
        source = {row["TIME_PERIOD"]: row for row in csv.DictReader(f)}
    loaded = rows(con, """select period, value, flags, geo, freq
                          from official.eurostat_observations
                          where source_file = 'jvs_q_nace2_page_linear_2_0.csv'""")
    assert len(loaded) == len(source) == 70
    for period, value, flags, geo, freq in loaded:
        assert (value, flags) == (float(source[period]["OBS_VALUE"]),
                                  source[period]["OBS_FLAG"] or None)
        assert (geo, freq) == ("LU", "Q")


def test_flag_code_list(shared_data: Path, con) -> None:
    text = (shared_data / "eurostat" / "codelist_obs_flag.tsv").read_text(encoding="utf-8")
    source = dict(line.split("\t") for line in text.splitlines() if line)
    assert dict(rows(con, "select flag, label from official.eurostat_flags")) == source


# -- BMO: secrecy stays null with its flag ------------------------------------------------------

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


def test_bmo_secret_cells_are_null_with_a_flag(con, bmo_raw) -> None:
    loaded = {
        row[:3]: row[3:]
        for row in rows(con, """
            select bmo_code, basin_code, departement_code,
                   n_projects, is_secret_projects, n_projects_difficult, is_secret_difficult,
                   n_projects_seasonal, is_secret_seasonal
            from official.bmo""")
    }
    assert len(loaded) == len(bmo_raw) == 50_076
    n_secret = dict.fromkeys(BMO_COUNTS, 0)
    for raw in bmo_raw:
        basin = f"{int(raw['BE25']):04d}"
        # Grain: occupation x employment area x département (an area can span two).
        got = loaded[(raw["Code métier BMO"], basin, str(raw["Dept"]))]
        for i, source in enumerate(BMO_COUNTS):
            count, is_secret = got[2 * i], got[2 * i + 1]
            if raw[source] == "*":
                n_secret[source] += 1
                assert (count, is_secret) == (None, True)
            else:
                assert (count, is_secret) == (int(raw[source]), False)
    assert n_secret == {"met": 11_452, "xmet": 21_720, "smet": 36_972}
    for count, secret in BMO_COUNTS.values():
        assert scalar(con, f"select count(*) from official.bmo where {secret} "
                           f"and {count} is not null") == 0


# -- classifications ----------------------------------------------------------------------------

def test_classification_counts(con) -> None:
    assert rows(con, "select level, count(*) from official.isco_groups group by 1 order by 1") \
        == [(1, 10), (2, 43), (3, 130), (4, 436)]
    assert scalar(con, "select count(*) from official.isco_groups where label_fr is null") == 0
    assert scalar(con, "select count(*) from official.isco_groups where isco_code = '0110'") == 1
    assert scalar(con, "select count(*) from official.esco_occupations "
                       "where label_en is null or label_fr is null") == 0
    assert rows(con, "select level, count(*) from official.nace group by 1 order by 1") \
        == [(1, 21), (2, 88), (3, 272), (4, 615)]
    assert scalar(con, "select count(distinct nace_code) from official.nace") == 996
    assert scalar(con, "select count(*) from official.nace "
                       "where nace_code in ('10.2', '10.20', '01', '01.1', '01.11')") == 5
    # NAF -> NACE: every sub-class lands on a level-4 NACE class.
    assert scalar(con, """select count(*) from official.naf as f
                          left join official.nace as n on n.nace_code = f.nace_code and n.level = 4
                          where n.nace_code is null""") == 0
    assert scalar(con, "select count(distinct rome_code) from official.rome_codes") == 1_584
    assert scalar(con, "select count(distinct code_ogr) from official.rome_appellations") \
        == 13_120


def test_nuts_regions_and_geometry(con) -> None:
    assert rows(con, """select level, geometry_kind, scale, n_features from official.nuts_geometry
                        where source_file = 'NUTS_RG_60M_2021_4326.geojson' order by level""") \
        == [(0, "regions", "60M", 37), (1, "regions", "60M", 125), (2, "regions", "60M", 334),
            (3, "regions", "60M", 1_514)]
    assert rows(con, """select geometry_kind, n_features from official.nuts_geometry
                        where source_file = 'NUTS_LB_2021_4326_LEVL_2.geojson'""") \
        == [("label_points", 334)]
    collection = json.loads(scalar(con, """
        select cast(geojson as varchar) from official.nuts_geometry
        where source_file = 'NUTS_RG_20M_2021_4326_LEVL_2.geojson'"""))
    assert collection["type"] == "FeatureCollection"
    assert {f["properties"]["LEVL_CODE"] for f in collection["features"]} == {2}
    assert len(collection["features"]) == 333


def test_nuts_2010_codes_are_reported_unmatched(con) -> None:
    unmatched = {
        geo: reason for geo, reason in rows(con, """
            select geo, reason from official.nuts_unmatched
            where source_file = 'lfst_r_lfu3rt.tsv'""")
    }
    assert "FR21" in unmatched and "NUTS 2021" in unmatched["FR21"]
    assert "DE1" not in unmatched and "FR10" not in unmatched
    assert "no such country" in unmatched["EU28"]
    # une_rt_m's 27 countries and jvs's Luxembourg are all NUTS 2021 countries.
    assert scalar(con, "select count(*) from official.nuts_unmatched "
                       "where source_file <> 'lfst_r_lfu3rt.tsv'") == 0
    n_observations = scalar(con, "select n_observations from official.nuts_unmatched "
                                 "where geo = 'FR21'")
    assert n_observations == 12 * 15  # 4 ages x 3 sexes x 15 years


# -- re-imports, replacements and failures -------------------------------------------------------

def test_reimport_of_the_same_content_is_skipped(shared_data: Path, con) -> None:
    before = rows(con, "select table_name, sum(n_rows) from official.imports group by 1 order by 1")
    outcomes = official.import_files(
        con, [shared_data / "eurostat" / "une_rt_m.csv",
              shared_data / "nace" / "NACE_REV2_20221103_144244.csv"], run_id="run-2")
    assert [o.outcome for o in outcomes] == ["skipped_duplicate", "skipped_duplicate"]
    assert "une_rt_m.csv" in outcomes[0].detail
    after = rows(con, "select table_name, sum(n_rows) from official.imports group by 1 order by 1")
    assert after == before
    assert scalar(con, "select count(*) from official.eurostat_observations") == \
        2_691 + 70 + 84_060


@pytest.fixture
def small_db(tmp_path: Path):
    con = connect_build(tmp_path / "build.duckdb")
    yield con
    con.close()


def test_a_new_version_replaces_the_rows_of_its_file(shared_data: Path, tmp_path: Path,
                                                     small_db) -> None:
    source = shared_data / "eurostat" / "jvs_q_nace2_page_linear_2_0.csv"
    copy = tmp_path / "in" / source.name
    copy.parent.mkdir()
    shutil.copyfile(source, copy)
    flags = shared_data / "eurostat" / "codelist_obs_flag.tsv"
    assert [o.outcome for o in official.import_files(small_db, [copy, flags], "v1")] == \
        ["loaded", "loaded"]
    # A corrected release: the first 10 observations only, 2008-Q1 revised from 2234.
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)[:11]
    assert ",2008-Q1,,2234," in lines[1]
    lines[1] = lines[1].replace(",2008-Q1,,2234,", ",2008-Q1,,2240,")
    copy.write_text("".join(lines), encoding="utf-8")
    outcome = official.import_files(small_db, [copy], "v2")[0]
    assert (outcome.outcome, outcome.n_rows) == ("replaced", 10)
    assert rows(small_db, """select count(*), min(run_id), max(run_id)
                             from official.eurostat_observations""") == [(10, "v2", "v2")]
    assert scalar(small_db, "select value from official.eurostat_observations "
                            "where period = '2008-Q1'") == 2240.0
    assert rows(small_db, "select file_name, n_rows, run_id from official.imports order by 1") \
        == [("codelist_obs_flag.tsv", 42, "v1"), (source.name, 10, "v2")]
    assert scalar(small_db, "select count(*) from official.eurostat_flags") == 42


def test_a_failed_load_leaves_the_previous_version(shared_data: Path, tmp_path: Path, small_db,
                                                   monkeypatch) -> None:
    copy = tmp_path / "une_rt_m.csv"
    shutil.copyfile(shared_data / "eurostat" / "une_rt_m.csv", copy)
    official.import_files(small_db, [copy], "v1")
    with copy.open("a", encoding="utf-8") as f:
        f.write('ESTAT:UNE_RT_M(1.0),04/03/26 11:00:00,Monthly,"Seasonally adjusted data, not '
                'calendar adjusted data",Less than 25 years,Percentage of population in the '
                'labour force,Total,Austria,2026-02,9.9,,\r\n')

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(wh_official.loading, "record_event", broken)
    with pytest.raises(RuntimeError):
        wh_official.load_official_file(
            small_db, official.prepare(copy, "eurostat_sdmx_csv", copy, None, "new-hash"), "v2")
    monkeypatch.undo()
    assert rows(small_db, "select count(*), max(run_id) from official.eurostat_observations") \
        == [(2_691, "v1")]
    assert rows(small_db, "select n_rows, run_id from official.imports") == [(2_691, "v1")]


def test_explicit_kind_must_match_the_content(shared_data: Path, small_db) -> None:
    outcome = official.import_files(
        small_db, [shared_data / "eurostat" / "une_rt_m.csv"], "r", kind="nace")[0]
    assert outcome.outcome == "rejected"
    assert outcome.detail == "une_rt_m.csv: expected a nace file; found a eurostat_sdmx_csv file"
    assert scalar(small_db, "select count(*) from official.imports") == 0
    with pytest.raises(ValueError, match="unknown kind"):
        official.import_files(small_db, [], "r", kind="excel")


def test_an_unrelated_file_gets_a_clear_error_naming_it(shared_data: Path, small_db) -> None:
    path = shared_data / "dares" / "tensions.csv"
    with pytest.raises(OfficialFileError, match=r"^tensions\.csv: expected one of the supported"):
        detect_official(path)
    outcome = official.import_files(small_db, [path], "r")[0]
    assert outcome.outcome == "rejected"
    assert outcome.detail.startswith("tensions.csv: expected one of the supported official")
    assert "eurostat_tsv" in outcome.detail and outcome.quarantined_to is None
    assert path.is_file(), "a file imported by path is never moved"
    assert rows(small_db, "select outcome, file_name from meta.file_events") == \
        [("rejected", "tensions.csv")]


def test_a_corrupted_landing_file_is_quarantined_while_the_others_load(
        shared_data: Path, tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "home")
    settings.ensure_dirs()
    landing = official.landing_dir(settings)
    landing.mkdir(parents=True)
    for name in ("eurostat/jvs_q_nace2_page_linear_2_0.csv", "nace/naf2008_liste_n5.csv"):
        shutil.copyfile(shared_data / name, landing / Path(name).name)
    # A bulk TSV damaged in transit: one cell is no longer 'value flag'.
    text = (shared_data / "eurostat" / "lfst_r_lfu3rt.tsv").read_text(encoding="utf-8")
    (landing / "lfst_r_lfu3rt.tsv").write_text(text.replace("9.4 b", "9,4 b", 1),
                                               encoding="utf-8")
    con = connect_build(settings.build_db)
    try:
        outcomes = {o.file_name: o for o in official.import_landing(con, settings, "run-q")}
        assert outcomes["jvs_q_nace2_page_linear_2_0.csv"].outcome == "loaded"
        assert outcomes["naf2008_liste_n5.csv"].outcome == "loaded"
        bad = outcomes["lfst_r_lfu3rt.tsv"]
        assert bad.outcome == "rejected"
        assert bad.detail.startswith("lfst_r_lfu3rt.tsv: expected cells like")
        assert "9,4 b" in bad.detail
        assert scalar(con, "select count(*) from official.eurostat_observations") == 70
        assert rows(con, "select outcome from meta.file_events where file_name = ?",
                    ["lfst_r_lfu3rt.tsv"]) == [("rejected",)]
    finally:
        con.close()
    assert not (landing / "lfst_r_lfu3rt.tsv").exists()
    moved = Path(bad.quarantined_to)
    assert moved.parent == official.quarantine_dir(settings) and moved.is_file()
    assert moved.name.endswith("__lfst_r_lfu3rt.tsv")
    report = json.loads(moved.with_name(moved.name + ".report.json").read_text(encoding="utf-8"))
    assert report["file"] == "lfst_r_lfu3rt.tsv"
    assert report["source"] == "official" and report["run_id"] == "run-q"
    assert report["quarantined_as"] == moved.name and len(report["content_hash"]) == 64
    assert report["reasons"][0]["message"] == bad.detail
    assert report["reasons"][0]["expected"].startswith("cells like")
    # The good files stay in landing/ and are skipped next time.
    assert sorted(p.name for p in official.discover(landing)) == \
        ["jvs_q_nace2_page_linear_2_0.csv", "naf2008_liste_n5.csv"]

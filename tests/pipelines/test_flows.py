"""The refresh flow end to end on a small generated demo, run through Prefect for real."""

from __future__ import annotations

import json
import shutil

import pytest

from pipelines.contracts import LOAD_ORDER
from pipelines.ingest import discover, ingest_landing
from warehouse.db import connect_build, connect_published


def counts(path) -> dict[str, int]:
    con = connect_published(path)
    try:
        return {s: con.execute(f"select count(*) from raw.{s}").fetchall()[0][0]
                for s in LOAD_ORDER}
    finally:
        con.close()


def test_refresh_loads_every_landed_file(demo_build):
    settings, result = demo_build
    landed = discover(settings.landing_dir)
    assert result["ingest"]["files_loaded"] == len(landed) > 4
    assert result["ingest"]["files_rejected"] == 0
    assert settings.published_db.exists()
    con = connect_published(settings.published_db)
    try:
        (is_synthetic, run_id), = con.execute(
            "select is_synthetic, refresh_run_id from meta.dataset").fetchall()
        assert is_synthetic is True and run_id == result["run_id"]
        statuses = con.execute("select status from meta.refresh_runs where run_id = ?",
                               [result["run_id"]]).fetchall()
        assert statuses == [("completed",)]
        # Every landed row arrived, with its lineage.
        n_landed = result["ingest"]["rows_loaded"]
        n_raw = sum(con.execute(f"select count(*) from raw.{s}").fetchall()[0][0]
                    for s in LOAD_ORDER)
        assert n_raw == n_landed
        assert con.execute("select count(*) from raw.interactions where _content_hash is null "
                           "or _run_id <> ?", [result["run_id"]]).fetchall() == [(0,)]
    finally:
        con.close()


def test_second_refresh_loads_nothing_twice(demo_build):
    from pipelines.flows import refresh_flow

    settings, _ = demo_build
    before = counts(settings.published_db)
    again = refresh_flow(home=str(settings.home))
    assert again["ingest"]["files_loaded"] == 0
    assert again["ingest"]["files_skipped"] == len(discover(settings.landing_dir))
    assert counts(settings.published_db) == before


AGENCIES = ("agency_code,agency_name,region_code,region_name\n"
            "A1,Paris Nord,FR1,Ile-de-France\nA2,Lyon,FRK,Auvergne-Rhone-Alpes\n")
JOBSEEKERS_HEADER = ("person_id,registered_on,birth_year,sex,education_level,agency_code,"
                     "support_tier,digital_skills,has_disability\n")


@pytest.fixture
def tiny_home(tmp_path, monkeypatch):
    from observatory.settings import load_settings

    monkeypatch.setenv("OBSERVATORY_PSEUDONYM_KEY", "test-key")
    settings = load_settings(tmp_path)
    settings.ensure_dirs()
    for source in ("agencies", "jobseekers"):
        (settings.landing_dir / source).mkdir()
    (settings.landing_dir / "agencies" / "agencies.csv").write_text(AGENCIES)
    (settings.landing_dir / "jobseekers" / "a_good.csv").write_text(
        JOBSEEKERS_HEADER + "P1,2024-01-10,1990,F,low,A1,guided,basic,false\n")
    (settings.landing_dir / "jobseekers" / "b_bad.csv").write_text(
        JOBSEEKERS_HEADER + "P2,2024-01-10,1990,F,low,A1,guided,basic,false\n"
        "P3,2024-01-11,1991,W,low,A1,guided,basic,false\n")
    return settings


def test_bad_row_goes_to_quarantine_and_the_rest_of_its_file_loads(tiny_home):
    con = connect_build(tiny_home.build_db)
    try:
        report = ingest_landing(con, tiny_home, "run-1")
        outcome = {o.file_name: (o.outcome, o.n_rows, o.n_quarantined) for o in report.outcomes}
        assert outcome == {"agencies.csv": ("loaded", 2, 0), "a_good.csv": ("loaded", 1, 0),
                           "b_bad.csv": ("loaded", 1, 1)}
        assert con.execute("select count(*) from raw.jobseekers").fetchall() == [(2,)]
        rows = con.execute("select file_name, line, reasons, status, quarantine_file "
                           "from meta.quarantined_rows").fetchall()
        assert [r[:4] for r in rows] == [("b_bad.csv", 3, ["sex: W is not an allowed code"], "open")]
    finally:
        con.close()
    # The raw row is kept as it was, beside the warehouse, never in it.
    [record] = [json.loads(line) for line in
                (tiny_home.quarantine_dir / rows[0][4]).read_text().splitlines()]
    assert record["raw"]["person_id"] == "P3" and record["raw"]["sex"] == "W"
    assert record["line"] == 3 and record["reasons"] == ["sex: W is not an allowed code"]


def test_file_missing_a_required_column_is_set_aside_whole(tiny_home):
    (tiny_home.landing_dir / "jobseekers" / "c_cols.csv").write_text(
        "person_id,registered_on,birth_year\nP9,2024-01-10,1990\n")
    con = connect_build(tiny_home.build_db)
    try:
        report = ingest_landing(con, tiny_home, "run-1")
        assert {o.file_name: o.outcome for o in report.outcomes}["c_cols.csv"] == "rejected"
        assert con.execute("select count(*) from raw.jobseekers where _source_file = 'c_cols.csv'"
                           ).fetchall() == [(0,)]
    finally:
        con.close()
    assert not (tiny_home.landing_dir / "jobseekers" / "c_cols.csv").exists()
    [moved] = (tiny_home.quarantine_dir / "jobseekers").glob("*__c_cols.csv")
    report = json.loads(moved.with_name(moved.name + ".report.json").read_text())
    assert report["file"] == "c_cols.csv"
    assert [r["check"] for r in report["reasons"]] == ["columns"]
    assert "required column(s) missing: sex, education_level" in report["reasons"][0]["detail"]


def test_corrected_file_replaces_its_previous_version(tiny_home):
    con = connect_build(tiny_home.build_db)
    try:
        ingest_landing(con, tiny_home, "run-1")
        (tiny_home.landing_dir / "jobseekers" / "a_good.csv").write_text(
            JOBSEEKERS_HEADER + "P1,2024-01-10,1990,F,low,A1,guided,basic,false\n"
            "P4,2024-02-10,1980,M,high,A2,intensive,none,true\n")
        report = ingest_landing(con, tiny_home, "run-2")
        assert {o.file_name: o.outcome for o in report.outcomes} == {
            "agencies.csv": "skipped_duplicate", "a_good.csv": "replaced",
            "b_bad.csv": "skipped_duplicate"}
        assert con.execute("select count(*) from raw.jobseekers where _source_file = 'a_good.csv'"
                           ).fetchall() == [(2,)]
    finally:
        con.close()


def test_same_content_under_another_name_is_skipped(tiny_home):
    shutil.copy(tiny_home.landing_dir / "agencies" / "agencies.csv",
                tiny_home.landing_dir / "agencies" / "agencies_copy.csv")
    con = connect_build(tiny_home.build_db)
    try:
        report = ingest_landing(con, tiny_home, "run-1")
        skipped = [o for o in report.outcomes if o.outcome == "skipped_duplicate"]
        assert [o.file_name for o in skipped] == ["agencies_copy.csv"]
        assert "agencies/agencies.csv" in skipped[0].detail
        assert con.execute("select count(*) from raw.agencies").fetchall() == [(2,)]
    finally:
        con.close()


def test_real_data_without_a_key_is_refused(tiny_home, monkeypatch):
    from observatory.settings import MissingKeyError

    monkeypatch.delenv("OBSERVATORY_PSEUDONYM_KEY")
    con = connect_build(tiny_home.build_db)
    try:
        with pytest.raises(MissingKeyError, match="OBSERVATORY_PSEUDONYM_KEY"):
            ingest_landing(con, tiny_home, "run-1")
        assert con.execute("select count(*) from meta.loaded_files").fetchall() == [(0,)]
    finally:
        con.close()

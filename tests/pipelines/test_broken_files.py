"""A corpus of real-world and broken exports: one case per named defect, outcome asserted exactly."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field

import pytest

from pipelines.ingest import ingest_landing
from warehouse.db import connect_build

AGENCY_HEADER = "agency_code,agency_name,region_code,region_name,latitude,longitude"
INTERACTION_HEADER = ("interaction_id,occurred_at,party_type,party_id,channel,direction,service,"
                      "agency_code,is_staff_assisted,duration_s")
JOBSEEKER_HEADER = ("person_id,registered_on,birth_year,sex,education_level,agency_code,"
                    "support_tier,digital_skills,has_disability")


def interaction(i: int, channel: str = "web", duration: str = "60", agency: str = "A1",
                when: str = "2024-03-04T10:00:00") -> str:
    return f"I{i},{when},jobseeker,P{i},{channel},inbound,registration,{agency},false,{duration}"


def csv(header: str, rows: list[str], sep: str = ",", eol: str = "\n") -> str:
    return eol.join([header.replace(",", sep), *[r.replace(",", sep) for r in rows]]) + eol


@dataclass
class Case:
    source: str
    files: dict[str, bytes]
    loaded: int                      # rows in raw.<source> afterwards
    quarantined: dict[int, list[str]] = field(default_factory=dict)  # line -> reasons
    outcome: str = "loaded"
    rejected_check: str | None = None
    duplicates: int = 0
    settings: str = ""               # observatory.toml
    mappings: str = ""               # mappings.toml
    check: tuple[str, object] | None = None  # (SQL, expected first row) on the build DB


GOOD3 = [interaction(1), interaction(2), interaction(3)]

CASES = {
    "utf-8 with BOM": Case("agencies", {"a.csv": b"\xef\xbb\xbf" + csv(
        AGENCY_HEADER, ["A1,Paris Nord,FR1,Île-de-France,48.9,2.35"]).encode()}, 1,
        check=("select region_name from raw.agencies", ("Île-de-France",))),
    "windows-1252": Case("agencies", {"a.csv": csv(
        AGENCY_HEADER, ["A1,Saint-Étienne,FRK,Auvergne-Rhône-Alpes,45.4,4.4"]).encode("cp1252")}, 1,
        check=("select agency_name, region_name from raw.agencies",
               ("Saint-Étienne", "Auvergne-Rhône-Alpes"))),
    "semicolon, decimal comma, CRLF": Case("agencies", {"a.csv": (
        AGENCY_HEADER.replace(",", ";") + "\r\nA1;Lille;FRE;Hauts-de-France;50,63;3,06\r\n").encode()},
        1, check=("select latitude, longitude, region_name from raw.agencies",
                  (50.63, 3.06, "Hauts-de-France"))),
    "tab-separated": Case("interactions", {"i.tsv": csv(INTERACTION_HEADER, GOOD3, sep="\t").encode()},
                          3),
    "dates as dd/mm/yyyy": Case("jobseekers", {"j.csv": csv(JOBSEEKER_HEADER, [
        "P1,10/01/2024,1990,F,low,A1,guided,basic,false",
        "P2,5/3/2024,1985,M,high,A1,guided,basic,non"]).encode()}, 2,
        check=("select list(registered_on order by _line)::varchar from raw.jobseekers",
               ("[2024-01-10, 2024-03-05]",))),
    "dd/mm/yyyy hh:mm timestamps": Case("interactions", {"i.csv": csv(
        INTERACTION_HEADER, [interaction(1, when="04/03/2024 10:30")]).encode()}, 1,
        check=("select strftime(occurred_at, '%Y-%m-%d %H:%M') from raw.interactions",
               ("2024-03-04 09:30",))),  # 10:30 in Paris, winter time
    "json lines": Case("agencies", {"a.jsonl": b'{"agency_code": "A1", "agency_name": "Nice", '
                                    b'"region_code": "FRL", "region_name": "PACA", "latitude": 43.7}\n'
                                    b'{"agency_code": "A2", "agency_name": "Metz", '
                                    b'"region_code": "FRF", "region_name": "Grand Est"}\n'}, 2),
    "gzipped csv": Case("interactions", {"i.csv.gz": gzip.compress(csv(INTERACTION_HEADER, GOOD3).encode(),
                                                                   mtime=0)}, 3),
    "PES codes through the mapping file": Case(
        "interactions", {"i.csv": csv(INTERACTION_HEADER, [
            interaction(1, "GUICHET"), interaction(2, "VISIO"), interaction(3, "Web")]).encode()},
        3, mappings='[channel]\nGUICHET = "agency"\nVISIO = "video"\n',
        check=("select list(channel order by interaction_id) from raw.interactions",
               (["agency", "video", "web"],))),
    "bad value": Case("jobseekers", {"j.csv": csv(JOBSEEKER_HEADER, [
        "P1,2024-01-10,19x0,F,low,A1,guided,basic,false",
        "P2,2024-01-10,1990,F,low,A1,guided,basic,false"]).encode()}, 1,
        {2: ["birth_year: not a valid int"]}),
    "unknown code": Case("interactions", {"i.csv": csv(INTERACTION_HEADER, [
        interaction(1), interaction(2, "PIGEON")]).encode()}, 1,
        {3: ["channel: PIGEON is not an allowed code"]}),
    "impossible date": Case("jobseekers", {"j.csv": csv(JOBSEEKER_HEADER, [
        "P1,2024-02-30,1990,F,low,A1,guided,basic,false"]).encode()}, 0,
        {2: ["registered_on: not a valid date"]}),
    "negative duration": Case("interactions", {"i.csv": csv(INTERACTION_HEADER, [
        interaction(1, duration="-5"), interaction(2)]).encode()}, 1,
        {2: ["duration_s: -5 is out of range (≥ 0)"]}),
    "missing required field": Case("interactions", {"i.csv": csv(INTERACTION_HEADER, [
        interaction(1, agency=""), interaction(2)]).encode()}, 1,
        {2: ["agency_code: required value is missing"]}),
    "every reason of a row": Case("interactions", {"i.csv": csv(INTERACTION_HEADER, [
        interaction(1, "PIGEON", "-1", "")]).encode()}, 0,
        {2: ["agency_code: required value is missing", "channel: PIGEON is not an allowed code",
             "duration_s: -1 is out of range (≥ 0)"]}),
    "occupation sought not in ISCO-08": Case("jobseekers", {"j.csv": csv(
        JOBSEEKER_HEADER + ",sought_isco08", [
            "P1,2024-01-10,1990,F,low,A1,guided,basic,false,5223",
            "P2,2024-01-10,1985,M,high,A1,guided,basic,false,9999",
            "P3,2024-01-10,1970,F,medium,A1,guided,basic,false,52",
            "P4,2024-01-10,1975,M,medium,A1,guided,basic,false,",
            "P5,2024-01-10,1980,F,low,A1,guided,basic,false,123"]).encode()}, 3,
        {3: ["sought_isco08: 9999 is not an allowed code"],
         6: ["sought_isco08: 123 is not an allowed code"]},
        check=("select list(sought_isco08 order by _line) from raw.jobseekers",
               (["5223", "52", None],))),
    "occupation sought in the PES's own codes": Case("jobseekers", {"j.csv": csv(
        JOBSEEKER_HEADER + ",sought_isco08", [
            "P1,2024-01-10,1990,F,low,A1,guided,basic,false,K2204",
            "P2,2024-01-10,1985,M,high,A1,guided,basic,false,M1805"]).encode()}, 2,
        mappings='[sought_isco08]\nK2204 = "9112"\nM1805 = "2512"\n',
        check=("select list(sought_isco08 order by _line) from raw.jobseekers",
               (["9112", "2512"],))),
    "unreadable file": Case("interactions", {"i.csv.gz": b"\x1f\x8b\x08 not really gzip"}, 0,
                            outcome="rejected", rejected_check="readable"),
    "missing required column": Case("interactions", {"i.csv": csv(
        INTERACTION_HEADER.replace("channel,", ""),
        [r.replace(",web", "") for r in GOOD3]).encode()}, 0, outcome="rejected",
        rejected_check="columns"),
    "encoding that does not decode": Case("agencies", {"a.csv": csv(
        AGENCY_HEADER, ["A1,Orléans,FRB,Centre-Val de Loire,47.9,1.9"]).encode("cp1252")}, 0,
        outcome="rejected", rejected_check="readable",
        settings='[sources.agencies]\nencoding = "utf-8"\n'),
    "same id twice in a file": Case("interactions", {"i.csv": csv(
        INTERACTION_HEADER, [interaction(1), interaction(2), interaction(1, "phone")]).encode()}, 2,
        duplicates=1, check=("select channel from raw.interactions where interaction_id = 'I1'",
                             ("web",))),
    "same id across files": Case("interactions", {
        "a.csv": csv(INTERACTION_HEADER, [interaction(1), interaction(2)]).encode(),
        "b.csv": csv(INTERACTION_HEADER, [interaction(2, "phone"), interaction(3)]).encode()}, 3,
        duplicates=1, check=("select kept_file, file_name, line from meta.duplicate_rows",
                             ("a.csv", "b.csv", 2))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_broken_file_corpus(tmp_path, monkeypatch, name):
    from observatory.settings import load_settings

    case = CASES[name]
    monkeypatch.setenv("OBSERVATORY_PSEUDONYM_KEY", "corpus-key")
    home = tmp_path / "home"
    (home / "landing" / case.source).mkdir(parents=True)
    if case.settings:
        (home / "observatory.toml").write_text(case.settings)
    if case.mappings:
        (home / "mappings.toml").write_text(case.mappings)
    for file_name, data in case.files.items():
        (home / "landing" / case.source / file_name).write_bytes(data)
    settings = load_settings(home)
    settings.ensure_dirs()
    con = connect_build(settings.build_db)
    try:
        report = ingest_landing(con, settings, "run-1")
        assert {o.outcome for o in report.outcomes} == {case.outcome}
        assert con.execute(f"select count(*) from raw.{case.source}").fetchall() == [(case.loaded,)]
        quarantined = con.execute("select line, reasons from meta.quarantined_rows order by line"
                                  ).fetchall()
        assert {line: sorted(reasons) for line, reasons in quarantined} == {
            line: sorted(reasons) for line, reasons in case.quarantined.items()}
        assert report.n_duplicates == case.duplicates
        if case.check:
            sql, expected = case.check
            assert con.execute(sql).fetchall()[0] == expected
    finally:
        con.close()
    if case.rejected_check:
        [report_file] = (settings.quarantine_dir / case.source).glob("*.report.json")
        body = json.loads(report_file.read_text())
        assert [r["check"] for r in body["reasons"]] == [case.rejected_check]
        assert body["file"] in case.files


def test_a_warehouse_from_before_the_occupation_sought_takes_new_files(tmp_path, monkeypatch):
    """raw.jobseekers created before sought_isco08 existed gets the column on the next
    connection: the rows loaded earlier keep an empty occupation, new files load beside them."""
    from observatory.settings import load_settings

    monkeypatch.setenv("OBSERVATORY_PSEUDONYM_KEY", "corpus-key")
    settings = load_settings(tmp_path / "home")
    settings.ensure_dirs()
    landing = settings.landing_dir / "jobseekers"
    landing.mkdir()
    con = connect_build(settings.build_db)
    con.execute("alter table raw.jobseekers drop column sought_isco08")  # as built before
    con.close()
    (landing / "old.csv").write_text(csv(JOBSEEKER_HEADER, [
        "P1,2024-01-10,1990,F,low,A1,guided,basic,false"]))
    (landing / "new.csv").write_text(csv(JOBSEEKER_HEADER + ",sought_isco08", [
        "P2,2024-02-10,1985,M,high,A1,guided,basic,false,2512"]))
    con = connect_build(settings.build_db)
    try:
        report = ingest_landing(con, settings, "run-1")
        assert {o.outcome for o in report.outcomes} == {"loaded"}
        rows = con.execute("select _source_file, sought_isco08 from raw.jobseekers "
                           "order by _source_file").fetchall()
    finally:
        con.close()
    assert rows == [("new.csv", "2512"), ("old.csv", None)]

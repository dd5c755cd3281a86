"""The ingest-official Prefect flow and `observatory import`, end to end on real files."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from observatory.settings import load_settings
from pipelines import official
from warehouse.db import OFFLINE

pytestmark = [pytest.mark.flow, pytest.mark.shared_data]

LANDED = {
    "eurostat/jvs_q_nace2_page_linear_2_0.csv": 70,
    "eurostat/codelist_obs_flag.tsv": 42,
    "geo/NUTS_RG_20M_2021_4326_LEVL_0.geojson": 37,
}
# A real labour-market file that is none of the supported kinds.
UNRELATED = "dares/part_femmes_un_an_demandeurs_emploi_A.csv"


def published_rows(settings, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(settings.published_db), read_only=True, config=OFFLINE)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def run_cli(argv: list[str]) -> int:
    """`observatory <argv>`: through the real CLI once `import` is wired into it."""
    from observatory import cli
    from observatory.import_cmd import add_import_parser

    try:
        cli.build_parser().parse_args(["import", "auto", "FILE"])
        wired = True
    except SystemExit:
        wired = False  # the lead has not wired `import` into observatory/cli.py yet
    if wired:
        return cli.main(argv)
    home_parent = argparse.ArgumentParser(add_help=False)
    home_parent.add_argument("--home", default=None)
    parser = argparse.ArgumentParser(prog="observatory", parents=[home_parent])
    add_import_parser(parser.add_subparsers(dest="command", required=True), home_parent)
    args = parser.parse_args(argv)
    return args.func(load_settings(args.home), args)


def test_flow_imports_landing_files_and_publishes_them(prefect_api, shared_data: Path,
                                                       tmp_path: Path) -> None:
    from pipelines.official import ingest_official_flow

    settings = load_settings(tmp_path / "home")
    settings.ensure_dirs()
    landing = official.landing_dir(settings)
    landing.mkdir(parents=True)
    for name in [*LANDED, UNRELATED]:
        shutil.copyfile(shared_data / name, landing / Path(name).name)

    result = ingest_official_flow(home=str(settings.home))

    assert (result["files_loaded"], result["files_skipped"], result["files_rejected"]) == (3, 0, 1)
    assert result["rows_loaded"] == sum(LANDED.values())
    # No PES files in this home: the models are not rebuilt, the official tables published.
    assert result["build"] is None and result["published"] == str(settings.published_db)
    assert published_rows(settings, """
        select file_name, n_rows, run_id = ? from official.imports order by file_name""",
        [result["run_id"]]) == sorted((Path(name).name, n, True) for name, n in LANDED.items())
    assert published_rows(settings, "select count(*), min(geo), min(freq) "
                                    "from official.eurostat_observations") == [(70, "LU", "Q")]
    assert published_rows(settings, "select count(*) from official.nuts_unmatched") == [(0,)]

    rejected = next(f for f in result["files"] if f["outcome"] == "rejected")
    assert rejected["detail"].startswith(f"{Path(UNRELATED).name}: expected one of the supported")
    moved = Path(rejected["quarantined_to"])
    assert moved.parent == official.quarantine_dir(settings) and moved.is_file()
    report = json.loads(moved.with_name(moved.name + ".report.json").read_text(encoding="utf-8"))
    assert report["reasons"][0]["message"] == rejected["detail"]
    assert not (landing / Path(UNRELATED).name).exists()

    again = ingest_official_flow(home=str(settings.home))
    assert (again["files_loaded"], again["files_skipped"], again["files_rejected"]) == (0, 3, 0)
    assert again["published"] is None, "nothing new: the snapshot is left as it is"
    assert published_rows(settings, "select count(*) from official.eurostat_observations") \
        == [(70,)]


def test_flow_rebuilds_the_models_when_pes_data_is_loaded(prefect_api, demo_home,
                                                          shared_data: Path,
                                                          tmp_path: Path) -> None:
    from pipelines.official import ingest_official_flow

    settings = load_settings(tmp_path / "home")
    settings.ensure_dirs()
    # The suite's small demo, loaded and built once per session, copied so it stays untouched.
    shutil.copyfile(demo_home.build_db, settings.build_db)

    result = ingest_official_flow(
        home=str(settings.home), paths=[str(shared_data / "eurostat" / "une_rt_m.csv")])

    assert result["files_loaded"] == 1 and result["has_pes_data"]
    assert "marts.mart_contacts_monthly" in result["build"]["models"]
    assert published_rows(settings, "select count(*) from official.eurostat_observations") \
        == [(2_691,)]
    assert published_rows(settings, "select refresh_run_id from meta.dataset") \
        == [(result["run_id"],)]
    assert published_rows(settings, "select count(*) > 0 from marts.mart_contacts_monthly") \
        == [(True,)]


def test_cli_import_prints_outcomes_and_fails_on_a_bad_file(prefect_api, shared_data: Path,
                                                            tmp_path: Path, capsys) -> None:
    home = tmp_path / "home"
    une = shared_data / "eurostat" / "une_rt_m.csv"

    assert run_cli(["import", "auto", str(une), "--home", str(home)]) == 0
    out = capsys.readouterr().out
    assert "loaded" in out and "une_rt_m.csv [eurostat_sdmx_csv] (2,691 rows)" in out
    settings = load_settings(home)
    assert published_rows(settings, "select count(*) from official.eurostat_observations "
                                    "where source_file = 'une_rt_m.csv'") == [(2_691,)]

    code = run_cli(["import", "nace", str(une), str(shared_data / UNRELATED),
                    "--home", str(home)])
    out = capsys.readouterr().out
    assert code == 2
    assert "une_rt_m.csv: expected a nace file; found a eurostat_sdmx_csv file" in out
    assert f"{Path(UNRELATED).name}: expected one of the supported official files" in out
    assert une.is_file() and (shared_data / UNRELATED).is_file(), "CLI files are never moved"
    assert not any(official.quarantine_dir(settings).glob("*"))

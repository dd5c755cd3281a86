"""The `observatory` command as an analyst uses it."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
import pytest

from observatory.cli import main
from warehouse.db import connect_published


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_status_json_reports_every_source(demo_home, capsys):
    code, out, _ = run(capsys, "status", "--json", "--home", str(demo_home.home))
    assert code == 0
    status = json.loads(out)
    con = connect_published(demo_home.published_db)
    try:
        for source, s in status["sources"].items():
            n_rows = con.execute(f"select count(*) from raw.{source}").fetchall()[0][0]
            n_files = con.execute("select count(distinct _source_file) from raw." + source
                                  ).fetchall()[0][0]
            assert (s["rows_loaded"], s["files_loaded"], s["files_rejected"]) == (n_rows, n_files, 0)
            assert s["last_loaded_at"]
    finally:
        con.close()
    assert status["last_refresh"]["status"] == "completed"
    assert status["validation"] and all(v["n_failed"] == 0 for v in status["validation"])
    assert status["dataset"]["is_synthetic"] is True


def test_status_text_is_readable(demo_home, capsys):
    code, out, _ = run(capsys, "status", "--home", str(demo_home.home))
    assert code == 0
    assert "interactions" in out and "[synthetic demo data]" in out and "passed" in out


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_sql_output_equals_the_warehouse(demo_home, capsys, fmt):
    query = ("select channel, sum(n_contacts) as n from marts.mart_contacts_monthly "
             "group by channel order by channel")
    code, out, _ = run(capsys, "sql", query, "--format", fmt, "--home", str(demo_home.home))
    assert code == 0
    con = connect_published(demo_home.published_db)
    expected = con.execute(query).fetchall()
    con.close()
    if fmt == "csv":
        got = [(r["channel"], int(r["n"])) for r in pl.read_csv(out.encode()).to_dicts()]
    else:
        got = [(r["channel"], int(r["n"])) for r in json.loads(out)]
    assert got == [(c, int(n)) for c, n in expected]


def test_sql_is_read_only_and_cannot_touch_files(demo_home, capsys):
    code, _, err = run(capsys, "sql", "delete from raw.agencies", "--home", str(demo_home.home))
    assert code == 2 and "read-only" in err
    code, _, err = run(capsys, "sql", "copy raw.agencies to '/tmp/leak.csv'",
                       "--home", str(demo_home.home))
    assert code == 2 and "disabled" in err


def test_sql_without_a_warehouse_says_what_to_do(tmp_path, capsys):
    code, _, err = run(capsys, "sql", "select 1", "--home", str(tmp_path))
    assert code == 2 and "observatory refresh" in err


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "observatory.cli", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for command in ("generate", "refresh", "serve", "status", "sql", "users"):
        assert command in out

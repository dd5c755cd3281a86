"""A build that breaks a model's grain rolls back whole; the published snapshot is untouched."""

import shutil

import duckdb
import pytest

from warehouse.build import MODELS_DIR, AuditError, build, publish
from warehouse.db import connect_build


def test_audit_failure_rolls_back_the_whole_build(demo_home, tmp_path):
    work = tmp_path / "build.duckdb"
    shutil.copyfile(demo_home.build_db, work)
    models = tmp_path / "models"
    shutil.copytree(MODELS_DIR, models)
    # Break the grain of the first mart: one row per contact instead of per cell.
    (models / "marts" / "mart_contacts_monthly.sql").write_text(
        "-- grain: broken on purpose\n-- key: channel\n-- materialized: table\n"
        "select channel, 1 as n from core.fct_interactions\n")
    con = connect_build(work)
    try:
        before = con.execute("select count(*), sum(n_contacts) from marts.mart_contacts_monthly"
                             ).fetchall()
        with pytest.raises(AuditError, match=r"key \(channel\) is not unique"):
            build(con, timezone="Europe/Paris", run_id="broken", models_dir=models)
        after = con.execute("select count(*), sum(n_contacts) from marts.mart_contacts_monthly"
                            ).fetchall()
        assert after == before
    finally:
        con.close()


def test_publish_swaps_the_file_atomically(tmp_path):
    build_db, published = tmp_path / "b.duckdb", tmp_path / "p.duckdb"
    for value in (1, 2):
        con = duckdb.connect(str(build_db))
        con.execute(f"create or replace table t as select {value} as v")
        con.close()
        reader = duckdb.connect(str(published), read_only=True) if published.exists() else None
        publish(build_db, published)
        if reader:
            # A reader opened before the swap keeps its consistent old snapshot...
            assert reader.execute("select v from t").fetchall() == [(value - 1,)]
            reader.close()
        # ...and a new reader sees the new one.
        con = duckdb.connect(str(published), read_only=True)
        assert con.execute("select v from t").fetchall() == [(value,)]
        con.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.duckdb", "p.duckdb"]

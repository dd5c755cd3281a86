"""Raw person, employer and counsellor identifiers never reach the warehouse."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polars as pl

from warehouse.db import connect_published

sys.path.insert(0, str(Path(__file__).parent / "warehouse"))
from recompute import read_source  # noqa: E402


def raw_identifiers(landing: Path) -> set[str]:
    ids: set[str] = set()
    for source, cols in {"jobseekers": ["person_id"], "vacancies": ["employer_id"],
                         "interactions": ["party_id", "counsellor_id"]}.items():
        frame = read_source(landing, source)
        for c in cols:
            ids |= set(frame[c].drop_nulls().cast(pl.String).to_list())
    return ids


def test_no_raw_identifier_in_any_table(demo_home):
    raw = raw_identifiers(demo_home.landing_dir)
    assert len(raw) > 1000
    con = connect_published(demo_home.published_db)
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'").fetchall()
        con.execute("create temp table raw_ids as select unnest(?) as v", [sorted(raw)])
        assert len(columns) > 50
        for schema, table, column in columns:
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}" in '
                "(select v from raw_ids)").fetchall()[0][0]
            assert hits == 0, f"raw identifiers in {schema}.{table}.{column}"
    finally:
        con.close()


def test_no_raw_identifier_in_the_database_bytes(demo_home):
    raw = raw_identifiers(demo_home.landing_dir)
    # Bit-packed integers hold runs like "C3284"; a raw id that short is found there by chance.
    assert min(map(len, raw)) >= 8
    pattern = re.compile(rb"[A-Z]\d{4,9}")
    for path in (demo_home.build_db, demo_home.published_db):
        tokens = {m.decode() for m in pattern.findall(path.read_bytes())}
        assert not (tokens & raw), f"{path.name} holds raw identifiers"


def test_no_raw_identifier_in_any_export(demo_home):
    """Every table as `observatory sql` exports it (CSV and JSON) is free of raw identifiers."""
    from observatory.analyst_sql import run_sql

    raw = raw_identifiers(demo_home.landing_dir)
    pattern = re.compile(r"[A-Z]\d{4,9}")
    con = connect_published(demo_home.published_db)
    try:
        tables = con.execute("select table_schema || '.' || table_name "
                             "from information_schema.tables").fetchall()
    finally:
        con.close()
    assert len(tables) > 20
    for (table,) in tables:
        for fmt in ("csv", "json"):
            text = run_sql(demo_home.published_db, f"select * from {table}", fmt)
            assert not (set(pattern.findall(text)) & raw), f"{table} ({fmt}) holds raw ids"

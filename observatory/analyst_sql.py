"""`observatory sql`: analysts' read-only SQL over the published snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl

from warehouse.db import OFFLINE

# Read-only, and no file system access: a query can read the warehouse, nothing else,
# and cannot write files, attach databases or load extensions.
ANALYST = OFFLINE | {"enable_external_access": False}


def query(published_db: Path, sql: str) -> pl.DataFrame:
    if not published_db.exists():
        raise FileNotFoundError(
            f"No published warehouse at {published_db}: run `observatory refresh` first.")
    con = duckdb.connect(str(published_db), read_only=True, config=ANALYST)
    try:
        con.execute("set TimeZone = 'UTC'")
        relation = con.sql(sql)
        # Statements without a result (e.g. SET) give no relation.
        return relation.pl() if relation is not None else pl.DataFrame()
    finally:
        con.close()


def run_sql(published_db: Path, sql: str, fmt: str = "table") -> str:
    frame = query(published_db, sql)
    if fmt == "csv":
        # CSV has no nested values: lists and structs (quarantine reasons, say) go as JSON text.
        nested = {c: pl.Series(c, [None if v is None else json.dumps(v, default=str, ensure_ascii=False)
                                   for v in frame[c].to_list()], dtype=pl.String)
                  for c, t in frame.schema.items() if t.is_nested()}
        binary = {c: pl.col(c).bin.encode("hex") for c, t in frame.schema.items() if t == pl.Binary}
        return frame.with_columns(**nested).with_columns(**binary).write_csv()
    if fmt == "json":
        return json.dumps(frame.to_dicts(), default=str, ensure_ascii=False, indent=1) + "\n"
    with pl.Config(tbl_rows=200, tbl_cols=-1, fmt_str_lengths=80, tbl_width_chars=200,
                   thousands_separator=False):
        return f"{frame}\n({frame.height:,} row(s))\n"

"""Write landed files into the raw layer: one transaction per file, with lineage."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.contracts import CONTRACTS


def arrow(frame: pl.DataFrame):
    """``frame`` as Arrow for DuckDB to scan, without converting Polars' string views."""
    return frame.to_arrow(compat_level=pl.CompatLevel.newest())


def previous_version(con: duckdb.DuckDBPyConnection, source: str, file_name: str) -> str | None:
    """The content hash loaded earlier under this source and file name, if any."""
    rows = con.execute(
        "select content_hash from meta.loaded_files where source = ? and file_name = ?",
        [source, file_name]).fetchall()
    return rows[0][0] if rows else None


def loaded_files(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each content loaded, by content hash: the ``source/file name`` it was loaded under."""
    return dict(con.execute("select content_hash, source || '/' || file_name "
                            "from meta.loaded_files").fetchall())


def known_codes(con: duckdb.DuckDBPyConnection, source: str, column: str,
                skip_files: list[str] | tuple[str, ...] = ()) -> set[str]:
    """The distinct values of ``column`` in raw.<source> (say, the agency codes loaded),
    leaving out the rows of the files named in ``skip_files``."""
    return {code for (code,) in con.execute(
        f"select distinct {column} from raw.{source} where {column} is not null "
        "and not list_contains(?::varchar[], _source_file)", [list(skip_files)]).fetchall()}


def pseudonym_lengths(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The length of one loaded pseudonym per pseudonymised column (``table.column``)."""
    lengths = {}
    for contract in CONTRACTS.values():
        for column in contract.pseudonymised:
            rows = con.execute(f"select length({column}) from raw.{contract.source} "
                               f"where {column} is not null limit 1").fetchall()
            if rows:
                lengths[f"{contract.source}.{column}"] = rows[0][0]
    return lengths


def keys_loaded_elsewhere(con: duckdb.DuckDBPyConnection, source: str, frame: pl.DataFrame,
                          cols: list[str], skip_files: list[str] | tuple[str, ...] = (),
                          not_run: str | None = None) -> pl.DataFrame:
    """Which keys (columns ``cols``) of ``frame`` raw.<source> already holds, with the first
    file holding each, leaving out the rows of the files named in ``skip_files`` and, when
    given, the rows loaded by the run ``not_run``."""
    con.register("incoming_keys", arrow(frame).select(cols))
    try:
        on = " and ".join(f"r.{c} = k.{c}" for c in cols)
        found = con.sql(
            f"select k.*, min(r._source_file) as kept_file from incoming_keys as k "
            f"join raw.{source} as r on {on} and r._run_id is distinct from $run "
            f"and not list_contains($skip::varchar[], r._source_file) group by all",
            params={"skip": list(skip_files), "run": not_run}).to_arrow_table()
        schema = {**{c: frame.schema[c] for c in cols}, "kept_file": pl.String}
        # Mostly nothing: an empty answer is built without waiting for Polars' threads, which
        # are busy checking the next files.
        if found.num_rows == 0:
            return pl.DataFrame(schema=schema)
        return pl.from_arrow(found).cast(schema)
    finally:
        con.unregister("incoming_keys")


def load_file(
    con: duckdb.DuckDBPyConnection, *, source: str, file_name: str, content_hash: str,
    frame: pl.DataFrame, run_id: str, is_synthetic: bool, validation: list[dict],
    quarantined: list[dict] | None = None, quarantine_file: str | None = None,
    duplicates: list[dict] | None = None, append: bool = False,
    replayed: list[str] | None = None, still_open: dict[str, list[str]] | None = None,
) -> str:
    """Load one typed, pseudonymised frame; a corrected file replaces its previous version.

    Everything (rows, lineage, quarantined-row records, duplicates, validation results, the
    file event) commits together or not at all, so a process killed mid-load leaves the
    warehouse as it was. ``append`` adds rows to a file already loaded (quarantine replay):
    ``replayed`` quarantine ids are then resolved, ``still_open`` ones get their new reasons.
    """
    contract = CONTRACTS[source]
    now = datetime.now(UTC)
    incoming = arrow(frame).select(contract.names + ["_line"])  # in Arrow: no Polars threads
    old_hash = None if append else previous_version(con, source, file_name)
    con.begin()
    try:
        if old_hash is not None:
            con.execute(f"delete from raw.{source} where _source_file = ?", [file_name])
            con.execute("delete from meta.loaded_files where content_hash = ?", [old_hash])
            con.execute("update meta.quarantined_rows set status = 'superseded', "
                        "resolved_run_id = ?, resolved_at = ? where source = ? and "
                        "file_name = ? and status = 'open'", [run_id, now, source, file_name])
        con.register("incoming", incoming)
        # The lineage, the same for every row of the file, is added by DuckDB.
        con.execute(f"insert into raw.{source} by name select *, $file as _source_file, "
                    "$hash as _content_hash, $now as _loaded_at, $run as _run_id from incoming",
                    {"file": file_name, "hash": content_hash, "now": now, "run": run_id})
        con.unregister("incoming")
        _hold_for_crash_test()
        if not append:
            con.execute(
                "insert into meta.loaded_files values (?, ?, ?, ?, ?, ?, ?)",
                [content_hash, source, file_name, frame.height, is_synthetic, now, run_id])
        if quarantined:
            insert_rows(con, "meta.quarantined_rows", pl.DataFrame({
                "quarantine_id": [q["quarantine_id"] for q in quarantined],
                "line": [q["line"] for q in quarantined],
                "reasons": [q["reasons"] for q in quarantined],
            }, schema={"quarantine_id": pl.String, "line": pl.Int64,
                       "reasons": pl.List(pl.String)}).with_columns(
                source=pl.lit(source), file_name=pl.lit(file_name),
                content_hash=pl.lit(content_hash), quarantine_file=pl.lit(quarantine_file),
                run_id=pl.lit(run_id), quarantined_at=pl.lit(now), status=pl.lit("open")))
        if replayed:
            con.executemany("update meta.quarantined_rows set status = 'replayed', "
                            "resolved_run_id = ?, resolved_at = ? where quarantine_id = ?",
                            [[run_id, now, q] for q in replayed])
        if still_open:
            con.executemany("update meta.quarantined_rows set reasons = ? where quarantine_id = ?",
                            [[reasons, q] for q, reasons in still_open.items()])
        if duplicates:
            insert_rows(con, "meta.duplicate_rows", pl.DataFrame(
                duplicates, schema={"line": pl.Int64, "key": pl.String, "kept_file": pl.String}
            ).with_columns(run_id=pl.lit(run_id), source=pl.lit(source),
                           file_name=pl.lit(file_name), detected_at=pl.lit(now)))
        outcome = "replayed" if append else ("replaced" if old_hash else "loaded")
        record_event(con, run_id=run_id, source=source, file_name=file_name,
                     content_hash=content_hash, outcome=outcome, n_rows=frame.height,
                     detail=f"replaces content {old_hash[:12]}" if old_hash else None,
                     n_quarantined=len(quarantined or []), n_duplicates=len(duplicates or []))
        record_validation(con, run_id=run_id, source=source, file_name=file_name,
                          content_hash=content_hash, outcomes=validation)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return outcome


def _hold_for_crash_test() -> None:
    """Fault injection for the SIGKILL test: park inside the open transaction.

    Only when OBSERVATORY_TEST_HOLD_LOAD names a marker file; the test waits for the marker,
    kills the process and checks the warehouse is exactly as before.
    """
    marker = os.environ.get("OBSERVATORY_TEST_HOLD_LOAD")
    if marker:
        Path(marker).touch()
        time.sleep(600)


def record_event(con, *, run_id, source, file_name, content_hash, outcome, n_rows, detail=None,
                 n_quarantined=0, n_duplicates=0):
    con.execute(
        "insert into meta.file_events (run_id, source, file_name, content_hash, outcome, n_rows, "
        "detail, occurred_at, n_quarantined, n_duplicates) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, source, file_name, content_hash, outcome, n_rows, detail, datetime.now(UTC),
         n_quarantined, n_duplicates])


def record_validation(con, *, run_id, source, file_name, content_hash, outcomes: list[dict]):
    if not outcomes:
        return
    # One statement, the outcomes as lists DuckDB unnests side by side.
    con.execute(
        "insert into meta.validation_results (run_id, source, file_name, content_hash, suite, "
        "expectation, column_name, success, unexpected_count, validated_at) "
        "select $run, $source, $file, $hash, unnest($suite::varchar[]), "
        "unnest($expectation::varchar[]), unnest($column::varchar[]), "
        "unnest($success::boolean[]), unnest($count::bigint[]), $now",
        {"run": run_id, "source": source, "file": file_name, "hash": content_hash,
         "suite": [o["suite"] for o in outcomes],
         "expectation": [o["expectation"] for o in outcomes],
         "column": [o["column"] for o in outcomes],
         "success": [o["success"] for o in outcomes],
         "count": [o["unexpected_count"] for o in outcomes], "now": datetime.now(UTC)})


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: pl.DataFrame) -> None:
    """Append ``rows`` to ``table`` by column name in one statement (not one per row)."""
    con.register("rows_to_insert", arrow(rows))
    try:
        con.execute(f"insert into {table} by name select * from rows_to_insert")
    finally:
        con.unregister("rows_to_insert")


def record_rejection(con, *, run_id, source, file_name, content_hash, reasons: list[dict],
                     validation: list[dict]):
    con.begin()
    try:
        record_event(con, run_id=run_id, source=source, file_name=file_name,
                     content_hash=content_hash, outcome="rejected", n_rows=0,
                     detail=json.dumps(reasons, ensure_ascii=False))
        if content_hash:
            record_validation(con, run_id=run_id, source=source, file_name=file_name,
                              content_hash=content_hash, outcomes=validation)
        con.commit()
    except BaseException:
        con.rollback()
        raise


def start_run(con, run_id: str, flow_run_id: str | None) -> None:
    con.execute("insert into meta.refresh_runs (run_id, flow_run_id, started_at, status) "
                "values (?, ?, ?, 'running')", [run_id, flow_run_id, datetime.now(UTC)])


def finish_run(con, run_id: str, *, status: str, n_files_loaded=0, n_files_skipped=0,
               n_files_rejected=0, n_rows_loaded=0, message: str | None = None) -> None:
    con.execute(
        "update meta.refresh_runs set finished_at = ?, status = ?, n_files_loaded = ?, "
        "n_files_skipped = ?, n_files_rejected = ?, n_rows_loaded = ?, message = ? "
        "where run_id = ?",
        [datetime.now(UTC), status, n_files_loaded, n_files_skipped, n_files_rejected,
         n_rows_loaded, message, run_id])

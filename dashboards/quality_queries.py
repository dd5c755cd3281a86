"""One function per question the Data quality page asks, over the meta tables of the snapshot.

The meta tables grow with the pipeline: a snapshot published before row-level quarantine has
no ``meta.quarantined_rows`` or ``meta.duplicate_rows`` and no ``n_quarantined`` column. Every
function here checks ``information_schema`` first and then answers with an empty frame of the
same schema (or null counts), so the page can say "not recorded yet" instead of failing.

Every value from a user reaches DuckDB as a bound parameter; table and column names in the SQL
come from the constants below, never from a request.

Only administrators may ask: every public function starts with ``require_operations()``, which
raises access.AccessDenied for anybody else (a 403 for a callback).
"""

from __future__ import annotations

import polars as pl

from dashboards.db import Warehouse
from observatory.access import require_operations
from pipelines.contracts import LOAD_ORDER

TABLES = ("refresh_runs", "file_events", "validation_results", "quarantined_rows",
          "duplicate_rows")
# meta.file_events outcomes; a 'skipped_duplicate' of content already loaded under the same
# name is only the refresh seeing a landed file again.
OUTCOMES = ("loaded", "replaced", "replayed", "skipped_duplicate", "rejected")
QUARANTINE_STATUSES = ("open", "replayed", "superseded")

RUNS_SCHEMA = {
    "run_id": pl.String, "started_at": pl.Datetime("us", "UTC"),
    "finished_at": pl.Datetime("us", "UTC"), "status": pl.String, "n_files_loaded": pl.Int64,
    "n_files_skipped": pl.Int64, "n_files_rejected": pl.Int64, "n_rows_loaded": pl.Int64,
    "n_rows_quarantined": pl.Int64, "n_duplicates": pl.Int64, "message": pl.String,
}
FILES_SCHEMA = {
    "run_id": pl.String, "source": pl.String, "file_name": pl.String,
    "content_hash": pl.String, "outcome": pl.String, "n_rows": pl.Int64,
    "n_quarantined": pl.Int64, "n_duplicates": pl.Int64, "detail": pl.String,
    "occurred_at": pl.Datetime("us", "UTC"),
}
REASONS_SCHEMA = {"source": pl.String, "reason": pl.String, "n_rows": pl.Int64,
                  "n_files": pl.Int64}
FAILED = pl.Struct({"expectation": pl.String, "column_name": pl.String,
                    "unexpected_count": pl.Int64})
VALIDATION_SCHEMA = {
    "source": pl.String, "file_name": pl.String, "content_hash": pl.String, "suite": pl.String,
    "validated_at": pl.Datetime("us", "UTC"), "n_expectations": pl.Int64, "n_failed": pl.Int64,
    "failed": pl.List(FAILED),
}
TOTALS_SCHEMA = {"source": pl.String, "n_rows_open": pl.Int64, "n_rows_replayed": pl.Int64,
                 "n_rows_superseded": pl.Int64, "n_files_open": pl.Int64,
                 "n_duplicates": pl.Int64}


def recorded(wh: Warehouse) -> dict[str, frozenset[str]]:
    """The meta tables of TABLES present in the snapshot, with their columns."""
    require_operations()
    df = wh.frame("""
        SELECT table_name, list(column_name) AS columns
        FROM information_schema.columns
        WHERE table_schema = 'meta' AND table_name IN (SELECT unnest($tables))
        GROUP BY table_name""", {"tables": list(TABLES)})
    return {name: frozenset(columns) for name, columns in df.iter_rows()}


def _columns(wh: Warehouse, table: str) -> frozenset[str]:
    return recorded(wh).get(table, frozenset())


def _empty(schema: dict) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def _count_or_null(columns: frozenset[str], column: str, alias: str | None = None) -> str:
    """``column`` where the table has it, else a typed null (an older snapshot)."""
    return (f"{column}" if column in columns else "NULL::BIGINT") + f" AS {alias or column}"


def _filters(source: str | None, run_id: str | None, prefix: str = ""
             ) -> tuple[list[str], dict[str, object]]:
    clauses, params = [], {}
    if source is not None:
        clauses.append(f"{prefix}source = $source")
        params["source"] = source
    if run_id is not None:
        clauses.append(f"{prefix}run_id = $run_id")
        params["run_id"] = run_id
    return clauses, params


def _where(clauses: list[str]) -> str:
    return ("WHERE " + " AND ".join(clauses)) if clauses else ""


# -- choices for the filters -----------------------------------------------------------------

def sources(wh: Warehouse) -> list[str]:
    """Every source with a file event, a validation or a quarantined row: PES sources in load
    order, then the others ('official', ...) by name."""
    require_operations()
    present = recorded(wh)
    parts = [f"SELECT DISTINCT source FROM meta.{t}" for t in
             ("file_events", "validation_results", "quarantined_rows") if t in present]
    if not parts:
        return []
    found = set(wh.frame(" UNION ".join(parts))["source"].to_list())
    return [s for s in LOAD_ORDER if s in found] + sorted(found - set(LOAD_ORDER))


def run_choices(wh: Warehouse, limit: int = 50) -> pl.DataFrame:
    """Runs to filter on, newest first: run_id, started_at, status.

    Refresh runs, and runs that only left file events (an `observatory import`, say).
    """
    require_operations()
    present = recorded(wh)
    parts = []
    if "refresh_runs" in present:
        parts.append("SELECT run_id, started_at, status FROM meta.refresh_runs")
    if "file_events" in present:
        known = ("WHERE run_id NOT IN (SELECT run_id FROM meta.refresh_runs)"
                 if "refresh_runs" in present else "")
        parts.append(f"""SELECT run_id, min(occurred_at) AS started_at, NULL AS status
                         FROM meta.file_events {known} GROUP BY run_id""")
    if not parts:
        return _empty({"run_id": pl.String, "started_at": pl.Datetime("us", "UTC"),
                       "status": pl.String})
    return wh.frame(f"""
        SELECT run_id, started_at, status FROM ({" UNION ALL ".join(parts)})
        ORDER BY started_at DESC, run_id LIMIT $limit""", {"limit": limit})


# -- the questions ---------------------------------------------------------------------------

def recent_runs(wh: Warehouse, limit: int = 10) -> pl.DataFrame:
    """The latest refresh runs, newest first, with the rows their files sent to quarantine
    and the duplicates they reported (null where the snapshot predates those counts)."""
    require_operations()
    present = recorded(wh)
    if "refresh_runs" not in present:
        return _empty(RUNS_SCHEMA)
    events = present.get("file_events", frozenset())
    if {"n_quarantined", "n_duplicates"} <= events:
        counts = """LEFT JOIN (
            SELECT run_id, sum(n_quarantined)::BIGINT AS n_rows_quarantined,
                   sum(n_duplicates)::BIGINT AS n_duplicates
            FROM meta.file_events GROUP BY run_id) AS e USING (run_id)"""
        quarantined = "coalesce(e.n_rows_quarantined, 0) AS n_rows_quarantined, " \
                      "coalesce(e.n_duplicates, 0) AS n_duplicates"
    else:
        counts, quarantined = "", "NULL::BIGINT AS n_rows_quarantined, " \
                                  "NULL::BIGINT AS n_duplicates"
    return wh.frame(f"""
        SELECT r.run_id, r.started_at, r.finished_at, r.status, r.n_files_loaded,
               r.n_files_skipped, r.n_files_rejected, r.n_rows_loaded, {quarantined}, r.message
        FROM meta.refresh_runs AS r {counts}
        ORDER BY r.started_at DESC, r.run_id LIMIT $limit""", {"limit": limit}
    ).cast(RUNS_SCHEMA)


def file_outcomes(wh: Warehouse, run_id: str | None = None, source: str | None = None
                  ) -> pl.DataFrame:
    """What happened to each file, newest first.

    With ``run_id``: every file event of that run. Without: each file's latest outcome, where
    a refresh merely seeing again a file it had loaded (same name, same content) and a replay
    of its quarantined rows are not new outcomes.
    """
    require_operations()
    columns = _columns(wh, "file_events")
    if not columns:
        return _empty(FILES_SCHEMA)
    clauses, params = _filters(source, run_id)
    select = ("run_id, source, file_name, content_hash, outcome, n_rows, "
              f"{_count_or_null(columns, 'n_quarantined')}, "
              f"{_count_or_null(columns, 'n_duplicates')}, detail, occurred_at")
    if run_id is not None:
        return wh.frame(f"""
            SELECT {select} FROM meta.file_events {_where(clauses)}
            ORDER BY occurred_at DESC, source, file_name""", params).cast(FILES_SCHEMA)
    return wh.frame(f"""
        WITH events AS (SELECT {select} FROM meta.file_events {_where(clauses)}),
        loaded AS (
            SELECT DISTINCT source, file_name, content_hash FROM events
            WHERE outcome IN ('loaded', 'replaced'))
        SELECT * FROM events AS e
        WHERE e.outcome <> 'replayed'
          AND NOT (e.outcome = 'skipped_duplicate' AND EXISTS (
              SELECT 1 FROM loaded AS l
              WHERE l.source = e.source AND l.file_name = e.file_name
                AND l.content_hash = e.content_hash))
        QUALIFY row_number() OVER (PARTITION BY source, file_name
                                   ORDER BY occurred_at DESC) = 1
        ORDER BY occurred_at DESC, source, file_name""", params).cast(FILES_SCHEMA)


def top_quarantine_reasons(wh: Warehouse, source: str | None = None, limit: int = 10,
                           run_id: str | None = None) -> pl.DataFrame:
    """The reasons of the rows still in quarantine (status 'open'), most frequent first:
    source, reason, n_rows (rows giving that reason; a row may give several), n_files.

    ``run_id`` keeps the open rows that run set aside.
    """
    require_operations()
    if "quarantined_rows" not in recorded(wh):
        return _empty(REASONS_SCHEMA)
    clauses, params = _filters(source, run_id)
    clauses.append("status = 'open'")
    params["limit"] = limit
    return wh.frame(f"""
        SELECT source, reason, count(*)::BIGINT AS n_rows,
               count(DISTINCT file_name)::BIGINT AS n_files
        FROM (SELECT source, file_name, unnest(list_distinct(reasons)) AS reason
              FROM meta.quarantined_rows {_where(clauses)})
        GROUP BY source, reason
        ORDER BY n_rows DESC, source, reason
        LIMIT $limit""", params).cast(REASONS_SCHEMA)


def quarantine_totals(wh: Warehouse, source: str | None = None, run_id: str | None = None
                      ) -> pl.DataFrame:
    """Per source: quarantined rows by status, files with open rows, duplicates reported.

    Counts of a table the snapshot does not have yet are null, not zero.
    """
    require_operations()
    present = recorded(wh)
    has_rows, has_dups = "quarantined_rows" in present, "duplicate_rows" in present
    if not (has_rows or has_dups):
        return _empty(TOTALS_SCHEMA)
    clauses, params = _filters(source, run_id)
    rows = f"""SELECT source,
            count(*) FILTER (WHERE status = 'open') AS n_rows_open,
            count(*) FILTER (WHERE status = 'replayed') AS n_rows_replayed,
            count(*) FILTER (WHERE status = 'superseded') AS n_rows_superseded,
            count(DISTINCT file_name) FILTER (WHERE status = 'open') AS n_files_open
        FROM meta.quarantined_rows {_where(clauses)} GROUP BY source""" if has_rows else \
        """SELECT NULL::VARCHAR AS source, NULL::BIGINT AS n_rows_open,
                  NULL::BIGINT AS n_rows_replayed, NULL::BIGINT AS n_rows_superseded,
                  NULL::BIGINT AS n_files_open WHERE false"""
    dups = f"""SELECT source, count(*) AS n_duplicates FROM meta.duplicate_rows
        {_where(clauses)} GROUP BY source""" if has_dups else \
        "SELECT NULL::VARCHAR AS source, NULL::BIGINT AS n_duplicates WHERE false"
    zero_rows, zero_dups = ("0" if has_rows else "NULL"), ("0" if has_dups else "NULL")
    df = wh.frame(f"""
        SELECT coalesce(q.source, d.source) AS source,
               coalesce(q.n_rows_open, {zero_rows}) AS n_rows_open,
               coalesce(q.n_rows_replayed, {zero_rows}) AS n_rows_replayed,
               coalesce(q.n_rows_superseded, {zero_rows}) AS n_rows_superseded,
               coalesce(q.n_files_open, {zero_rows}) AS n_files_open,
               coalesce(d.n_duplicates, {zero_dups}) AS n_duplicates
        FROM ({rows}) AS q FULL OUTER JOIN ({dups}) AS d ON q.source = d.source""", params)
    order = {s: i for i, s in enumerate(LOAD_ORDER)}
    return (df.cast(TOTALS_SCHEMA)
            .sort(pl.col("source").replace_strict(order, default=len(order),
                                                  return_dtype=pl.Int64), "source"))


def validation_summary(wh: Warehouse, source: str | None = None, run_id: str | None = None
                       ) -> pl.DataFrame:
    """Per file, its latest validation (or the one ``run_id`` made): n_expectations, n_failed
    and the failed expectations; files with failures first."""
    require_operations()
    if "validation_results" not in recorded(wh):
        return _empty(VALIDATION_SCHEMA)
    clauses, params = _filters(source, run_id)
    return wh.frame(f"""
        WITH latest AS (
            SELECT * FROM meta.validation_results {_where(clauses)}
            QUALIFY validated_at = max(validated_at) OVER (PARTITION BY source, file_name))
        SELECT source, file_name, content_hash, suite, max(validated_at) AS validated_at,
               count(*)::BIGINT AS n_expectations,
               count(*) FILTER (WHERE NOT success)::BIGINT AS n_failed,
               coalesce(list({{'expectation': expectation, 'column_name': column_name,
                               'unexpected_count': unexpected_count}}
                              ORDER BY expectation, column_name) FILTER (WHERE NOT success),
                        []) AS failed
        FROM latest
        GROUP BY source, file_name, content_hash, suite
        ORDER BY n_failed DESC, source, file_name, suite""", params).cast(VALIDATION_SCHEMA)

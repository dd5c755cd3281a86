"""`observatory status`: what is loaded per source, the last refresh, the validation results."""

from __future__ import annotations

from pathlib import Path

import duckdb

from observatory.settings import Settings
from pipelines.contracts import LOAD_ORDER
from warehouse.db import OFFLINE


def open_for_reading(settings: Settings) -> tuple[duckdb.DuckDBPyConnection, str] | None:
    """The build database when no refresh holds it (it also knows of failed runs),
    else the published snapshot."""
    for path, label in ((settings.build_db, "build"), (settings.published_db, "published")):
        if not Path(path).exists():
            continue
        try:
            return duckdb.connect(str(path), read_only=True, config=OFFLINE), label
        except duckdb.IOException:  # locked by a running refresh
            continue
    return None


def _rows(con, sql: str, params=None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def collect_status(settings: Settings) -> dict:
    status: dict = {"home": str(settings.home), "published_db": str(settings.published_db),
                    "published": settings.published_db.exists()}
    opened = open_for_reading(settings)
    if opened is None:
        status.update(read_from=None, sources={}, last_refresh=None, validation=[])
        return status
    con, label = opened
    try:
        con.execute("set TimeZone = 'UTC'")
        status["read_from"] = label
        loaded = {r["source"]: r for r in _rows(con, """
            select source, count(*) as files_loaded, sum(n_rows) as rows_loaded,
                   max(loaded_at) as last_loaded_at
            from meta.loaded_files group by source""")}
        rejected = {r["source"]: r["n"] for r in _rows(con, """
            select source, count(distinct coalesce(content_hash, file_name)) as n
            from meta.file_events where outcome = 'rejected' group by source""")}
        quarantined = {r["source"]: r["n"] for r in _rows(con, """
            select source, count(*) as n from meta.quarantined_rows where status = 'open'
            group by source""")}
        duplicates = {r["source"]: r["n"] for r in _rows(con, """
            select source, count(*) as n from meta.duplicate_rows group by source""")}
        rows_in_raw = {s: con.execute(f"select count(*) from raw.{s}").fetchall()[0][0]
                       for s in LOAD_ORDER}
        status["sources"] = {
            source: {
                "files_loaded": int(loaded.get(source, {}).get("files_loaded") or 0),
                "rows_loaded": int(rows_in_raw[source]),
                "rows_quarantined": int(quarantined.get(source, 0)),
                "rows_duplicate": int(duplicates.get(source, 0)),
                "files_rejected": int(rejected.get(source, 0)),
                "last_loaded_at": loaded.get(source, {}).get("last_loaded_at"),
            }
            for source in LOAD_ORDER
        }
        runs = _rows(con, "select * from meta.refresh_runs order by started_at desc limit 1")
        status["last_refresh"] = runs[0] if runs else None
        status["validation"] = _rows(con, """
            with latest as (
                select source, file_name, content_hash, suite, max(validated_at) as validated_at
                from meta.validation_results
                group by all
            )
            select v.source, v.file_name, v.suite, l.validated_at,
                   count(*) as n_expectations,
                   count(*) filter (where not v.success) as n_failed,
                   list(v.expectation || coalesce(' on ' || v.column_name, '')
                        order by v.expectation) filter (where not v.success) as failed
            from meta.validation_results as v
            join latest as l using (source, file_name, content_hash, suite, validated_at)
            group by all
            order by l.validated_at desc, v.source, v.file_name
        """)
        dataset = _rows(con, "select * from meta.dataset") if _has_table(con, "meta", "dataset") \
            else []
        status["dataset"] = dataset[0] if dataset else None
    finally:
        con.close()
    return status


def _has_table(con, schema: str, name: str) -> bool:
    return bool(con.execute(
        "select 1 from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name]).fetchall())


def render_status(status: dict) -> str:
    lines = [f"PES Observatory home: {status['home']}"]
    if not status.get("read_from"):
        lines.append("Nothing loaded yet: run `observatory generate` then `observatory refresh`.")
        return "\n".join(lines)
    ds = status.get("dataset")
    if ds:
        lines.append(f"Published snapshot: data {ds['data_from']:%Y-%m} to {ds['data_to']:%Y-%m}, "
                     f"published {ds['published_at']:%Y-%m-%d %H:%M} UTC"
                     + ("  [synthetic demo data]" if ds["is_synthetic"] else ""))
    lines += ["", f"{'source':<14}{'files':>7}{'rows':>14}{'quarantined':>13}{'duplicates':>12}"
                  f"{'files rejected':>16}  last loaded (UTC)"]
    for source, s in status["sources"].items():
        last = f"{s['last_loaded_at']:%Y-%m-%d %H:%M}" if s["last_loaded_at"] else "-"
        lines.append(f"{source:<14}{s['files_loaded']:>7}{s['rows_loaded']:>14,}"
                     f"{s['rows_quarantined']:>13,}{s['rows_duplicate']:>12,}"
                     f"{s['files_rejected']:>16}  {last}")
    run = status.get("last_refresh")
    if run:
        lines += ["", f"Last refresh {run['run_id']}: {run['status']}, started "
                  f"{run['started_at']:%Y-%m-%d %H:%M:%S} UTC; files loaded "
                  f"{run['n_files_loaded']}, skipped {run['n_files_skipped']}, rejected "
                  f"{run['n_files_rejected']}" + (f"; {run['message']}" if run["message"] else "")]
    if status["validation"]:
        lines += ["", "Validation (latest per file):"]
        for v in status["validation"][:20]:
            verdict = "passed" if v["n_failed"] == 0 else f"FAILED {v['n_failed']}"
            lines.append(f"  {v['source']}/{v['file_name']}: {v['n_expectations']} expectations, "
                         f"{verdict}" + (f" ({'; '.join(v['failed'])})" if v["failed"] else ""))
        if len(status["validation"]) > 20:
            lines.append(f"  ... {len(status['validation']) - 20} more (see --json)")
    return "\n".join(lines)

"""What was set aside, and putting it back: `observatory quarantine list | show | replay`.

Rejected files sit in quarantine/<source>/ with a .report.json beside them. Quarantined rows
sit in quarantine/<source>/rows/*.jsonl, as they were read, with their reasons; the warehouse
records only their file, line, reasons and status (open, replayed, superseded).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from observatory.settings import Settings
from pipelines.contracts import CONTRACTS
from pipelines.ingest import (
    LandedFile,
    prepare_frame,
    set_aside_unknown_agencies,
    split_duplicates,
    validate_batch,
)
from pipelines.parse import LINE
from pipelines.pseudonymise import check_form
from pipelines.readers import FileFormat
from warehouse import loading


@dataclass
class ReplayReport:
    n_replayed: int = 0
    n_still_open: int = 0
    n_already_loaded: int = 0
    files: list[dict] = field(default_factory=list)


def rejected_files(settings: Settings) -> list[dict]:
    """Files set aside whole, from their reports."""
    out = []
    for report in sorted(settings.quarantine_dir.glob("*/*.report.json")):
        data = json.loads(report.read_text(encoding="utf-8"))
        out.append({"kind": "file", "source": data.get("source", report.parent.name),
                    "file": data["file"], "quarantined_as": report.name.removesuffix(".report.json"),
                    "rejected_at": data.get("rejected_at"),
                    "reasons": [r.get("message") or r.get("detail") for r in data["reasons"]]})
    return out


def row_batches(con: duckdb.DuckDBPyConnection, status: str | None = "open") -> list[dict]:
    """Quarantined rows grouped by the file they came from, with their commonest reasons."""
    rows = con.execute("""
        with r as (
            select source, file_name, quarantine_file, status, unnest(reasons) as reason
            from meta.quarantined_rows where $status is null or status = $status
        ), counts as (
            select source, file_name, quarantine_file, reason, count(*) as n from r group by all
        )
        select q.source, q.file_name, q.quarantine_file, count(*) as n_rows,
               min(q.quarantined_at) as quarantined_at,
               (select list(c.reason || ' (' || c.n || ')' order by c.n desc, c.reason)[1:3]
                from counts c where c.quarantine_file = q.quarantine_file) as top_reasons
        from meta.quarantined_rows q
        where $status is null or q.status = $status
        group by q.source, q.file_name, q.quarantine_file
        order by quarantined_at desc, q.source, q.file_name
    """, {"status": status}).fetchall()
    return [{"kind": "rows", "source": s, "file": f, "quarantine_file": qf, "n_rows": n,
             "quarantined_at": at, "top_reasons": reasons}
            for s, f, qf, n, at, reasons in rows]


def read_records(settings: Settings, quarantine_file: str) -> list[dict]:
    path = settings.quarantine_dir / quarantine_file
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def replay(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str,
           source: str | None = None, progress: Callable[[str], None] | None = None
           ) -> ReplayReport:
    """Re-ingest open quarantined rows with today's mappings and data.

    Rows that now pass are appended to their original file's rows (same lineage, same line);
    a row whose key is already loaded is resolved without loading it again; rows that still
    fail stay open with their new reasons. One transaction per quarantine file.
    """
    report = ReplayReport()
    open_rows = con.execute(
        "select quarantine_id, source, file_name, content_hash, quarantine_file "
        "from meta.quarantined_rows where status = 'open' and ($source is null or source = $source) "
        "order by source, file_name, line", {"source": source}).fetchall()
    if not open_rows:
        return report
    key = settings.pseudonym_key()
    check_form(loading.pseudonym_lengths(con))
    by_file: dict[str, list[tuple]] = {}
    for row in open_rows:
        by_file.setdefault(row[4], []).append(row)
    for qfile, rows in by_file.items():
        ids = {r[0] for r in rows}
        src, file_name, content_hash = rows[0][1], rows[0][2], rows[0][3]
        records = [r for r in read_records(settings, qfile) if r["quarantine_id"] in ids]
        contract = CONTRACTS[src]
        raw = pl.DataFrame(
            [{c: r["raw"].get(c) for c in r["raw"]} | {LINE: r["line"]} for r in records],
            schema={**{c: pl.String for c in records[0]["raw"]}, LINE: pl.Int64})
        fmt = FileFormat("csv", decimal=records[0]["format"]["decimal"],
                         dates=records[0]["format"]["dates"])
        checked = prepare_frame(raw, fmt, src, settings, key)
        checked.landed = LandedFile(src, Path(file_name), content_hash)
        if checked.frame is None:  # the record lost a required column: nothing to replay
            continue
        validate_batch([checked])
        id_of = {r["line"]: r["quarantine_id"] for r in records}
        good = checked.frame.filter(~pl.col(LINE).is_in(list(checked.row_reasons)))
        good = set_aside_unknown_agencies(con, checked, good)
        good, duplicates = split_duplicates(con, src, good)
        replayed = [id_of[line] for line in good[LINE].to_list()]
        already = [id_of[d["line"]] for d in duplicates]
        still_open = {id_of[line]: reasons for line, reasons in checked.row_reasons.items()}
        loading.load_file(
            con, source=src, file_name=file_name, content_hash=content_hash,
            frame=good.select(contract.names + [LINE]), run_id=run_id, is_synthetic=False,
            validation=checked.outcomes, duplicates=duplicates, append=True,
            replayed=replayed + already, still_open=still_open)
        report.n_replayed += len(replayed)
        report.n_already_loaded += len(already)
        report.n_still_open += len(still_open)
        report.files.append({"source": src, "file": file_name, "replayed": len(replayed),
                             "already_loaded": len(already), "still_open": len(still_open)})
        if progress:
            progress(f"{src}/{file_name}: {len(replayed)} row(s) loaded, {len(already)} already "
                     f"loaded, {len(still_open)} still failing")
    return report

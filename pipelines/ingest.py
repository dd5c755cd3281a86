"""Find landed files, check them against their contract, and load the good ones.

A file that breaks its contract is moved to quarantine/ with a JSON report beside it and
never half-loads; the other files of the batch still load.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from observatory.settings import Settings
from pipelines.contracts import CONTRACTS, LOAD_ORDER
from pipelines.parse import Problem, UnreadableFileError, coerce, missing_columns, read_landed
from pipelines.pseudonymise import pseudonymise
from warehouse import loading

SUFFIXES = (".csv", ".parquet")
SYNTHETIC_MANIFEST = "_synthetic.json"


@dataclass(frozen=True)
class LandedFile:
    source: str
    path: Path
    content_hash: str

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class FileOutcome:
    source: str
    file_name: str
    outcome: str  # loaded | replaced | skipped_duplicate | rejected
    n_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    detail: str | None = None


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, *outcomes: str) -> int:
        return sum(o.outcome in outcomes for o in self.outcomes)

    @property
    def n_rows_loaded(self) -> int:
        return sum(o.n_rows for o in self.outcomes if o.outcome in ("loaded", "replaced"))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def discover(landing_dir: Path) -> list[LandedFile]:
    """Landed files in load order: reference data first, then by file name."""
    found = []
    for source in LOAD_ORDER:
        folder = landing_dir / source
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lower() in SUFFIXES and not path.name.startswith("."):
                found.append(LandedFile(source, path, sha256_file(path)))
    return found


def synthetic_hashes(landing_dir: Path) -> set[str]:
    """Content hashes the demo generator vouches for as synthetic."""
    manifest = landing_dir / SYNTHETIC_MANIFEST
    if not manifest.exists():
        return set()
    return set(json.loads(manifest.read_text(encoding="utf-8")).get("files", {}).values())


# Files are validated together up to this many rows: GX costs most per run, not per row.
VALIDATION_BATCH_ROWS = 2_000_000


@dataclass
class CheckedFile:
    landed: LandedFile
    frame: pl.DataFrame | None  # typed and pseudonymised; None when unreadable
    problems: list[Problem]
    outcomes: list[dict]


def _prepare(landed: LandedFile, tz: str, key: bytes) -> CheckedFile:
    """Read, type and pseudonymise one file; file-level problems stop it here."""
    contract = CONTRACTS[landed.source]
    try:
        frame = read_landed(landed.path)
    except UnreadableFileError as exc:
        return CheckedFile(landed, None, [Problem("readable", None, 0, detail=str(exc))], [])
    missing = missing_columns(frame, contract)
    if missing:
        found = ", ".join(c for c in frame.columns if c != "_line")
        return CheckedFile(landed, None, [Problem(
            "columns", None, 0,
            detail=f"required column(s) missing: {', '.join(missing)}; found: {found}")], [])
    typed, problems = coerce(frame, contract, tz)
    return CheckedFile(landed, pseudonymise(typed, contract, key), problems, [])


def check_files(files: list[LandedFile], tz: str, key: bytes) -> Iterator[CheckedFile]:
    """Parse, type, pseudonymise and validate files of one source, in as few GX runs as fit.

    Yields each file once its batch is validated, so memory holds one batch at a time.
    """
    batch: list[CheckedFile] = []
    for landed in files:
        c = _prepare(landed, tz, key)
        if c.frame is None:
            yield c
            continue
        if batch and sum(b.frame.height for b in batch) + c.frame.height > VALIDATION_BATCH_ROWS:
            yield from _validate_batch(batch)
            batch = []
        batch.append(c)
    if batch:
        yield from _validate_batch(batch)


def _validate_batch(batch: list[CheckedFile]) -> list[CheckedFile]:
    from expectations.validate import FILE, validate_files  # GX is slow to import

    stacked = pl.concat([c.frame.with_columns(pl.lit(i).alias(FILE))
                         for i, c in enumerate(batch)])
    results = validate_files(stacked, batch[0].landed.source)
    for i, c in enumerate(batch):
        validation = results[i]
        c.outcomes = [
            {"suite": validation.suite, "expectation": o.expectation, "column": o.column,
             "success": o.success, "unexpected_count": o.unexpected_count}
            for o in validation.outcomes
        ]
        # A value that failed to parse also fails not-null: report it once, as a type error.
        typed_cols = {p.column for p in c.problems}
        c.problems += [p for p in validation.problems
                       if not (p.check == "expect_column_values_to_not_be_null"
                               and p.column in typed_cols)]
    return batch


def check_file(landed: LandedFile, tz: str, key: bytes):
    """One file on its own: (typed frame, problems, validation outcomes)."""
    c = next(check_files([landed], tz, key))
    return c.frame, c.problems, c.outcomes


def quarantine_file(settings: Settings, landed: LandedFile, run_id: str,
                    problems: list[Problem]) -> Path:
    """Move a rejected file out of landing/, with a JSON report beside it."""
    target_dir = settings.quarantine_dir / landed.source
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = target_dir / f"{stamp}__{landed.name}"
    shutil.move(landed.path, target)
    report = {
        "file": landed.name, "source": landed.source, "content_hash": landed.content_hash,
        "run_id": run_id, "rejected_at": datetime.now(UTC).isoformat(),
        "quarantined_as": target.name,
        "reasons": [p.as_dict() | {"message": p.describe()} for p in problems],
    }
    target.with_name(target.name + ".report.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return target


def skip_duplicate(con, landed: LandedFile, run_id: str, first: str) -> FileOutcome:
    detail = f"same content already loaded as {first}"
    loading.record_event(con, run_id=run_id, source=landed.source, file_name=landed.name,
                         content_hash=landed.content_hash, outcome="skipped_duplicate",
                         n_rows=0, detail=detail)
    return FileOutcome(landed.source, landed.name, "skipped_duplicate", detail=detail)


def settle(con, settings: Settings, c: CheckedFile, *, run_id: str,
           synthetic: set[str]) -> FileOutcome:
    """Load a checked file in one transaction, or set it aside whole with its report."""
    landed = c.landed
    if c.problems:
        quarantine_file(settings, landed, run_id, c.problems)
        loading.record_rejection(con, run_id=run_id, source=landed.source,
                                 file_name=landed.name, content_hash=landed.content_hash,
                                 reasons=[p.as_dict() for p in c.problems],
                                 validation=c.outcomes)
        return FileOutcome(landed.source, landed.name, "rejected", problems=c.problems,
                           detail="; ".join(p.describe() for p in c.problems))
    outcome = loading.load_file(
        con, source=landed.source, file_name=landed.name, content_hash=landed.content_hash,
        frame=c.frame, run_id=run_id, is_synthetic=landed.content_hash in synthetic,
        validation=c.outcomes)
    return FileOutcome(landed.source, landed.name, outcome, n_rows=c.frame.height)


def pseudonym_key_for(settings: Settings, files: list[LandedFile], synthetic: set[str]) -> bytes:
    """Demo data may create its own key; anything else needs a real one."""
    demo_only = bool(files) and all(f.content_hash in synthetic for f in files)
    return settings.pseudonym_key(create_for_demo=demo_only)


def ingest_landing(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str,
                   progress: Callable[[str], None] | None = None) -> IngestReport:
    report = IngestReport()
    files = discover(settings.landing_dir)
    synthetic = synthetic_hashes(settings.landing_dir)
    pending: list[LandedFile] = []
    seen: dict[str, str] = {}
    for landed in files:
        first = loading.is_loaded(con, landed.content_hash) or seen.get(landed.content_hash)
        if first:
            report.outcomes.append(skip_duplicate(con, landed, run_id, first))
        else:
            seen[landed.content_hash] = f"{landed.source}/{landed.name}"
            pending.append(landed)
    if not pending:
        return report
    key = pseudonym_key_for(settings, pending, synthetic)
    done = len(files) - len(pending)
    for source in LOAD_ORDER:
        group = [f for f in pending if f.source == source]
        if not group:
            continue
        if progress:
            progress(f"checking {len(group)} {source} file(s)")
        for c in check_files(group, settings.timezone, key):
            outcome = settle(con, settings, c, run_id=run_id, synthetic=synthetic)
            report.outcomes.append(outcome)
            done += 1
            if progress:
                progress(f"[{done}/{len(files)}] {source}/{c.landed.name}: {outcome.outcome}"
                         + (f" ({outcome.n_rows:,} rows)" if outcome.n_rows else "")
                         + (f" - {outcome.detail}" if outcome.outcome == "rejected" else ""))
    return report

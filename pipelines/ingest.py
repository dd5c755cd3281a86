"""Find landed files, check them against their contract, and load the good ones.

A file that breaks its contract is moved to quarantine/ with a JSON report beside it and
never half-loads; the other files of the batch still load.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

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


def check_file(landed: LandedFile, tz: str, key: bytes):
    """Parse, type, pseudonymise and validate one file. Returns (frame, problems, outcomes)."""
    from expectations.validate import validate  # GX is slow to import: only when ingesting

    contract = CONTRACTS[landed.source]
    frame = read_landed(landed.path)
    missing = missing_columns(frame, contract)
    if missing:
        return None, [Problem("columns", None, 0, detail=f"required column(s) missing: "
                              f"{', '.join(missing)}; found: {', '.join(frame.columns[1:])}")], []
    typed, problems = coerce(frame, contract, tz)
    typed = pseudonymise(typed, contract, key)
    validation = validate(typed, landed.source)
    outcomes = [
        {"suite": validation.suite, "expectation": o.expectation, "column": o.column,
         "success": o.success, "unexpected_count": o.unexpected_count}
        for o in validation.outcomes
    ]
    # A value that failed to parse also fails not-null; report it once, as the type error.
    typed_cols = {p.column for p in problems}
    problems += [p for p in validation.problems
                 if not (p.check == "expect_column_values_to_not_be_null" and p.column in typed_cols)]
    return typed, problems, outcomes


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


def ingest_file(con: duckdb.DuckDBPyConnection, settings: Settings, landed: LandedFile, *,
                run_id: str, key: bytes, synthetic: set[str]) -> FileOutcome:
    source, name = landed.source, landed.name
    if already := loading.is_loaded(con, landed.content_hash):
        detail = f"same content already loaded as {already}"
        loading.record_event(con, run_id=run_id, source=source, file_name=name,
                             content_hash=landed.content_hash, outcome="skipped_duplicate",
                             n_rows=0, detail=detail)
        return FileOutcome(source, name, "skipped_duplicate", detail=detail)
    try:
        typed, problems, outcomes = check_file(landed, settings.timezone, key)
    except UnreadableFileError as exc:
        typed, problems, outcomes = None, [Problem("readable", None, 0, detail=str(exc))], []
    if problems:
        quarantine_file(settings, landed, run_id, problems)
        loading.record_rejection(con, run_id=run_id, source=source, file_name=name,
                                 content_hash=landed.content_hash,
                                 reasons=[p.as_dict() for p in problems], validation=outcomes)
        return FileOutcome(source, name, "rejected", problems=problems,
                           detail="; ".join(p.describe() for p in problems))
    outcome = loading.load_file(
        con, source=source, file_name=name, content_hash=landed.content_hash, frame=typed,
        run_id=run_id, is_synthetic=landed.content_hash in synthetic, validation=outcomes)
    return FileOutcome(source, name, outcome, n_rows=typed.height)


def pseudonym_key_for(settings: Settings, files: list[LandedFile], synthetic: set[str]) -> bytes:
    """Demo data may create its own key; anything else needs a real one."""
    demo_only = bool(files) and all(f.content_hash in synthetic for f in files)
    return settings.pseudonym_key(create_for_demo=demo_only)


def ingest_landing(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str,
                   progress: Callable[[str], None] | None = None) -> IngestReport:
    report = IngestReport()
    files = discover(settings.landing_dir)
    synthetic = synthetic_hashes(settings.landing_dir)
    if not files:
        return report
    pending = [f for f in files if not loading.is_loaded(con, f.content_hash)]
    key = pseudonym_key_for(settings, pending, synthetic) if pending else b""
    for i, landed in enumerate(files, 1):
        outcome = ingest_file(con, settings, landed, run_id=run_id, key=key, synthetic=synthetic)
        report.outcomes.append(outcome)
        if progress:
            progress(f"[{i}/{len(files)}] {landed.source}/{landed.name}: {outcome.outcome}"
                     + (f" ({outcome.n_rows:,} rows)" if outcome.n_rows else "")
                     + (f" - {outcome.detail}" if outcome.outcome == "rejected" else ""))
    return report

"""Import official statistics and classifications: plain functions, then the Prefect flow.

Files come either from the command line (`observatory import <kind> FILE...`, never moved) or
from `landing/official/`, where a file that cannot be imported is moved to
`quarantine/official/` with a JSON report beside it. A bad file never stops the others.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from observatory.settings import Settings, load_settings
from pipelines.flows import _run_id, build_models, publish_snapshot
from pipelines.ingest import sha256_file
from pipelines.sources import nuts
from pipelines.sources.detect import (
    SUPPORTED_KINDS,
    OfficialFileError,
    detect_official,
    parse_official,
)
from warehouse import official as wh_official
from warehouse.db import connect_build

LANDING_SUBDIR = "official"
_ESCO_KINDS = ("esco_isco_groups", "esco_occupations")
_ESCO_NAME = re.compile(r"(.+)_([a-z]{2})\.csv")
_GISCO_SCALE = re.compile(r"_(\d+M)_")


@dataclass
class ImportOutcome:
    """What happened to one file of an import batch."""

    file_name: str
    path: str
    outcome: str  # loaded | replaced | skipped_duplicate | rejected
    kind: str | None = None
    n_rows: int = 0
    detail: str | None = None
    quarantined_to: str | None = None

    @property
    def is_failure(self) -> bool:
        return self.outcome == "rejected"

    def describe(self) -> str:
        rows = f" ({self.n_rows:,} rows)" if self.n_rows else ""
        kind = f" [{self.kind}]" if self.kind else ""
        detail = f": {self.detail}" if self.detail else ""
        moved = f" (moved to {self.quarantined_to})" if self.quarantined_to else ""
        return f"{self.file_name}{kind} {self.outcome}{rows}{detail}{moved}"


def landing_dir(settings: Settings) -> Path:
    return settings.landing_dir / LANDING_SUBDIR


def quarantine_dir(settings: Settings) -> Path:
    return settings.quarantine_dir / LANDING_SUBDIR


def discover(folder: Path) -> list[Path]:
    """Files waiting in landing/official/, by name (hidden files and reports ignored)."""
    if not folder.is_dir():
        return []
    return sorted(
        path for path in folder.iterdir()
        if path.is_file() and not path.name.startswith(".")
        and not path.name.endswith(".report.json")
    )


# -- one file ----------------------------------------------------------------------------------

def _esco_pair(path: Path) -> tuple[Path, Path | None]:
    """(English export, French export or None): the unit an ESCO file is imported as.

    The French export only contributes labels to the English one, so the pair is one import,
    named after the English file, whichever of the two was given.
    """
    match = _ESCO_NAME.fullmatch(path.name)
    if not match:
        return path, None
    english = path.with_name(f"{match.group(1)}_en.csv")
    french = path.with_name(f"{match.group(1)}_fr.csv")
    if not english.is_file():
        # parse_official refuses this with a message naming the file.
        return path, None
    return english, french if french.is_file() else None


def _unit(path: Path, kind: str) -> tuple[Path, Path | None, str]:
    """(file the rows are named after, companion file, content hash of what is imported)."""
    if kind not in _ESCO_KINDS:
        return path, None, sha256_file(path)
    english, french = _esco_pair(path)
    if french is None:
        return english, None, sha256_file(english)
    both = f"{sha256_file(english)}+{sha256_file(french)}"
    return english, french, hashlib.sha256(both.encode()).hexdigest()


def _sdmx_last_update(path: Path) -> date | None:
    """The 'LAST UPDATE' Eurostat stamps in SDMX-CSV 1.0 files (dd/mm/yy hh:mm:ss), if any."""
    try:
        first = pl.read_csv(path, n_rows=1, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError):
        return None
    if "LAST UPDATE" not in first.columns or first.height == 0:
        return None
    stamp = (first["LAST UPDATE"][0] or "").strip()
    for pattern in ("%d/%m/%y %H:%M:%S", "%d/%m/%y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"):
        try:
            return datetime.strptime(stamp, pattern).date()
        except ValueError:
            continue
    return None


def _split_levels(collection: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """One FeatureCollection per NUTS level, keeping the collection's other members (crs)."""
    by_level: dict[int, list] = {}
    for feature in collection["features"]:
        by_level.setdefault(int(feature["properties"]["LEVL_CODE"]), []).append(feature)
    head = {key: value for key, value in collection.items() if key != "features"}
    return {level: head | {"features": features} for level, features in by_level.items()}


def prepare(path: Path, kind: str, unit: Path, companion: Path | None,
            content_hash: str) -> wh_official.OfficialFile:
    """Parse one detected file into what the warehouse loads."""
    extra: dict[str, Any] = {}
    if kind == "nuts_geojson":
        frame, collection = nuts.read_nuts(path)
        frames = {"nuts": frame}
        geometry_types = {
            (feature.get("geometry") or {}).get("type") for feature in collection["features"]
        }
        scale = _GISCO_SCALE.search(path.name)
        extra = {
            "geometries": _split_levels(collection),
            "geometry_kind": "label_points" if geometry_types <= {"Point", "MultiPoint"}
            else "regions",
            "scale": scale.group(1) if scale else None,
        }
    else:
        frames = parse_official(path)
    if kind == "eurostat_sdmx_csv":
        extra["source_updated_on"] = _sdmx_last_update(path)
    return wh_official.OfficialFile(
        file_name=unit.name, kind=kind, content_hash=content_hash, frames=frames,
        companion_file=companion.name if companion else None, **extra)


def quarantine_file(path: Path, target_dir: Path, run_id: str, content_hash: str | None,
                    error: Exception) -> Path:
    """Move a refused file out of landing/official/, with a JSON report beside it."""
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = target_dir / f"{stamp}__{path.name}"
    shutil.move(path, target)
    message = str(error)
    reason = {
        "check": "official_file", "column": None, "n_rows": 0, "lines": [],
        "detail": message, "message": message,
        "expected": getattr(error, "expected", None), "found": getattr(error, "found", None),
    }
    report = {
        "file": path.name, "source": wh_official.EVENT_SOURCE, "content_hash": content_hash,
        "run_id": run_id, "rejected_at": datetime.now(UTC).isoformat(),
        "quarantined_as": target.name, "reasons": [reason],
    }
    target.with_name(target.name + ".report.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return target


def import_file(con: duckdb.DuckDBPyConnection, path: Path, run_id: str, *,
                kind: str | None = None, quarantine_to: Path | None = None) -> ImportOutcome:
    """Detect, check, parse and load one file; never raises for a bad file."""
    path = Path(path)
    outcome = ImportOutcome(file_name=path.name, path=str(path), outcome="rejected")
    content_hash = None
    try:
        detected = detect_official(path)
        outcome.kind = detected
        if kind is not None and detected != kind:
            raise OfficialFileError(path, f"a {kind} file", f"a {detected} file")
        unit, companion, content_hash = _unit(path, detected)
        if already := wh_official.loaded_as(con, content_hash):
            outcome.outcome = "skipped_duplicate"
            outcome.detail = f"same content already imported as {already}"
            wh_official.record_skipped(con, run_id=run_id, file_name=path.name,
                                       content_hash=content_hash, detail=outcome.detail)
            return outcome
        parsed = prepare(path, detected, unit, companion, content_hash)
        outcome.outcome = wh_official.load_official_file(con, parsed, run_id)
        outcome.n_rows = parsed.n_rows
        if unit != path or companion is not None:
            outcome.detail = (f"imported as {unit.name}"
                              + (f" with French labels from {companion.name}" if companion else ""))
        return outcome
    except Exception as error:  # a bad file must not stop the batch: it is reported instead
        if isinstance(error, OfficialFileError):
            message = str(error)
        else:
            first = str(error).splitlines()[0] if str(error) else ""
            message = f"{path.name}: could not be imported ({error.__class__.__name__}: {first})"
        outcome.outcome, outcome.detail = "rejected", message
        wh_official.record_rejected(con, run_id=run_id, file_name=path.name,
                                    content_hash=content_hash, detail=message)
        if quarantine_to is not None and path.is_file():
            outcome.quarantined_to = str(
                quarantine_file(path, quarantine_to, run_id, content_hash, error))
        return outcome


# -- a batch -----------------------------------------------------------------------------------

def import_files(con: duckdb.DuckDBPyConnection, paths: Iterable[str | Path], run_id: str,
                 kind: str | None = None, progress: Callable[[str], None] | None = None, *,
                 quarantine_to: Path | None = None) -> list[ImportOutcome]:
    """Import each file in its own transaction, then recompute the NUTS unmatched report.

    `kind` None (or 'auto') detects each file; otherwise a file of another kind is refused.
    Refused files are moved to `quarantine_to` only when it is given (landing files).
    """
    if kind == "auto":
        kind = None
    if kind is not None and kind not in SUPPORTED_KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected auto or one of {SUPPORTED_KINDS}")
    wh_official.ensure_schema(con)
    paths = [Path(p) for p in paths]
    outcomes = []
    for i, path in enumerate(paths, 1):
        outcome = import_file(con, path, run_id, kind=kind, quarantine_to=quarantine_to)
        outcomes.append(outcome)
        if progress:
            progress(f"[{i}/{len(paths)}] {outcome.describe()}")
    if any(o.outcome in ("loaded", "replaced") for o in outcomes):
        n_unmatched = wh_official.refresh_nuts_unmatched(con)
        if progress:
            progress(f"official.nuts_unmatched: {n_unmatched} geo code(s) not in NUTS "
                     f"{wh_official.REFERENCE_NUTS_VERSION}")
    return outcomes


def import_landing(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str,
                   progress: Callable[[str], None] | None = None) -> list[ImportOutcome]:
    """Import every file in landing/official/; refused ones go to quarantine/official/."""
    folder = landing_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    return import_files(con, discover(folder), run_id, progress=progress,
                        quarantine_to=quarantine_dir(settings))


def summarise(outcomes: list[ImportOutcome]) -> dict:
    return {
        "files": [asdict(o) for o in outcomes],
        "files_loaded": sum(o.outcome in ("loaded", "replaced") for o in outcomes),
        "files_skipped": sum(o.outcome == "skipped_duplicate" for o in outcomes),
        "files_rejected": sum(o.outcome == "rejected" for o in outcomes),
        "rows_loaded": sum(o.n_rows for o in outcomes if o.outcome in ("loaded", "replaced")),
    }


# -- Prefect -----------------------------------------------------------------------------------

@task(name="import-official-files", cache_policy=NO_CACHE)
def import_official_files(home: str | None, run_id: str, paths: list[str] | None,
                          kind: str | None) -> dict:
    settings = load_settings(home)
    settings.ensure_dirs()
    log = get_run_logger()
    started = time.perf_counter()
    con = connect_build(settings.build_db)
    try:
        if paths:
            outcomes = import_files(con, paths, run_id, kind, progress=log.info)
        else:
            outcomes = import_landing(con, settings, run_id, progress=log.info)
        has_pes_data = wh_official.has_pes_data(con)
        con.execute("checkpoint")
    finally:
        con.close()
    for o in outcomes:
        if o.is_failure:
            log.warning(o.describe())
    return summarise(outcomes) | {"has_pes_data": has_pes_data,
                                  "seconds": round(time.perf_counter() - started, 3)}


@flow(name="ingest-official", log_prints=True)
def ingest_official_flow(home: str | None = None, paths: list[str] | None = None,
                         kind: str | None = None) -> dict:
    """Import official files (given paths, else landing/official/), then rebuild and publish."""
    run_id = _run_id()
    result = import_official_files(home, run_id, paths, kind)
    result["run_id"] = run_id
    result["build"] = None
    result["published"] = None
    settings = load_settings(home)
    if result["files_loaded"] == 0 and settings.published_db.exists():
        return result  # nothing new: the published snapshot is already up to date
    if result["has_pes_data"]:
        result["build"] = build_models(home, run_id)
    else:
        # The SQL models audit that they are not empty, which they are without PES files; the
        # official tables need no model, so the snapshot is published with them alone.
        get_run_logger().info("no PES files loaded: models not rebuilt, official tables published")
    result["published"] = publish_snapshot(home)
    return result

"""Find landed files, check them against their contract, and load what is good.

- A row that breaks the contract goes to quarantine with every reason; the rest of its file
  loads. The raw row is kept under quarantine/ (like landing/, never in the warehouse).
- A file that cannot be read, lacks a required column or does not decode is moved to
  quarantine/ whole, with a JSON report beside it; the other files of the batch still load.
- A key seen twice (within a file or across files) is kept once and the repeat reported.
"""

from __future__ import annotations

import hashlib
import json
import queue
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from observatory.settings import Settings
from pipelines.contracts import CONTRACTS, LOAD_ORDER
from pipelines.parse import (
    FILE,
    LINE,
    Problem,
    UnreadableFileError,
    coerce_files,
    map_codes,
    missing_columns,
    read_landed,
)
from pipelines.pseudonymise import check_form, pseudonymise
from pipelines.readers import FileFormat
from warehouse import loading

SUFFIXES = (".csv", ".parquet", ".jsonl", ".ndjson", ".txt", ".tsv", ".gz")
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
    n_quarantined: int = 0
    n_duplicates: int = 0


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, *outcomes: str) -> int:
        return sum(o.outcome in outcomes for o in self.outcomes)

    @property
    def n_rows_loaded(self) -> int:
        return sum(o.n_rows for o in self.outcomes if o.outcome in ("loaded", "replaced"))

    @property
    def n_rows_quarantined(self) -> int:
        return sum(o.n_quarantined for o in self.outcomes)

    @property
    def n_duplicates(self) -> int:
        return sum(o.n_duplicates for o in self.outcomes)


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
                found.append((source, path))
    # hashlib lets go of the GIL on large buffers: two files are hashed at a time.
    with ThreadPoolExecutor(max_workers=2) as pool:
        hashes = list(pool.map(sha256_file, [path for _, path in found]))
    return [LandedFile(source, path, digest)
            for (source, path), digest in zip(found, hashes, strict=True)]


def synthetic_hashes(landing_dir: Path) -> set[str]:
    """Content hashes the demo generator vouches for as synthetic."""
    manifest = landing_dir / SYNTHETIC_MANIFEST
    if not manifest.exists():
        return set()
    return set(json.loads(manifest.read_text(encoding="utf-8")).get("files", {}).values())


# Files are validated together up to this many rows: a GX run has a fixed cost, so few big
# runs are cheaper; but the next batch is checked while this one loads, so batches small
# enough to overlap are faster in all. Memory holds about three batches.
VALIDATION_BATCH_ROWS = 300_000


@dataclass
class CheckedFile:
    landed: LandedFile
    frame: pl.DataFrame | None = None   # typed and pseudonymised; None when unreadable
    raw: pl.DataFrame | None = None     # as read, to keep quarantined rows as they were
    fmt: FileFormat | None = None
    problems: list[Problem] = field(default_factory=list)       # summary, for reports
    file_problems: list[Problem] = field(default_factory=list)  # set the whole file aside
    row_reasons: dict[int, list[str]] = field(default_factory=dict)  # line -> reasons
    outcomes: list[dict] = field(default_factory=list)
    good: pl.DataFrame | None = None   # the rows that passed, each key once (after validation)
    agency_codes: frozenset[str] | None = None  # the distinct agency codes of ``good``
    repeats: list[dict] = field(default_factory=list)  # keys repeated within the file


def prepare_frames(read: list[tuple[pl.DataFrame, FileFormat]], source: str,
                   settings: Settings, key: bytes) -> tuple[list[CheckedFile], pl.DataFrame | None]:
    """Map codes, type and pseudonymise frames read from files (or from quarantine).

    Files of one layout (columns, types, date and decimal format: a source's monthly exports)
    are typed together, which costs less than file by file. Returns each file checked so far,
    and the typed rows of those that could be typed, stacked with their number in ``_file``.
    """
    contract = CONTRACTS[source]
    checked = [CheckedFile(LandedFile(source, Path("-"), ""), raw=raw, fmt=fmt)
               for raw, fmt in read]
    layouts: dict[tuple, list[int]] = {}
    for number, c in enumerate(checked):
        missing = missing_columns(c.raw, contract)
        if missing:
            found = ", ".join(col for col in c.raw.columns if col != LINE)
            c.file_problems = [Problem("columns", None, 0, detail=(
                f"required column(s) missing: {', '.join(missing)}; found: {found}"))]
            c.problems = list(c.file_problems)
            continue
        layout = (c.fmt.decimal, c.fmt.dates, tuple(c.raw.schema.items()))
        layouts.setdefault(layout, []).append(number)
    typed_parts = []
    for numbers in layouts.values():
        # One contiguous copy: Polars would otherwise gather the CSV reader's many chunks
        # again in each step that reads a column.
        stacked = pl.concat([checked[n].raw.with_columns(pl.lit(n, pl.Int32).alias(FILE))
                             for n in numbers], rechunk=True)
        mapped = map_codes(stacked, contract, settings.code_mappings(source))
        typed, failures = coerce_files(mapped, contract, settings.timezone, checked[numbers[0]].fmt)
        typed_parts.append(pseudonymise(typed, contract, key))
        for n in numbers:
            checked[n].problems, checked[n].row_reasons = failures.get(n, ([], {}))
    if not typed_parts:
        return checked, None
    typed = pl.concat(typed_parts) if len(typed_parts) > 1 else typed_parts[0]
    for (number,), frame in typed.partition_by(FILE, as_dict=True, include_key=False).items():
        checked[number].frame = frame
    return checked, typed


def prepare_frame(raw: pl.DataFrame, fmt: FileFormat, source: str, settings: Settings,
                  key: bytes) -> CheckedFile:
    """``prepare_frames`` for one frame."""
    return prepare_frames([(raw, fmt)], source, settings, key)[0][0]


def prepared_batches(files: list[LandedFile], settings: Settings, key: bytes
                     ) -> Iterator[tuple[list[CheckedFile], pl.DataFrame | None]]:
    """Read, type and pseudonymise files of one source, a batch per GX run to come.

    Yields each batch with its typed rows stacked (an unreadable file as a batch of its own,
    without rows), so memory holds a few batches at a time. The first batch is a single file
    and each next one at most twice as many (up to VALIDATION_BATCH_ROWS rows): loading starts
    early, and the larger batches, cheaper per row to validate, follow.
    """
    batch: list[tuple[LandedFile, pl.DataFrame, FileFormat]] = []
    n_rows, limit = 0, 1
    for landed in files:
        try:
            raw, fmt = read_landed(landed.path, settings.source_format(landed.source))
        except UnreadableFileError as exc:
            problem = Problem("readable", None, 0, detail=f"{landed.name}: {exc}")
            yield [CheckedFile(landed, problems=[problem], file_problems=[problem])], None
            continue
        if batch and (len(batch) >= limit or n_rows + raw.height > VALIDATION_BATCH_ROWS):
            yield prepare_batch(batch, settings, key)
            batch, n_rows, limit = [], 0, limit * 2
        batch.append((landed, raw, fmt))
        n_rows += raw.height
    if batch:
        yield prepare_batch(batch, settings, key)


def prepare_batch(batch: list[tuple[LandedFile, pl.DataFrame, FileFormat]], settings: Settings,
                  key: bytes) -> tuple[list[CheckedFile], pl.DataFrame | None]:
    """``prepare_frames`` for files read from one source, each named after its file."""
    checked, typed = prepare_frames([(raw, fmt) for _, raw, fmt in batch],
                                    batch[0][0].source, settings, key)
    for c, (landed, _, _) in zip(checked, batch, strict=True):
        c.landed = landed
    return checked, typed


def check_batches(files: list[LandedFile], settings: Settings, key: bytes
                  ) -> Iterator[list[CheckedFile]]:
    """``prepared_batches``, each batch validated."""
    for checked, typed in prepared_batches(files, settings, key):
        yield validate_batch(checked, typed)


def validated_ahead(prepared: Iterator[tuple[list[CheckedFile], pl.DataFrame | None]],
                    screen: Callable[[list[CheckedFile]], None] | None = None
                    ) -> Iterator[list[CheckedFile]]:
    """Validate (and ``screen``) the batches of ``prepared`` while a thread prepares the next.

    Typing (Polars) lets go of the GIL, validating (GX, Python) mostly holds it: as two
    stages they keep both cores busy while the first batches load.
    """
    with closing(ahead(prepared, name="ingest-prepare")) as stream:
        for checked, typed in stream:
            batch = validate_batch(checked, typed)
            if screen is not None:
                screen(batch)
            yield batch


def check_files(files: list[LandedFile], settings: Settings, key: bytes) -> Iterator[CheckedFile]:
    """The files of ``check_batches``, one at a time."""
    for batch in check_batches(files, settings, key):
        yield from batch


_DONE = object()


def ahead(items: Iterator, name: str = "ingest-check") -> Iterator:
    """Yield the items of ``items`` while a thread already computes the next one.

    At most one finished item waits; an error in the thread is raised here, in the caller's
    thread. Closing this generator stops the thread, and closes ``items``.
    """
    waiting: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def offer(item) -> bool:
        """Hand ``item`` over unless the caller stopped listening."""
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work():
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_DONE)
        except BaseException as exc:  # handed over to the caller
            offer(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name=name, daemon=True)
    worker.start()
    try:
        while (item := waiting.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def checked_ahead(batches: Iterator[list[CheckedFile]]) -> Iterator[CheckedFile]:
    """Yield the files of ``batches`` while a thread already checks the next batch.

    Checking (Polars, GX) and loading (DuckDB, which lets go of the GIL) then share the two
    cores instead of taking turns.
    """
    with closing(ahead(batches)) as stream:
        for batch in stream:
            yield from batch


def validate_batch(batch: list[CheckedFile], typed: pl.DataFrame | None = None
                   ) -> list[CheckedFile]:
    """Run the source's suite once over the files of ``batch``, and keep each file's result.

    ``typed`` is their rows stacked as ``prepare_frames`` returns them (stacked here if not
    given). A file already set aside whole is left as it is.
    """
    numbers = [n for n, c in enumerate(batch) if c.frame is not None]
    if not numbers:
        return batch
    from expectations.validate import validate_files  # GX is slow to import
    if typed is None:
        typed = pl.concat([batch[n].frame.with_columns(pl.lit(n, pl.Int32).alias(FILE))
                           for n in numbers])
    results = validate_files(typed, batch[numbers[0]].landed.source)
    for n in numbers:
        c = batch[n]
        validation = results[n]
        c.outcomes = [
            {"suite": validation.suite, "expectation": o.expectation, "column": o.column,
             "success": o.success, "unexpected_count": o.unexpected_count}
            for o in validation.outcomes
        ]
        # A value that failed to parse is null, so it also fails not-null: say it once.
        typed_cols = {p.column for p in c.problems}
        c.problems += [p for p in validation.problems
                       if not (p.check == "expect_column_values_to_not_be_null"
                               and p.column in typed_cols)]
        c.file_problems += list(validation.file_problems)
        for line, reasons in validation.row_reasons.items():
            mine = c.row_reasons.setdefault(line, [])
            failed_type = {r.split(":")[0] for r in mine}
            mine += [r for r in reasons
                     if not (r.endswith("required value is missing")
                             and r.split(":")[0] in failed_type)]
        # Still in the checking thread: what needs no database is done here.
        good = c.frame.filter(~pl.col(LINE).is_in(list(c.row_reasons))) if c.row_reasons \
            else c.frame
        c.good, c.repeats = split_repeats(c.landed.source, good)
        if "agency_code" in c.good.columns:
            c.agency_codes = frozenset(c.good["agency_code"].drop_nulls().unique().to_list())
    return batch


def check_file(landed: LandedFile, settings: Settings, key: bytes) -> CheckedFile:
    """One file on its own: read, typed, pseudonymised, validated."""
    return next(check_files([landed], settings, key))


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


def split_repeats(source: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[dict]]:
    """Keep the first row of each key; report the repeats within the frame."""
    keys = list(CONTRACTS[source].key_columns)
    if not keys or frame.is_empty() or frame.select(keys).n_unique() == frame.height:
        return frame, []  # counting distinct keys is a fifth of the cost of keeping the first
    first = frame.unique(subset=keys, keep="first", maintain_order=True)
    repeats = frame.join(first.select(LINE), on=LINE, how="anti")
    return first, [{"line": r[LINE], "key": "|".join(str(r[k]) for k in keys),
                    "kept_file": "(same file)"} for r in repeats.iter_rows(named=True)]


def split_loaded_elsewhere(con, source: str, frame: pl.DataFrame
                           ) -> tuple[pl.DataFrame, list[dict]]:
    """Set aside the rows whose key a loaded file already holds, as on replay, reported with
    the file that keeps it."""
    keys = list(CONTRACTS[source].key_columns)
    if not keys or frame.is_empty():
        return frame, []
    elsewhere = loading.keys_loaded_elsewhere(con, source, frame, keys)
    if elsewhere.is_empty():
        return frame, []
    hit = frame.join(elsewhere, on=keys, how="inner")
    return (frame.join(elsewhere.select(keys), on=keys, how="anti"),
            [{"line": r[LINE], "key": "|".join(str(r[k]) for k in keys),
              "kept_file": r["kept_file"]} for r in hit.iter_rows(named=True)])


def split_duplicates(con, source: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[dict]]:
    """Keep the first row of each key; report repeats within the frame and rows whose key a
    loaded file already holds (quarantine replay)."""
    first, repeats = split_repeats(source, frame)
    kept, elsewhere = split_loaded_elsewhere(con, source, first)
    return kept, sorted(repeats + elsewhere, key=lambda d: d["line"])


class RunScreen:
    """What loading would otherwise ask the warehouse file by file, answered while checking.

    Sets aside the rows naming an agency no agencies file has, and the rows whose key another
    file keeps. Files are checked in the order they load, so the keys kept by the files
    checked before are those loaded before in this run: they are held here. Keys loaded by
    earlier runs are looked up once per batch (on a cursor of its own), leaving out the rows
    of the files this run corrects, which are about to go. Loading, the stage that sets the
    pace, is spared a join per file against the whole raw table.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, run_id: str,
                 corrected: set[tuple[str, str]]):
        self._run_id = run_id
        self._corrected = {source: sorted(name for src, name in corrected if src == source)
                           for source in CONTRACTS}
        self._earlier = {source: con.execute(
            f"select exists (select 1 from raw.{source} "
            "where not list_contains(?::varchar[], _source_file))",
            [self._corrected[source]]).fetchall()[0][0] for source in CONTRACTS}
        self._agencies = frozenset(loading.known_codes(con, "agencies", "agency_code",
                                                       self._corrected["agencies"]))
        # Per source: the keys kept in this run, with the number of the file keeping them, a
        # chunk per batch with each key column's lowest and highest value.
        self._kept: dict[str, list[tuple[pl.DataFrame, tuple | None]]] = {
            source: [] for source in CONTRACTS}
        self._names: dict[str, list[str]] = {source: [] for source in CONTRACTS}
        self._con = None
        if any(self._earlier.values()):
            (database,), = con.execute("select current_database()").fetchall()
            self._con = con.cursor()
            self._con.execute(f'use "{database}"')

    def close(self) -> None:
        if self._con is not None:
            self._con.close()

    def __call__(self, batch: list[CheckedFile]) -> None:
        files = [c for c in batch if c.good is not None and not c.file_problems]
        if not files:
            return
        source = files[0].landed.source
        for c in files:
            c.good = set_aside_unknown_agencies(None, c, c.good, self._agencies)
        keys = list(CONTRACTS[source].key_columns)
        if keys:
            self._set_aside_kept_elsewhere(source, keys, files)
            first = len(self._names[source])
            chunk = pl.concat([c.good.select(keys).with_columns(
                pl.lit(first + n, pl.Int32).alias(FILE)) for n, c in enumerate(files)])
            self._kept[source].append((chunk, _bounds(chunk, keys)))
            self._names[source] += [c.landed.name for c in files]
        if source == "agencies":
            self._agencies |= {code for c in files for code in c.good["agency_code"].to_list()
                               if code is not None}

    def _set_aside_kept_elsewhere(self, source: str, keys: list[str],
                                  files: list[CheckedFile]) -> None:
        """Move the rows whose key an earlier file keeps from each file's good rows to its
        repeats; an earlier file of the same batch counts too."""
        stacked = pl.concat([c.good.select(*keys, LINE, pl.lit(n, pl.Int32).alias(FILE))
                             for n, c in enumerate(files)])
        if stacked.select(keys).n_unique() == stacked.height:  # as mostly: counted cheaply
            before = self._kept_before(source, keys, stacked.select(keys))
            if before.is_empty():
                return
        first = stacked.unique(subset=keys, keep="first", maintain_order=True).select(
            *keys, pl.col(FILE).alias("_first"))
        names = pl.DataFrame({"_first": range(len(files)),
                              "_first_file": [c.landed.name for c in files]},
                             schema={"_first": pl.Int32, "_first_file": pl.String})
        hits = (stacked.join(first, on=keys, how="left")
                .join(self._kept_before(source, keys, first.select(keys)), on=keys, how="left")
                .join(names, on="_first", how="left")
                .filter(pl.col("kept_file").is_not_null() | (pl.col(FILE) != pl.col("_first")))
                .with_columns(pl.coalesce("kept_file", "_first_file").alias("kept_file")))
        for (number,), rows in hits.partition_by(FILE, as_dict=True).items():
            c = files[number]
            c.good = c.good.filter(~pl.col(LINE).is_in(rows[LINE].implode()))
            c.repeats = sorted(c.repeats + [
                {"line": r[LINE], "key": "|".join(str(r[k]) for k in keys),
                 "kept_file": r["kept_file"]} for r in rows.iter_rows(named=True)],
                key=lambda d: d["line"])

    def _kept_before(self, source: str, keys: list[str], wanted: pl.DataFrame) -> pl.DataFrame:
        """The keys of ``wanted`` kept by a file before this batch, with that file's name."""
        found = []
        # Only chunks whose key ranges overlap the batch's can hold one of its keys: with ids
        # that grow from file to file, as exports' mostly do, none is probed at all.
        bounds = _bounds(wanted, keys)
        near = [chunk for chunk, kept in self._kept[source] if _overlap(kept, bounds)]
        if near:
            names = pl.DataFrame({FILE: range(len(self._names[source])),
                                  "kept_file": self._names[source]},
                                 schema={FILE: pl.Int32, "kept_file": pl.String})
            # The batch is the smaller side: hashed once, the keys kept so far only probe it.
            found.append(wanted.join(pl.concat(near, rechunk=False), on=keys,
                                     how="inner", build_side="prefer_left")
                         .join(names, on=FILE, how="left").drop(FILE))
        if self._con is not None and self._earlier[source]:
            found.append(loading.keys_loaded_elsewhere(
                self._con, source, wanted, keys, self._corrected[source], not_run=self._run_id))
        if not found:
            return pl.DataFrame(schema=wanted.schema | {"kept_file": pl.String})
        return pl.concat(found).unique(subset=keys, keep="first", maintain_order=True)


def _bounds(frame: pl.DataFrame, keys: list[str]) -> tuple | None:
    """Each key column's lowest and highest value in ``frame``; None when it has no key."""
    if frame.is_empty():
        return None
    row = frame.select(*[pl.col(k).min().alias(f"min {k}") for k in keys],
                       *[pl.col(k).max().alias(f"max {k}") for k in keys]).row(0)
    if None in row:
        return None
    return tuple(zip(row[:len(keys)], row[len(keys):], strict=True))


def _overlap(a: tuple | None, b: tuple | None) -> bool:
    """Whether frames of key ranges ``a`` and ``b`` may share a key."""
    return a is not None and b is not None and all(
        lo_a <= hi_b and lo_b <= hi_a for (lo_a, hi_a), (lo_b, hi_b) in zip(a, b, strict=True))


def unknown_agencies(con, source: str, frame: pl.DataFrame,
                     known: frozenset[str] | None = None) -> dict[int, str]:
    """Lines (with their reason) naming an agency that no loaded agencies file has.

    Such a row has no region, and every figure is kept by region: it goes to quarantine,
    to be replayed once the agency is added. Until any agencies file is loaded there is
    nothing to check against, and no row is set aside for this.
    """
    if source == "agencies" or "agency_code" not in frame.columns or frame.is_empty():
        return {}
    if known is None:
        known = frozenset(loading.known_codes(con, "agencies", "agency_code"))
    if not known:
        return {}
    bad = frame.filter(pl.col("agency_code").is_not_null()
                       & ~pl.col("agency_code").is_in(sorted(known)))
    return {line: f"agency_code: {code} is not a known agency (add it to agencies, then replay)"
            for line, code in bad.select(LINE, "agency_code").iter_rows()}


def set_aside_unknown_agencies(con, c: CheckedFile, good: pl.DataFrame,
                               known: frozenset[str] | None = None) -> pl.DataFrame:
    """``good`` without the rows naming an unknown agency, which join c's row reasons.

    ``known`` is the agency codes loaded, when the caller has them already."""
    if known and c.agency_codes is not None and c.agency_codes <= known:
        return good  # known from the codes the checking thread listed, without a pass here
    unknown = unknown_agencies(con, c.landed.source, good, known)
    if not unknown:
        return good
    for line, reason in unknown.items():
        c.row_reasons.setdefault(line, []).append(reason)
    lines = sorted(unknown)
    c.problems.append(Problem("reference", "agency_code", len(lines), lines=tuple(lines[:10]),
                              detail="not a known agency"))
    return good.filter(~pl.col(LINE).is_in(lines))


def quarantine_rows(settings: Settings, c: CheckedFile, run_id: str,
                    stamp: str | None = None) -> tuple[list[dict], str | None]:
    """Write the failing rows, as they were read, with their reasons, to quarantine/."""
    if not c.row_reasons:
        return [], None
    source, name = c.landed.source, c.landed.name
    target_dir = settings.quarantine_dir / source / "rows"
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = stamp or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = target_dir / f"{stamp}__{name}.jsonl"
    lines = sorted(c.row_reasons)
    rows = (c.raw.filter(pl.col(LINE).is_in(lines))
            .with_columns(pl.exclude(LINE).cast(pl.String)).sort(LINE))
    records = []
    with open(target, "w", encoding="utf-8") as f:
        for row in rows.iter_rows(named=True):
            line = row.pop(LINE)
            record = {"quarantine_id": uuid.uuid4().hex, "source": source, "file": name,
                      "content_hash": c.landed.content_hash, "line": line,
                      "reasons": c.row_reasons[line], "raw": row,
                      "format": {"decimal": c.fmt.decimal, "dates": c.fmt.dates}}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            records.append(record)
    return records, str(target.relative_to(settings.quarantine_dir))


def settle(con, settings: Settings, c: CheckedFile, *, run_id: str,
           synthetic: set[str]) -> FileOutcome:
    """Load a checked and screened file in one transaction, its bad rows to quarantine; or
    set it aside."""
    landed = c.landed
    if c.file_problems:
        quarantine_file(settings, landed, run_id, c.file_problems)
        loading.record_rejection(con, run_id=run_id, source=landed.source,
                                 file_name=landed.name, content_hash=landed.content_hash,
                                 reasons=[p.as_dict() for p in c.file_problems],
                                 validation=c.outcomes)
        return FileOutcome(landed.source, landed.name, "rejected", problems=c.file_problems,
                           detail="; ".join(p.describe() for p in c.file_problems))
    good, duplicates = c.good, c.repeats
    quarantined, qfile = quarantine_rows(settings, c, run_id)
    try:
        outcome = loading.load_file(
            con, source=landed.source, file_name=landed.name, content_hash=landed.content_hash,
            frame=good, run_id=run_id, is_synthetic=landed.content_hash in synthetic,
            validation=c.outcomes, quarantined=quarantined, quarantine_file=qfile,
            duplicates=duplicates)
    except BaseException:
        if qfile:  # the load rolled back: its quarantine records must not outlive it
            (settings.quarantine_dir / qfile).unlink(missing_ok=True)
        raise
    detail = "; ".join(p.describe() for p in c.problems) if quarantined else None
    return FileOutcome(landed.source, landed.name, outcome, n_rows=good.height,
                       problems=c.problems, detail=detail, n_quarantined=len(quarantined),
                       n_duplicates=len(duplicates))


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
    loaded = loading.loaded_files(con)  # one query, not two per landed file
    for landed in files:
        first = loaded.get(landed.content_hash) or seen.get(landed.content_hash)
        if first:
            report.outcomes.append(skip_duplicate(con, landed, run_id, first))
        else:
            seen[landed.content_hash] = f"{landed.source}/{landed.name}"
            pending.append(landed)
    if not pending:
        return report
    key = pseudonym_key_for(settings, pending, synthetic)
    check_form(loading.pseudonym_lengths(con))
    named = {(source, name) for source, name in (where.split("/", 1) for where in loaded.values())}
    corrected = {(f.source, f.name) for f in pending if (f.source, f.name) in named}
    done = len(files) - len(pending)
    groups = [[f for f in pending if f.source == source] for source in LOAD_ORDER]
    # Agencies (reference data) first, so that facts find their agency in the same refresh;
    # then the largest source, so that loading, the longest stage, starts on the bulk while
    # the smaller sources are still checked.
    groups = [groups[0]] + sorted(groups[1:], key=lambda g: -sum(f.path.stat().st_size for f in g))
    groups = [group for group in groups if group]

    def every_batch() -> Iterator[tuple[list[CheckedFile], pl.DataFrame | None]]:
        # Checking reads the database through a cursor of its own (the screen): the next
        # source is checked while this one loads.
        for group in groups:
            yield from prepared_batches(group, settings, key)

    started: set[str] = set()
    with closing(RunScreen(con, run_id, corrected)) as screen, \
            closing(checked_ahead(validated_ahead(every_batch(), screen))) as checked:
        for c in checked:
            source = c.landed.source
            if progress and source not in started:
                started.add(source)
                progress(f"loading {sum(f.source == source for f in pending)} {source} file(s)")
            outcome = settle(con, settings, c, run_id=run_id, synthetic=synthetic)
            report.outcomes.append(outcome)
            done += 1
            if progress:
                progress(f"[{done}/{len(files)}] {source}/{c.landed.name}: {outcome.outcome}"
                         + (f" ({outcome.n_rows:,} rows)" if outcome.n_rows else "")
                         + (f", {outcome.n_quarantined:,} row(s) quarantined"
                            if outcome.n_quarantined else "")
                         + (f", {outcome.n_duplicates:,} duplicate(s) reported"
                            if outcome.n_duplicates else "")
                         + (f" - {outcome.detail}" if outcome.detail else ""))
    return report

"""Read landed files as real exports come: detect the format of each file on its own.

CSV (UTF-8, UTF-8 with BOM, Windows-1252, Latin-1; `,` `;` or tab; CRLF or LF), Parquet and
JSON Lines, each possibly gzipped. Settings may pin any of these per source where detection
would be ambiguous. CSV columns are read as text: typing happens in `pipelines.parse`.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

LINE = "_line"
FILE = "_file"  # which file of a batch checked together a row comes from
SEPARATORS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";"}
ENCODINGS = ("utf-8", "cp1252", "latin-1")


class UnreadableFileError(ValueError):
    """The file cannot be read as a table: its report says why."""


@dataclass(frozen=True)
class SourceFormat:
    """What a source's settings pin; "auto" means detect per file."""

    format: str = "auto"      # auto | csv | parquet | jsonl
    encoding: str = "auto"    # auto | utf-8 | cp1252 | latin-1
    separator: str = "auto"   # auto | , | ; | tab
    decimal: str = "auto"     # auto | . | ,
    dates: str = "auto"       # auto | iso | dmy (dd/mm/yyyy)

    @classmethod
    def from_settings(cls, values: dict) -> SourceFormat:
        known = {"format", "encoding", "separator", "decimal", "dates"}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown source format settings {sorted(unknown)}; known: {sorted(known)}")
        fmt = cls(**values)
        checks = {
            "format": ("auto", "csv", "parquet", "jsonl"),
            "encoding": ("auto", *ENCODINGS),
            "separator": ("auto", *SEPARATORS),
            "decimal": ("auto", ".", ","),
            "dates": ("auto", "iso", "dmy"),
        }
        for field, allowed in checks.items():
            if getattr(fmt, field) not in allowed:
                raise ValueError(f"{field} = {getattr(fmt, field)!r}; allowed: {', '.join(allowed)}")
        return fmt


@dataclass(frozen=True)
class FileFormat:
    """What was found in one file (for its report and for typing its values)."""

    kind: str
    gzipped: bool = False
    encoding: str | None = None
    separator: str | None = None
    decimal: str = "."
    dates: str = "auto"

    def describe(self) -> str:
        parts = [self.kind + (" (gzip)" if self.gzipped else "")]
        if self.encoding:
            parts.append(self.encoding)
        if self.separator:
            parts.append({"\t": "tab", ",": "comma", ";": "semicolon"}[self.separator] + "-separated")
        if self.decimal == ",":
            parts.append("decimal comma")
        return ", ".join(parts)


def _kind(data: bytes, name: str, pinned: str) -> str:
    if pinned != "auto":
        return pinned
    if data[:4] == b"PAR1":
        return "parquet"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] == b"{" or name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "csv"


def _decode(data: bytes, pinned: str) -> tuple[bytes, str]:
    """The file's bytes as UTF-8, and the encoding they were found in."""
    if data.startswith(b"\xef\xbb\xbf"):
        data[3:].decode("utf-8")  # raises if the rest is not UTF-8 after all
        return data[3:], "utf-8 (BOM)"
    candidates = ENCODINGS if pinned == "auto" else (pinned,)
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            last = exc
            continue
        return (data if encoding == "utf-8" else text.encode()), encoding
    raise UnreadableFileError(
        f"the bytes do not decode as {' or '.join(candidates)} "
        f"(byte 0x{data[last.start]:02x} at offset {last.start})")


def _separator(data: bytes, pinned: str) -> str:
    if pinned != "auto":
        return SEPARATORS[pinned]
    head = data[:65536].decode("utf-8", errors="ignore")
    lines = [line for line in head.splitlines()[:20] if line.strip()]
    if not lines:
        raise UnreadableFileError("the file is empty")
    header = lines[0]
    # The separator that splits the header into the most fields, consistently on the next lines.
    best, best_score = ",", (0, 0)
    for sep in (",", ";", "\t"):
        n = header.count(sep)
        consistent = sum(line.count(sep) >= n for line in lines[1:])
        score = (n > 0, consistent, n)
        if score > best_score:
            best, best_score = sep, score
    return best


def read_landed(path: Path, pinned: SourceFormat | None = None) -> tuple[pl.DataFrame, FileFormat]:
    """Read one landed file; every CSV column comes out as text. Adds the line numbers."""
    pinned = pinned or SourceFormat()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(f"cannot be opened ({exc.strerror})") from exc
    gzipped = data[:2] == b"\x1f\x8b"
    if gzipped:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise UnreadableFileError(f"a damaged gzip file ({exc})") from exc
    name = path.name.lower().removesuffix(".gz")
    kind = _kind(data, name, pinned.format)
    try:
        if kind == "parquet":
            frame, fmt = pl.read_parquet(io.BytesIO(data)), FileFormat("parquet", gzipped)
        elif kind == "jsonl":
            utf8, encoding = _decode(data, pinned.encoding)
            frame = pl.read_ndjson(io.BytesIO(utf8), infer_schema_length=None)
            fmt = FileFormat("jsonl", gzipped, encoding)
        else:
            utf8, encoding = _decode(data, pinned.encoding)
            sep = _separator(utf8, pinned.separator)
            frame = pl.read_csv(io.BytesIO(utf8), separator=sep, infer_schema=False,
                                raise_if_empty=True, truncate_ragged_lines=False)
            frame = frame.rename({c: c.strip() for c in frame.columns})
            # A decimal comma is only unambiguous when the comma does not separate fields.
            decimal = pinned.decimal if pinned.decimal != "auto" else ("," if sep != "," else ".")
            fmt = FileFormat("csv", gzipped, encoding, sep, decimal)
    except UnreadableFileError:
        raise
    except Exception as exc:  # Polars raises several error types for damaged files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise UnreadableFileError(f"cannot be read as {kind} ({exc.__class__.__name__}: {first})") from exc
    fmt = replace(fmt, dates=pinned.dates)
    # CSV data starts on line 2 (records spanning lines shift this; exports rarely have them).
    first_line = 2 if kind == "csv" else 1
    frame = frame.with_row_index(LINE, offset=first_line).with_columns(pl.col(LINE).cast(pl.Int64))
    return frame, fmt

"""Read a landed file and cast it to its contract's types, recording every value that fails.

Plain functions: no Prefect, no DuckDB. Row numbers are the file's line numbers (header = 1),
so a report points at the line a person opens in their editor.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.contracts import Column, Contract
from pipelines.readers import FILE, LINE, FileFormat, UnreadableFileError, read_landed

__all__ = ["FILE", "LINE", "Problem", "UnreadableFileError", "coerce", "coerce_files", "map_codes",
           "missing_columns", "read_landed"]

# Booleans as exports write them, French included (ROME's O/N, oui/non, vrai/faux).
_TRUE = ("true", "t", "1", "yes", "y", "o", "oui", "vrai")
_FALSE = ("false", "f", "0", "no", "n", "non", "faux")
_BOOL_WORDS = {v: True for v in _TRUE} | {v: False for v in _FALSE}


@dataclass(frozen=True)
class Problem:
    """One reason a file, or some of its rows, break the contract."""

    check: str
    column: str | None
    n_rows: int
    lines: tuple[int, ...] = ()
    detail: str = ""

    def describe(self) -> str:
        where = f"column {self.column}: " if self.column else ""
        sample = f" (lines {', '.join(map(str, self.lines))})" if self.lines else ""
        return f"{where}{self.detail or self.check}: {self.n_rows} row(s){sample}"

    def as_dict(self) -> dict:
        return {
            "check": self.check, "column": self.column, "n_rows": self.n_rows,
            "lines": list(self.lines), "detail": self.detail,
        }


def missing_columns(frame: pl.DataFrame, contract: Contract) -> list[str]:
    return [c for c in contract.required if c not in frame.columns]


def _blank_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    """Text values without surrounding spaces, and blank ones as missing, once for all.

    Every parser below reads these columns, so none strips or tests for blanks again.
    """
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text or frame.is_empty():
        return frame
    # Most exports have neither padding nor empty strings: finding the columns that do is
    # cheaper than rewriting every value of every column.
    found = frame.select(
        *[(pl.col(n).str.len_bytes() != pl.col(n).str.strip_chars().str.len_bytes()).any()
          .alias(f"padded {n}") for n in text],
        *[(pl.col(n) == "").any().alias(f"empty {n}") for n in text]).row(0)
    padded, empty = found[:len(text)], found[len(text):]
    exprs = [(pl.col(n).str.strip_chars() if pad else pl.col(n)).replace("", None)
             for n, pad, blank in zip(text, padded, empty, strict=True) if pad or blank]
    return frame.with_columns(exprs) if exprs else frame


def _parse_bool(name: str) -> pl.Expr:
    return (pl.col(name).cast(pl.String).str.to_lowercase()
            .replace_strict(_BOOL_WORDS, default=None, return_dtype=pl.Boolean))


def _dmy_to_iso(s: pl.Expr) -> pl.Expr:
    """dd/mm/yyyy[ hh:mm[:ss]] rewritten as ISO (single-digit day and month allowed)."""
    s = s.str.replace(r"^(\d)/", "0${1}/").str.replace(r"^(\d{2})/(\d)/", "${1}/0${2}/")
    return (s.str.replace(r"^(\d{2})/(\d{2})/(\d{4}) (\d{2}:\d{2})$", "${3}-${2}-${1}T${4}:00")
            .str.replace(r"^(\d{2})/(\d{2})/(\d{4})", "${3}-${2}-${1}"))


def _date_text(name: str, dates: str) -> pl.Expr:
    s = pl.col(name).cast(pl.String)
    if dates == "iso":
        return s
    dmy = _dmy_to_iso(s)
    return dmy if dates == "dmy" else pl.when(s.str.contains(r"^\d{1,2}/")).then(dmy).otherwise(s)


def _parse_timestamp(name: str, tz: str, dates: str = "auto") -> pl.Expr:
    """ISO 8601 (or dd/mm/yyyy hh:mm) to a UTC instant; naive times are local to the PES."""
    s = (_date_text(name, dates)
         .str.replace(r"^(\d{4}-\d{2}-\d{2})$", "${1}T00:00:00")
         .str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]", "${1}T"))
    aware = (s.str.replace(r"Z$", "+00:00")
             .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_unit="us"))
    naive = s.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
    return pl.coalesce(aware.dt.convert_time_zone("UTC"), _localise(naive, tz))


def _localise(naive: pl.Expr, tz: str) -> pl.Expr:
    # A wall-clock time skipped by the spring DST change is read one hour later, as
    # clocks and most source systems do; ambiguous autumn times take the earlier instant.
    local = naive.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
    shifted = (naive + pl.duration(hours=1)).dt.replace_time_zone(
        tz, ambiguous="earliest", non_existent="null")
    return pl.coalesce(local, shifted).dt.convert_time_zone("UTC")


def _target(col: Column, dtype: pl.DataType, tz: str, fmt: FileFormat) -> pl.Expr:
    """The expression casting one column to its contract type; failures become null."""
    name = col.name
    if col.dtype == "text":
        return pl.col(name).cast(pl.String)
    if col.dtype == "bool":
        return pl.col(name) if dtype == pl.Boolean else _parse_bool(name)
    if col.dtype == "int":
        if dtype.is_integer():
            return pl.col(name).cast(pl.Int64)
        if dtype.is_float():
            f = pl.col(name)
            return pl.when(f == f.round()).then(f).otherwise(None).cast(pl.Int64, strict=False)
        return pl.col(name).cast(pl.String).cast(pl.Int64, strict=False)
    if col.dtype == "float":
        if dtype.is_numeric():
            return pl.col(name).cast(pl.Float64)
        text = pl.col(name).cast(pl.String)
        if fmt.decimal == ",":
            text = text.str.replace(r"^(-?\d+),(\d+)$", "${1}.${2}")
        return text.cast(pl.Float64, strict=False)
    if col.dtype == "date":
        if dtype == pl.Date:
            return pl.col(name)
        return _date_text(name, fmt.dates).str.to_date("%Y-%m-%d", strict=False)
    if col.dtype == "timestamp":
        if isinstance(dtype, pl.Datetime):
            c = pl.col(name).dt.cast_time_unit("us")
            return c.dt.convert_time_zone("UTC") if dtype.time_zone else _localise(c, tz)
        return _parse_timestamp(name, tz, fmt.dates)
    raise ValueError(f"unknown contract type {col.dtype!r}")


POLARS_TYPES: dict[str, pl.DataType] = {
    "text": pl.String, "int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean,
    "date": pl.Date, "timestamp": pl.Datetime("us", "UTC"),
}




def map_codes(frame: pl.DataFrame, contract: Contract,
              mappings: dict[str, dict[str, str]] | None = None) -> pl.DataFrame:
    """Translate a PES's own codes to the canonical ones before typing.

    ``mappings`` is {column: {pes_code: canonical}} (from mappings.toml); canonical codes are
    also recognised in any letter case ("Web", "WEB"). What matches neither stays as it is
    and fails validation as a value not allowed.
    """
    exprs = []
    for col in contract.columns:
        if col.name not in frame.columns or not col.allowed or frame.schema[col.name] != pl.String:
            continue
        own = (mappings or {}).get(col.name) or {}
        canonical = {v.lower(): v for v in col.allowed}
        # A column holds few distinct codes: translate those, then the column in one pass.
        changed = {}
        for value in frame[col.name].drop_nulls().unique().to_list():
            code = own.get(value.strip(), value.strip())
            code = canonical.get(code.lower(), code)
            if code != value:
                changed[value] = code
        if changed:
            exprs.append(pl.col(col.name).replace(changed))
    return frame.with_columns(exprs) if exprs else frame


_FAST_FORMATS = {
    "timestamp": (pl.Datetime("us"), ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")),
    "date": (pl.Date, ("%Y-%m-%d",)),
}


def _fast_paths(frame: pl.DataFrame, contract: Contract, fmt: FileFormat) -> pl.DataFrame:
    """Parse clean date, time and boolean columns strictly, which is several times faster.

    A column where any value does not fit the one common format is left as text for the
    tolerant parser, which also reports each failing value.
    """
    replaced = {}
    for col in contract.columns:
        if col.dtype == "bool" and frame.schema.get(col.name) == pl.String:
            # A column holds a few spellings: read those, not every value in lower case.
            values = frame[col.name].drop_nulls().unique()
            spelt = {v: _BOOL_WORDS.get(v.lower()) for v in values} if values.len() <= 64 else {}
            if spelt and None not in spelt.values():
                replaced[col.name] = frame[col.name].replace_strict(
                    spelt, default=None, return_dtype=pl.Boolean)
        if col.dtype not in _FAST_FORMATS or frame.schema.get(col.name) != pl.String \
                or fmt.dates == "dmy":
            continue
        dtype, formats = _FAST_FORMATS[col.dtype]
        for pattern in formats:
            try:
                replaced[col.name] = frame[col.name].str.strptime(dtype, pattern, strict=True)
                break
            except pl.exceptions.PolarsError:
                continue
    return frame.with_columns(**replaced) if replaced else frame


def coerce(frame: pl.DataFrame, contract: Contract, tz: str, fmt: FileFormat | None = None
           ) -> tuple[pl.DataFrame, list[Problem], dict[int, list[str]]]:
    """Cast one file's ``frame`` to the contract, in contract order, keeping the line numbers.

    Optional columns absent from the file come out as nulls. A present value that does not
    parse is a problem, reported with its lines; it never becomes a silent null. Returns the
    typed frame, a summary per column, and every failing line's reasons.
    """
    typed, failures = coerce_files(frame.with_columns(pl.lit(0, pl.Int32).alias(FILE)),
                                   contract, tz, fmt)
    problems, row_reasons = failures.get(0, ([], {}))
    return typed.drop(FILE), problems, row_reasons


def coerce_files(frame: pl.DataFrame, contract: Contract, tz: str, fmt: FileFormat | None = None
                 ) -> tuple[pl.DataFrame, dict[int, tuple[list[Problem], dict[int, list[str]]]]]:
    """``coerce`` for several files of one layout stacked, numbered in their ``_file`` column.

    One pass over all of them costs less than one per file (a monthly file is small). Returns
    the typed frame, with ``_file``, and the problems and failing lines of each file that has
    any, by file number.
    """
    fmt = fmt or FileFormat("csv")
    frame = _fast_paths(_blank_to_null(frame), contract, fmt)
    # Text is taken as it is, so only the other types can fail to parse.
    present = [c for c in contract.columns if c.name in frame.columns and c.dtype != "text"]
    typed_exprs = {
        c.name: (_target(c, frame.schema[c.name], tz, fmt) if c.name in frame.columns
                 else pl.lit(None)).cast(POLARS_TYPES[c.dtype])
        for c in contract.columns
    }
    typed = frame.select(pl.col(LINE), pl.col(FILE), *[e.alias(n) for n, e in typed_exprs.items()])
    # A value fails when it is present but its parse is null: a column whose typed form has
    # no more nulls than its text has no failure, which counting tells without a row-wise pass.
    present = [c for c in present if typed[c.name].null_count() > frame[c.name].null_count()]
    if not present:
        return typed, {}
    failed_columns = [f"_failed_{c.name}" for c in present]
    failing = typed.select(
        FILE, LINE, *[(frame[c.name].is_not_null() & pl.col(c.name).is_null()).alias(f)
                      for c, f in zip(present, failed_columns, strict=True)]
    ).filter(pl.any_horizontal(failed_columns)).sort(FILE, LINE)
    failures = {}
    for (number,), rows in failing.group_by(FILE, maintain_order=True):
        problems: list[Problem] = []
        row_reasons: dict[int, list[str]] = {}
        for c in present:
            lines = rows.filter(pl.col(f"_failed_{c.name}"))[LINE].to_list()
            if not lines:
                continue
            detail = f"not a valid {c.dtype}"
            problems.append(Problem(check="type", column=c.name, n_rows=len(lines),
                                    lines=tuple(lines[:10]), detail=detail))
            for line in lines:
                row_reasons.setdefault(line, []).append(f"{c.name}: {detail}")
        failures[number] = (problems, row_reasons)
    return typed, failures

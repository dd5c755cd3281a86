"""Eurostat downloads (SDMX-CSV 1.0 / 2.0, bulk TSV, flag code list) as one long frame.

Every observation frame has the columns of OBSERVATION_SCHEMA:
- `dimensions`: JSON text of the dimensions other than geo, time and freq, keys sorted, holding
  codes, or English labels when the file is the SDMX-CSV 1.0 labels variant.
- `geo`: the geo code; in the labels variant it comes from GEO_LABEL_CODES and is null for a label
  the table does not know. `geo_label`: the published label, null when the file has only codes.
- `period`: 'YYYY', 'YYYY-Qn' or 'YYYY-MM' whatever the published syntax; `freq` follows from it.
- `value`: null when missing; `flags`: the published flag letters ('b', 'u', 'bu'), null when none.
"""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import polars as pl

from pipelines.sources.detect import OfficialFileError

OBSERVATION_SCHEMA = pl.Schema(
    {
        "dataset": pl.String,
        "dimensions": pl.String,
        "geo": pl.String,
        "geo_label": pl.String,
        "period": pl.String,
        "period_start": pl.Date,
        "freq": pl.String,
        "value": pl.Float64,
        "flags": pl.String,
        "source_file": pl.String,
    }
)

# English labels Eurostat publishes for geo in the labels variant. Countries are the 37 of the
# GISCO NUTS 2021 files (EU-27, EFTA, UK, candidates); a test checks them against those files.
GEO_LABEL_CODES = {
    "European Union - 27 countries (from 2020)": "EU27_2020",
    "European Union - 28 countries (2013-2020)": "EU28",
    "European Union - 27 countries (2007-2013)": "EU27_2007",
    "Euro area - 20 countries (from 2023)": "EA20",
    "Euro area - 19 countries (2015-2022)": "EA19",
    "Euro area (EA11-1999, EA12-2001, EA13-2007, EA15-2008, EA16-2009, EA17-2011, EA18-2014, "
    "EA19-2015, EA20-2023)": "EA",
    "Belgium": "BE",
    "Bulgaria": "BG",
    "Czechia": "CZ",
    "Denmark": "DK",
    "Germany": "DE",
    "Germany (until 1990 former territory of the FRG)": "DE",
    "Estonia": "EE",
    "Ireland": "IE",
    "Greece": "EL",
    "Spain": "ES",
    "France": "FR",
    "Croatia": "HR",
    "Italy": "IT",
    "Cyprus": "CY",
    "Latvia": "LV",
    "Lithuania": "LT",
    "Luxembourg": "LU",
    "Hungary": "HU",
    "Malta": "MT",
    "Netherlands": "NL",
    "Austria": "AT",
    "Poland": "PL",
    "Portugal": "PT",
    "Romania": "RO",
    "Slovenia": "SI",
    "Slovakia": "SK",
    "Finland": "FI",
    "Sweden": "SE",
    "Iceland": "IS",
    "Liechtenstein": "LI",
    "Norway": "NO",
    "Switzerland": "CH",
    "United Kingdom": "UK",
    "Montenegro": "ME",
    "North Macedonia": "MK",
    "Albania": "AL",
    "Serbia": "RS",
    "Türkiye": "TR",
    "Turkey": "TR",
}

_FREQ_NAMES = {"A": "A", "Annual": "A", "Q": "Q", "Quarterly": "Q", "M": "M", "Monthly": "M"}
# A geo code (EU27_2020, EA20, DE, FR10) as opposed to a label ("Germany", "Euro area – 20 …").
_GEO_CODE = r"^[A-Z]{2}[A-Z0-9_]*$"
_DIMENSION_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# A bulk-TSV cell: a number or ':' (missing), then optional flag letters; the space is optional.
_TSV_CELL = r"^\s*(?:(:)|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))\s*([A-Za-z]*)\s*$"


def _normalise_label(label: str) -> str:
    # Eurostat labels mix en dashes and double spaces between releases ("Euro area – 20 …").
    return re.sub(r"\s+", " ", label.replace("\u2013", "-").replace("\u2014", "-")).strip()


_GEO_LABEL_LOOKUP = {_normalise_label(label): code for label, code in GEO_LABEL_CODES.items()}


def _dataset_id(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".tsv", ".csv"):
        name = name.removesuffix(suffix)
    # Files from the current API are named estat_<dataset>.tsv.gz.
    return name.removeprefix("estat_").lower()


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _read_text_table(path: Path, expected: str, **options) -> pl.DataFrame:
    try:
        return pl.read_csv(io.BytesIO(_read_bytes(path)), infer_schema=False, **options)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise OfficialFileError(path, expected, str(error).splitlines()[0]) from error


def _periods(frame: pl.DataFrame, raw: str, path: Path) -> pl.DataFrame:
    """Add period, period_start and freq from the raw period text in column `raw`."""
    text = pl.col(raw).str.strip_chars()
    annual = text.str.extract(r"^(\d{4})$")
    quarter = text.str.extract_groups(r"^(\d{4})-?Q([1-4])$")
    month = text.str.extract_groups(r"^(\d{4})(?:-|M)(0[1-9]|1[0-2])$")
    year = pl.coalesce(annual, quarter.struct.field("1"), month.struct.field("1")).cast(pl.Int32)
    quarter_no = quarter.struct.field("2").cast(pl.Int8)
    month_no = month.struct.field("2").cast(pl.Int8)
    out = frame.with_columns(
        pl.when(annual.is_not_null())
        .then(pl.lit("A"))
        .when(quarter_no.is_not_null())
        .then(pl.lit("Q"))
        .when(month_no.is_not_null())
        .then(pl.lit("M"))
        .alias("freq"),
        pl.coalesce(
            annual,
            pl.format("{}-Q{}", quarter.struct.field("1"), quarter.struct.field("2")),
            pl.format("{}-{}", month.struct.field("1"), month.struct.field("2")),
        ).alias("period"),
        pl.date(
            year,
            pl.coalesce(quarter_no * 3 - 2, month_no, pl.lit(1, dtype=pl.Int8)),
            1,
        ).alias("period_start"),
    )
    bad = out.filter(pl.col("freq").is_null())[raw].unique().sort().head(5).to_list()
    if bad:
        raise OfficialFileError(
            path, "periods like YYYY, YYYY-Qn, YYYYQn, YYYY-MM or YYYYMmm", f"{bad}"
        )
    return out


def _check_freq_column(frame: pl.DataFrame, path: Path) -> None:
    """The freq dimension, when the file has one, must agree with the period syntax."""
    if "freq_raw" not in frame.columns:
        return
    published = pl.col("freq_raw").replace_strict(_FREQ_NAMES, default=None)
    clash = frame.filter(published.is_not_null() & (published != pl.col("freq")))
    if clash.height:
        row = clash.row(0, named=True)
        raise OfficialFileError(
            path,
            "a freq dimension that matches the period syntax",
            f"freq {row['freq_raw']!r} for period {row['period']!r}",
        )


def _dimensions_json(dimensions: list[str]) -> pl.Expr:
    if not dimensions:
        return pl.lit("{}")
    return pl.struct([pl.col(name) for name in sorted(dimensions)]).struct.json_encode()


def _values(text: pl.Expr) -> pl.Expr:
    stripped = text.str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped)


def _finish(frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    _check_freq_column(frame, path)
    return (
        frame.with_columns(pl.lit(path.name).alias("source_file"))
        .select(OBSERVATION_SCHEMA.names())
        .cast(dict(OBSERVATION_SCHEMA))
        .sort("dataset", "dimensions", "geo", "geo_label", "period_start", nulls_last=True)
    )


def read_eurostat_sdmx_csv(path: str | Path) -> pl.DataFrame:
    """Observations of an SDMX-CSV 1.0 (codes or labels) or 2.0 (codes + label columns) file."""
    path = Path(path)
    expected = "Eurostat SDMX-CSV with DATAFLOW or STRUCTURE_ID, TIME_PERIOD and OBS_VALUE"
    raw = _read_text_table(path, expected)
    columns = raw.columns
    if "TIME_PERIOD" not in columns or "OBS_VALUE" not in columns:
        raise OfficialFileError(path, expected, f"columns {columns[:6]}")
    time_at = columns.index("TIME_PERIOD")
    if "STRUCTURE_ID" in columns:
        id_column = "STRUCTURE_ID"
        first_dimension = (
            columns.index("STRUCTURE_NAME" if "STRUCTURE_NAME" in columns else "STRUCTURE_ID") + 1
        )
    elif "DATAFLOW" in columns:
        id_column = "DATAFLOW"
        first_dimension = (
            columns.index("LAST UPDATE" if "LAST UPDATE" in columns else "DATAFLOW") + 1
        )
    else:
        raise OfficialFileError(path, expected, f"columns {columns[:6]}")

    # SDMX-CSV 2.0 with labels puts a label column after every code column, TIME_PERIOD too.
    labelled_columns = time_at + 1 < len(columns) and columns[time_at + 1] != "OBS_VALUE"
    step = 2 if labelled_columns else 1
    dimensions = columns[first_dimension:time_at:step]
    label_of = {code: columns[columns.index(code) + 1] for code in dimensions} if step == 2 else {}
    if "geo" not in dimensions or not all(_DIMENSION_ID.match(name) for name in dimensions):
        raise OfficialFileError(path, expected + ", a geo dimension", f"dimensions {dimensions}")

    published_geo = pl.col("geo").str.strip_chars()
    if labelled_columns:
        geo = published_geo
        geo_label = pl.col(label_of["geo"]).str.strip_chars()
    else:
        # The SDMX-CSV 1.0 labels variant holds labels in the dimension columns themselves.
        is_code = published_geo.str.contains(_GEO_CODE)
        geo = (
            pl.when(is_code)
            .then(published_geo)
            .otherwise(
                published_geo.str.replace_all("[\u2013\u2014]", "-")
                .str.replace_all(r"\s+", " ")
                .replace_strict(_GEO_LABEL_LOOKUP, default=None)
            )
        )
        geo_label = pl.when(is_code).then(None).otherwise(published_geo)

    flag_column = "OBS_FLAG" if "OBS_FLAG" in columns else None
    # CONF_STATUS is deliberately not read: a confidential cell already has no OBS_VALUE.
    other = [name for name in dimensions if name not in ("geo", "freq")]
    frame = raw.select(
        pl.col(id_column)
        .str.extract(r"^(?:[^:]+:)?([A-Za-z0-9_]+)")
        .str.to_lowercase()
        .alias("dataset"),
        _dimensions_json(other).alias("dimensions"),
        geo.alias("geo"),
        geo_label.alias("geo_label"),
        pl.col("TIME_PERIOD").alias("period_raw"),
        _values(pl.col("OBS_VALUE")).alias("value_raw"),
        (_values(pl.col(flag_column)) if flag_column else pl.lit(None, pl.String)).alias("flags"),
        *([pl.col("freq").str.strip_chars().alias("freq_raw")] if "freq" in dimensions else []),
    )
    if frame["dataset"].null_count():
        raise OfficialFileError(path, f"a dataset id like 'ESTAT:UNE_RT_M(1.0)' in {id_column}")
    frame = frame.with_columns(pl.col("value_raw").cast(pl.Float64, strict=False).alias("value"))
    bad = frame.filter(pl.col("value").is_null() & pl.col("value_raw").is_not_null())
    if bad.height:
        raise OfficialFileError(path, "numeric OBS_VALUE", repr(bad["value_raw"][0]))
    return _finish(_periods(frame, "period_raw", path), path)


def read_eurostat_tsv(path: str | Path, dataset: str | None = None) -> pl.DataFrame:
    r"""Observations of a bulk-download TSV (`…,geo\time` or `…,geo\TIME_PERIOD` header)."""
    path = Path(path)
    expected = r"a Eurostat bulk TSV whose first column is 'dim,…,geo\time' or '…,geo\TIME_PERIOD'"
    wide = _read_text_table(path, expected, separator="\t", quote_char=None)
    key_column = wide.columns[0]
    match = re.fullmatch(r"(.*)\\(time|TIME_PERIOD)\s*", key_column)
    if not match:
        raise OfficialFileError(path, expected, f"first column {key_column!r}")
    key_names = [name.strip() for name in match.group(1).split(",")]
    if key_names[-1] != "geo" or not all(_DIMENSION_ID.match(name) for name in key_names):
        raise OfficialFileError(path, expected, f"key {key_names}")

    parts = pl.col(key_column).str.split(",")
    bad_keys = wide.filter(parts.list.len() != len(key_names))
    if bad_keys.height:
        raise OfficialFileError(
            path, f"{len(key_names)} comma-separated key parts per row", repr(bad_keys[0, 0])
        )
    # Header cells carry a trailing space in the legacy format ('2013 ').
    period_columns = {name: name.strip() for name in wide.columns[1:]}
    other = [name for name in key_names if name not in ("geo", "freq")]
    keyed = (
        wide.rename(period_columns)
        .with_columns(
            *(parts.list.get(i).str.strip_chars().alias(name) for i, name in enumerate(key_names)),
        )
        .with_columns(
            _dimensions_json(other).alias("dimensions"),
            *([pl.col("freq").alias("freq_raw")] if "freq" in key_names else []),
        )
    )
    index = ["dimensions", "geo", *(["freq_raw"] if "freq" in key_names else [])]
    long = keyed.unpivot(
        on=list(period_columns.values()),
        index=index,
        variable_name="period_raw",
        value_name="cell",
    )
    cell = pl.col("cell").str.extract_groups(_TSV_CELL)
    long = long.with_columns(
        cell.struct.field("1").alias("missing"),
        cell.struct.field("2").cast(pl.Float64).alias("value"),
        cell.struct.field("3").alias("flags"),
    )
    # A null cell (nothing between two tabs) is read as missing; any other text must parse.
    bad = long.filter(
        pl.col("cell").is_not_null() & pl.col("missing").is_null() & pl.col("value").is_null()
    )
    if bad.height:
        row = bad.row(0, named=True)
        raise OfficialFileError(
            path,
            "cells like '7.1 ', '9.4 b', ': ' or ': u'",
            f"{row['cell']!r} at {row['geo']} {row['period_raw']}",
        )
    long = long.with_columns(
        pl.lit(dataset or _dataset_id(path)).alias("dataset"),
        pl.lit(None, pl.String).alias("geo_label"),
        pl.when(pl.col("flags") == "").then(None).otherwise(pl.col("flags")).alias("flags"),
    )
    return _finish(_periods(long, "period_raw", path), path)


def read_eurostat(path: str | Path) -> pl.DataFrame:
    """Observations of any supported Eurostat data file, judged by its content."""
    from pipelines.sources.detect import detect_official

    path = Path(path)
    # Sniffing a gzip needs its first lines, which detect_official does not decompress.
    with path.open("rb") as handle:
        is_gzip = handle.read(2) == b"\x1f\x8b"
    if is_gzip:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            head = handle.readline()
        kind = "eurostat_tsv" if "\t" in head else "eurostat_sdmx_csv"
    else:
        kind = detect_official(path)
    if kind == "eurostat_sdmx_csv":
        return read_eurostat_sdmx_csv(path)
    if kind == "eurostat_tsv":
        return read_eurostat_tsv(path)
    raise OfficialFileError(path, "a Eurostat SDMX-CSV or bulk TSV data file", f"a {kind} file")


def read_obs_flags(path: str | Path) -> pl.DataFrame:
    """Eurostat observation-flag code list (code TAB label, no header): columns flag, label."""
    path = Path(path)
    expected = "the Eurostat OBS_FLAG code list: code<TAB>label lines without a header"
    frame = _read_text_table(
        path,
        expected,
        separator="\t",
        has_header=False,
        quote_char=None,
        new_columns=["flag", "label"],
    )
    if frame.width != 2:
        raise OfficialFileError(path, expected, f"{frame.width} columns")
    # CRLF file: strip the '\r' that a LF-terminated reader leaves on the label.
    frame = frame.select(
        pl.col("flag").str.strip_chars(), pl.col("label").str.strip_chars()
    ).filter(pl.col("flag").is_not_null() & (pl.col("flag") != ""))
    bad = frame.filter(~pl.col("flag").str.contains(r"^[a-z:]+$") | pl.col("label").is_null())
    if bad.height:
        raise OfficialFileError(path, expected, f"line {bad.row(0)}")
    if frame["flag"].is_duplicated().any():
        raise OfficialFileError(path, expected + " with unique codes")
    return frame

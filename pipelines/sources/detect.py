"""Recognise an official statistics or classification file by its content, and parse it."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

SUPPORTED_KINDS = (
    "eurostat_sdmx_csv",
    "eurostat_tsv",
    "eurostat_flags",
    "esco_isco_groups",
    "esco_occupations",
    "rome_codes",
    "rome_appellations",
    "nace",
    "naf",
    "nuts_geojson",
    "bmo",
)

# Enough to hold any header line and the first records, small enough to sniff a 100 MB file.
_SNIFF_BYTES = 64 * 1024
# A flag code list line: a short lower-case code, a tab, a label (no header row).
_FLAG_LINE = re.compile(r"^[a-z:]{1,8}\t[^\t]+$")


class OfficialFileError(ValueError):
    """An official file that is not what it should be; the message names the file."""

    def __init__(self, path: str | Path, expected: str, found: str | None = None) -> None:
        self.path = Path(path)
        self.expected = expected
        self.found = found
        message = f"{self.path.name}: expected {expected}"
        if found:
            message += f"; found {found}"
        super().__init__(message)


def _head_text(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    # Cut at the last complete line so a multi-byte character is never split.
    if len(head) == _SNIFF_BYTES and b"\n" in head:
        head = head[: head.rfind(b"\n")]
    return head.decode("utf-8", errors="replace").lstrip("\ufeff")


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0].rstrip("\r")


def _header_fields(line: str, separator: str) -> list[str]:
    return [field.strip().strip('"') for field in line.split(separator)]


def _sniff_xlsx(path: Path) -> str | None:
    from pipelines.sources.bmo import bmo_sheet_name

    try:
        bmo_sheet_name(path)
    except OfficialFileError:
        return None
    return "bmo"


def _sniff_text(path: Path) -> str | None:
    text = _head_text(path)
    line = _first_line(text)
    stripped = text.lstrip()
    if stripped.startswith("{"):
        if '"FeatureCollection"' not in text:
            return None
        # GISCO writes each feature's geometry before its properties, so the first NUTS_ID can
        # sit beyond the sniffed head of a detailed file.
        return "nuts_geojson" if b'"NUTS_ID"' in path.read_bytes() else None

    comma = set(_header_fields(line, ","))
    first_tab = line.split("\t", 1)[0]
    if ({"DATAFLOW", "TIME_PERIOD", "OBS_VALUE"} <= comma) or (
        {"STRUCTURE", "STRUCTURE_ID", "TIME_PERIOD", "OBS_VALUE"} <= comma
    ):
        return "eurostat_sdmx_csv"
    if "\t" in line and re.search(r",?geo\\(time|TIME_PERIOD)\s*$", first_tab):
        return "eurostat_tsv"
    if {"conceptType", "conceptUri", "code", "preferredLabel"} <= comma:
        return "esco_isco_groups"
    if {"conceptType", "conceptUri", "iscoGroup", "preferredLabel"} <= comma:
        return "esco_occupations"
    if {"code_rome", "code_ogr", "libelle_rome"} <= comma:
        return "rome_codes"
    if {"code_ogr", "libelle_appellation_long", "code_rome"} <= comma:
        return "rome_appellations"
    if {"Order", "Level", "Code", "Parent", "Description"} <= comma:
        return "nace"
    pipe = _header_fields(line, "|")
    if len(pipe) == 3 and pipe[:2] == ["Code1", "Code2"]:
        return "naf"
    lines = [row.rstrip("\r") for row in text.split("\n")[:20] if row.strip()]
    if lines and all(_FLAG_LINE.match(row) for row in lines):
        return "eurostat_flags"
    return None


def detect_official(path: str | Path) -> str:
    """The kind of official file at `path`, judged by its content; one of SUPPORTED_KINDS."""
    path = Path(path)
    if not path.is_file():
        raise OfficialFileError(path, "an existing file", "nothing at this path")
    with path.open("rb") as handle:
        magic = handle.read(4)
    kind = _sniff_xlsx(path) if magic == b"PK\x03\x04" else _sniff_text(path)
    if kind is None:
        raise OfficialFileError(
            path,
            "one of the supported official files: " + ", ".join(SUPPORTED_KINDS),
            "content that matches none of them",
        )
    return kind


def _english_sibling(path: Path) -> tuple[Path, Path | None]:
    """(English export, French export or None) for an ESCO file named <entity>_<lang>.csv."""
    match = re.fullmatch(r"(.+)_([a-z]{2})\.csv", path.name)
    if not match:
        # Without a language suffix the file is taken as the English export.
        return path, None
    stem, language = match.groups()
    english = path.with_name(f"{stem}_en.csv")
    french = path.with_name(f"{stem}_fr.csv")
    if language != "en" and not english.is_file():
        raise OfficialFileError(
            path, f"the English ESCO export {english.name} beside it (it holds the descriptions)"
        )
    return english, french if french.is_file() else None


def parse_official(path: str | Path) -> dict[str, pl.DataFrame]:
    """Detect the kind of `path` and parse it: {frame name: frame}."""
    # Imported here because every parser imports OfficialFileError from this module.
    from pipelines.sources import bmo, classifications, eurostat, nuts

    path = Path(path)
    kind = detect_official(path)
    if kind in ("eurostat_sdmx_csv", "eurostat_tsv"):
        return {"eurostat_observations": eurostat.read_eurostat(path)}
    if kind == "eurostat_flags":
        return {"eurostat_flags": eurostat.read_obs_flags(path)}
    if kind == "esco_isco_groups":
        english, french = _english_sibling(path)
        return {"isco_groups": classifications.read_isco_groups(english, french)}
    if kind == "esco_occupations":
        english, french = _english_sibling(path)
        return {"esco_occupations": classifications.read_esco_occupations(english, french)}
    if kind == "rome_codes":
        return {"rome_codes": classifications.read_rome_codes(path)}
    if kind == "rome_appellations":
        return {"rome_appellations": classifications.read_rome_appellations(path)}
    if kind == "nace":
        return {"nace": classifications.read_nace(path)}
    if kind == "naf":
        return {"naf": classifications.read_naf(path)}
    if kind == "nuts_geojson":
        frame, _geojson = nuts.read_nuts(path)
        return {"nuts": frame}
    return {"bmo": bmo.read_bmo(path)}

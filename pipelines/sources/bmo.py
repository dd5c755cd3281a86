"""France Travail BMO survey (Besoins en Main-d'Œuvre) open-data workbook.

A '*' count is statistical secrecy: it becomes null with its is_secret_* flag set, never zero.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import polars as pl

from pipelines.sources.detect import OfficialFileError

BMO_SCHEMA = pl.Schema(
    {
        "year": pl.Int32,
        "bmo_code": pl.String,
        "bmo_label": pl.String,
        "family_code": pl.String,
        "family_label": pl.String,
        "region_code": pl.String,
        "region_name": pl.String,
        "departement_code": pl.String,
        "departement_name": pl.String,
        "basin_code": pl.String,
        "basin_name": pl.String,
        "n_projects": pl.Int64,
        "n_projects_difficult": pl.Int64,
        "n_projects_seasonal": pl.Int64,
        "is_secret_projects": pl.Boolean,
        "is_secret_difficult": pl.Boolean,
        "is_secret_seasonal": pl.Boolean,
    }
)
_COLUMNS = {
    "annee": "year",
    "Code métier BMO": "bmo_code",
    "Nom métier BMO": "bmo_label",
    "Famille_met": "family_code",
    "Lbl_fam_met": "family_label",
    "REG": "region_code",
    "NOM_REG": "region_name",
    "Dept": "departement_code",
    "NomDept": "departement_name",
}
# The employment-area columns carry the zoning year: BE25/NOMBE25 in the 2025 survey.
_BASIN_CODE = re.compile(r"^BE\d{2}$")
_BASIN_NAME = re.compile(r"^NOMBE\d{2}$")
_COUNTS = {
    "met": ("n_projects", "is_secret_projects"),
    "xmet": ("n_projects_difficult", "is_secret_difficult"),
    "smet": ("n_projects_seasonal", "is_secret_seasonal"),
}
_DATA_SHEET = re.compile(r'name="(BMO_\d{4}_open_data)"')


def bmo_sheet_name(path: str | Path) -> str:
    """Name of the data sheet (BMO_<year>_open_data), read from the workbook without parsing it."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = archive.read("xl/workbook.xml").decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise OfficialFileError(path, "an xlsx workbook", str(error)) from error
    match = _DATA_SHEET.search(workbook)
    if not match:
        raise OfficialFileError(path, "a BMO workbook with a sheet BMO_<year>_open_data")
    return match.group(1)


def read_bmo(path: str | Path, engine: str = "calamine") -> pl.DataFrame:
    """One row per BMO occupation × employment area from Base_open_data_BMO_<year>.xlsx."""
    path = Path(path)
    sheet = bmo_sheet_name(path)
    expected = f"the BMO columns {list(_COLUMNS)} + BE.., NOMBE.., met, xmet, smet in {sheet}"
    # Every cell as text: codes keep their leading zeros ('01', '2A') and counts stored as text
    # ('12', '*') are parsed below under our own rules rather than guessed by the reader.
    raw = pl.read_excel(path, sheet_name=sheet, engine=engine, infer_schema_length=0)
    basin_code = next((name for name in raw.columns if _BASIN_CODE.match(name)), None)
    basin_name = next((name for name in raw.columns if _BASIN_NAME.match(name)), None)
    missing = [name for name in [*_COLUMNS, *_COUNTS] if name not in raw.columns]
    if missing or basin_code is None or basin_name is None:
        raise OfficialFileError(path, expected, f"columns {raw.columns}")

    text = {name: pl.col(name).cast(pl.String).str.strip_chars() for name in raw.columns}
    frame = raw.select(
        *(text[source].alias(target) for source, target in _COLUMNS.items()),
        # BE is a number cell in the workbook, so overseas areas lost their leading zero
        # (101 for 0101); the code is the 2-digit region followed by 2 digits.
        text[basin_code].str.replace(r"\.0+$", "").str.zfill(4).alias("basin_code"),
        text[basin_name].alias("basin_name"),
        *(text[source].alias(f"{source}_raw") for source in _COUNTS),
    )
    for source, (count, secret) in _COUNTS.items():
        cell = pl.col(f"{source}_raw")
        frame = frame.with_columns(
            (cell == "*").alias(secret),
            pl.when(cell == "*")
            .then(None)
            .otherwise(cell.str.extract(r"^(\d+)(?:\.0+)?$").cast(pl.Int64))
            .alias(count),
        )
        bad = frame.filter(cell.is_null() | ((cell != "*") & pl.col(count).is_null()))
        if bad.height:
            raise OfficialFileError(
                path,
                f"a whole count or '*' (secrecy) in {source}",
                f"{bad[f'{source}_raw'][0]!r} for {bad['bmo_code'][0]} {bad['basin_code'][0]}",
            )
    frame = frame.with_columns(
        pl.col("year").str.replace(r"\.0+$", "").cast(pl.Int32, strict=False)
    )
    if frame["year"].null_count():
        raise OfficialFileError(path, "a year in annee")
    return frame.select(BMO_SCHEMA.names()).cast(dict(BMO_SCHEMA))

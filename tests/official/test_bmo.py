"""BMO workbook parser: secrecy stays null with a flag, and totals match an openpyxl read."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.sources.bmo import BMO_SCHEMA, read_bmo

pytestmark = pytest.mark.shared_data

BMO_FILE = Path("france_travail") / "Base_open_data_BMO_2025.xlsx"
COUNTS = {
    "met": ("n_projects", "is_secret_projects"),
    "xmet": ("n_projects_difficult", "is_secret_difficult"),
    "smet": ("n_projects_seasonal", "is_secret_seasonal"),
}


@pytest.fixture(scope="module")
def bmo(shared_data: Path) -> pl.DataFrame:
    return read_bmo(shared_data / BMO_FILE)


@pytest.fixture(scope="module")
def raw_rows(shared_data: Path) -> list[dict[str, object]]:
    """The data sheet read cell by cell with openpyxl, a reader independent of calamine."""
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.load_workbook(shared_data / BMO_FILE, read_only=True)
    try:
        header, *rows = workbook["BMO_2025_open_data"].iter_rows(values_only=True)
    finally:
        workbook.close()
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_shape_and_schema(bmo: pl.DataFrame) -> None:
    assert bmo.schema == BMO_SCHEMA
    assert bmo.height == 50_076
    assert bmo["year"].unique().to_list() == [2025]
    assert bmo["bmo_code"].n_unique() == 217
    assert bmo["basin_code"].n_unique() == 406
    assert bmo["region_code"].n_unique() == 18


def test_codes_keep_their_leading_zeros(bmo: pl.DataFrame) -> None:
    assert {"01", "02", "03", "04", "06", "11", "84"} <= set(bmo["region_code"])
    assert {"01", "2A", "2B", "971", "976"} <= set(bmo["departement_code"])
    assert bmo["basin_code"].str.contains(r"^\d{4}$").all()
    # A basin code is its region followed by two digits, which justifies padding 101 to 0101.
    assert (bmo["basin_code"].str.slice(0, 2) == bmo["region_code"]).all()
    assert bmo.filter(pl.col("basin_name") == "BASSIN MARIE-GALANTE")[
        "basin_code"
    ].unique().to_list() == ["0116"]


def test_secrecy_is_never_zero(bmo: pl.DataFrame, raw_rows: list[dict[str, object]]) -> None:
    assert len(raw_rows) == bmo.height
    n_secret = {source: 0 for source in COUNTS}
    for row, raw in zip(bmo.iter_rows(named=True), raw_rows, strict=True):
        assert (row["bmo_code"], row["basin_name"]) == (raw["Code métier BMO"], raw["NOMBE25"])
        for source, (count, secret) in COUNTS.items():
            cell = raw[source]
            assert isinstance(cell, str), "the workbook stores the counts as text"
            if cell == "*":
                n_secret[source] += 1
                assert row[count] is None and row[secret] is True
            else:
                assert row[count] == int(cell) and row[secret] is False
    assert n_secret == {"met": 11_452, "xmet": 21_720, "smet": 36_972}
    assert bmo.filter(pl.any_horizontal(pl.col("^is_secret_.*$"))).height == 39_699
    for count, secret in COUNTS.values():
        assert bmo.filter(pl.col(secret) & (pl.col(count) == 0)).height == 0
        assert bmo[count].null_count() == bmo[secret].sum()


def test_totals_equal_an_independent_sum(
    bmo: pl.DataFrame, raw_rows: list[dict[str, object]]
) -> None:
    for source, (count, _) in COUNTS.items():
        independent = sum(int(row[source]) for row in raw_rows if row[source] != "*")
        assert bmo[count].sum() == independent
    by_region = bmo.group_by("region_code").agg(pl.col("n_projects").sum())
    independent = {}
    for row in raw_rows:
        if row["met"] != "*":
            independent[row["REG"]] = independent.get(row["REG"], 0) + int(row["met"])
    assert dict(by_region.iter_rows()) == independent

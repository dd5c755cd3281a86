"""Each query's numbers equal an independent Polars recomputation from the mart rows."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboards import db, queries
from dashboards.queries import Filters, add_months

CONTACTS = "marts.mart_contacts_monthly"
FLOWS = "marts.mart_jobseeker_flows_monthly"
VACANCIES = "marts.mart_vacancies_monthly"


@pytest.fixture(scope="module")
def wh(dash_settings):
    return db.warehouse_for(dash_settings.published_db)


@pytest.fixture(scope="module")
def meta(marts):
    return marts["meta.dataset"].row(0, named=True)


def _filter_sets(meta, marts) -> dict[str, Filters]:
    """A few filter combinations, built from whatever the warehouse holds."""
    to = meta["data_to"]
    last_year = Filters(max(meta["data_from"], add_months(to, -11)), to)
    contacts = marts[CONTACTS]
    regions = sorted(contacts["region_code"].unique().to_list())
    return {
        "last_year": last_year,
        "everything": Filters(meta["data_from"], to),
        "one_region_one_band": Filters(last_year.month_from, to, region=(regions[0],),
                                       age_band=("50+",)),
        "regions_and_segments": Filters(add_months(to, -5), to, region=tuple(regions[:2]),
                                        digital_skills=("none", "basic"),
                                        support_tier=("intensive", "guided")),
    }


def _keep(df: pl.DataFrame, f: Filters, *, segments: bool = True,
          direction: str = "all") -> pl.DataFrame:
    out = df.filter(pl.col("month").is_between(f.month_from, f.month_to))
    if f.region:
        out = out.filter(pl.col("region_code").is_in(list(f.region)))
    if segments:
        for column in ("age_band", "digital_skills", "support_tier"):
            if getattr(f, column):
                out = out.filter(pl.col(column).is_in(list(getattr(f, column))))
    if direction != "all":
        out = out.filter(pl.col("direction") == direction)
    return out


def _all_months(f: Filters) -> pl.DataFrame:
    return pl.DataFrame({"month": pl.date_range(f.month_from, f.month_to, "1mo", eager=True)})


def _monthly(df: pl.DataFrame, f: Filters, sums: dict[str, pl.Expr]) -> pl.DataFrame:
    grouped = df.group_by("month").agg(**sums)
    return (_all_months(f).join(grouped, on="month", how="left")
            .with_columns(pl.col(list(sums)).fill_null(0).cast(pl.Int64)).sort("month"))


@pytest.fixture(scope="module")
def filter_sets(meta, marts):
    return _filter_sets(meta, marts)


@pytest.mark.parametrize("case", ["last_year", "everything", "one_region_one_band",
                                  "regions_and_segments"])
def test_contacts_monthly(wh, marts, filter_sets, case):
    f = filter_sets[case]
    expected = _monthly(_keep(marts[CONTACTS], f), f, {
        "n_contacts": pl.col("n_contacts").sum(),
        "n_digital": pl.col("n_contacts").filter(pl.col("is_digital")).sum(),
        "n_rated": pl.col("n_rated").sum(),
        "n_satisfied": pl.col("n_satisfied").sum(),
    })
    assert_frame_equal(queries.contacts_monthly(wh, f), expected)


@pytest.mark.parametrize("case", ["last_year", "one_region_one_band", "regions_and_segments"])
def test_jobseekers_monthly(wh, marts, filter_sets, case):
    f = filter_sets[case]
    expected = _monthly(_keep(marts[FLOWS], f), f, {
        c: pl.col(c).sum() for c in ("n_stock_end", "n_inflows", "n_exits", "n_exits_employment")
    })
    assert_frame_equal(queries.jobseekers_monthly(wh, f), expected)


@pytest.mark.parametrize("case", ["last_year", "one_region_one_band"])
def test_vacancies_monthly_ignores_segments(wh, marts, filter_sets, case):
    f = filter_sets[case]
    expected = _monthly(_keep(marts[VACANCIES], f, segments=False), f, {
        "n_vacancies_posted": pl.col("n_vacancies_posted").sum(),
        "n_open_end": pl.col("n_open_end").sum(),
    })
    assert_frame_equal(queries.vacancies_monthly(wh, f), expected)


@pytest.mark.parametrize("direction", ["all", "inbound", "outbound"])
def test_contacts_by_channel(wh, marts, filter_sets, direction):
    f = filter_sets["one_region_one_band"]
    expected = (_keep(marts[CONTACTS], f, direction=direction)
                .group_by("month", "channel").agg(pl.col("n_contacts").sum())
                .sort("month", "channel"))
    assert_frame_equal(queries.contacts_by_channel(wh, f, direction), expected,
                       check_dtypes=False)


def _shares(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return (df.group_by(keys)
            .agg(n_contacts=pl.col("n_contacts").sum(),
                 n_digital=pl.col("n_contacts").filter(pl.col("is_digital")).sum())
            .with_columns(share_digital=pl.col("n_digital") / pl.col("n_contacts"))
            .sort(keys))


@pytest.mark.parametrize("direction", ["all", "inbound"])
def test_digital_share_by_service(wh, marts, filter_sets, direction):
    f = filter_sets["last_year"]
    got = queries.digital_share_by_service(wh, f, direction)
    expected = _shares(_keep(marts[CONTACTS], f, direction=direction), ["service"])
    assert_frame_equal(got.sort("service"), expected, check_dtypes=False)
    assert got["share_digital"].is_sorted(descending=True)


def test_digital_share_by_region(wh, marts, filter_sets):
    f = filter_sets["regions_and_segments"]
    got = queries.digital_share_by_region(wh, f, "outbound")
    expected = _shares(_keep(marts[CONTACTS], f, direction="outbound"),
                       ["region_code", "region_name"])
    assert_frame_equal(got.sort("region_code"), expected, check_dtypes=False)
    assert set(got["region_code"]) <= set(f.region)


def test_digital_share_by_segment(wh, marts, filter_sets):
    f = filter_sets["one_region_one_band"]
    jobseekers = _keep(marts[CONTACTS], f).filter(pl.col("party_type") == "jobseeker")
    expected = pl.concat([
        _shares(jobseekers, [column]).rename({column: "segment"})
        .select(pl.lit(column).alias("segment_type"), pl.all())
        for column in ("age_band", "digital_skills", "support_tier")
    ]).sort("segment_type", "segment")
    got = queries.digital_share_by_segment(wh, f)
    assert_frame_equal(got, expected, check_dtypes=False)
    assert got.filter(pl.col("segment_type") == "age_band")["segment"].to_list() == ["50+"]
    assert "n/a" not in got["segment"].to_list()


def test_dataset_meta_and_regions(wh, marts):
    assert queries.dataset_meta(wh).row(0) == marts["meta.dataset"].row(0)
    assert_frame_equal(queries.regions(wh),
                       marts["core.dim_region"].select("region_code", "region_name")
                       .sort("region_name", "region_code"))


def test_values_are_bound_not_spliced(wh, meta):
    hostile = "FRK') OR 1=1 --"
    f = Filters(meta["data_from"], meta["data_to"], region=(hostile,), age_band=("'; DROP",))
    assert queries.contacts_monthly(wh, f)["n_contacts"].sum() == 0
    assert queries.digital_share_by_region(wh, f).is_empty()


def test_previous_period():
    f = Filters(dt.date(2025, 3, 1), dt.date(2025, 8, 1))
    assert f.n_months == 6
    assert f.previous_period() == Filters(dt.date(2024, 9, 1), dt.date(2025, 2, 1))
    assert f.with_previous_period().month_from == dt.date(2024, 9, 1)
    assert add_months(dt.date(2025, 1, 1), -1) == dt.date(2024, 12, 1)


# -- the snapshot is replaced under a running dashboard --------------------------------------

def test_warehouse_reopens_a_replaced_snapshot_and_reports_a_missing_one(tmp_path, tiny_warehouse):
    published = tmp_path / "warehouse" / "observatory.duckdb"
    tiny_warehouse(published, seed=1)
    wh = db.Warehouse(published)
    whole = Filters(dt.date(2024, 1, 1), dt.date(2025, 12, 1))
    first = queries.contacts_monthly(wh, whole)["n_contacts"].sum()
    assert queries.contacts_monthly(wh, whole)["n_contacts"].sum() == first
    assert wh.n_opens == 1  # one connection serves successive requests

    replacement = tmp_path / "next.duckdb"
    tiny_warehouse(replacement, seed=2)
    os.replace(replacement, published)  # what the pipeline's publish step does
    second = queries.contacts_monthly(wh, whole)["n_contacts"].sum()
    assert second != first
    assert wh.n_opens == 2

    shutil.move(published, tmp_path / "moved.duckdb")
    with pytest.raises(db.NoDataYet):
        queries.dataset_meta(wh)
    wh.close()

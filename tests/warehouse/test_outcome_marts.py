"""The outcome and employer-demand marts equal an independent Polars recomputation from the
landed files; the Kaplan–Meier curves the page draws equal those of the individual spells; the
forecast mart is reproduced from the landed vacancies with the same seed."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

sys.path.insert(0, str(Path(__file__).parent))
import recompute_outcomes as ro  # noqa: E402

from dashboards import outcome_queries as oq  # noqa: E402
from dashboards.db import Warehouse  # noqa: E402
from dashboards.queries import Filters  # noqa: E402
from warehouse.analytics import forecast, survival  # noqa: E402
from warehouse.db import connect_published  # noqa: E402


def table(settings, relation: str) -> pl.DataFrame:
    con = connect_published(settings.published_db)
    try:
        return con.sql(f"select * from {relation}").pl()
    finally:
        con.close()


def aligned(expected: pl.DataFrame, actual: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    assert sorted(expected.columns) == sorted(actual.columns)
    keys = [c for c in actual.columns if not c.startswith("n_")]
    expected = expected.select(actual.columns).cast(actual.schema).sort(keys, nulls_last=True)
    return expected, actual.sort(keys, nulls_last=True)


@pytest.fixture(scope="module")
def landing(demo_home) -> Path:
    return demo_home.landing_dir


@pytest.mark.parametrize(("relation", "recompute_fn"), [
    ("marts.mart_entry_cohorts", ro.entry_cohorts),
    ("marts.mart_outcomes_monthly", ro.outcomes_monthly),
    ("marts.mart_service_intensity", ro.service_intensity),
    ("marts.mart_time_to_employment", ro.time_to_employment),
    ("marts.mart_vacancy_postings", ro.vacancy_postings),
    ("marts.mart_vacancy_closures", ro.vacancy_closures),
    ("marts.mart_vacancy_tension_monthly", ro.vacancy_tension_monthly),
    ("marts.mart_jobseeker_occupations_monthly", ro.jobseeker_occupations_monthly),
    ("marts.mart_vacancy_tension_occupation_monthly", ro.vacancy_tension_occupation_monthly),
])
def test_mart_matches_recomputation(demo_home, landing, relation, recompute_fn):
    actual = table(demo_home, relation)
    assert actual.height > 10
    assert_frame_equal(*aligned(recompute_fn(landing), actual))


def test_indicators_are_not_degenerate(demo_home):
    """The demo exercises every branch: observed and censored cohorts, every status."""
    cohorts = table(demo_home, "marts.mart_entry_cohorts")
    assert cohorts["n_job_within_6m"].null_count() > 0  # recent cohorts are censored
    assert cohorts["n_job_within_6m"].drop_nulls().sum() > 0
    assert cohorts["n_job_within_24m"].null_count() == cohorts.height  # 12 months of data
    tte = table(demo_home, "marts.mart_time_to_employment")
    for column in ("n_exits_employment", "n_censored_still_registered", "n_censored_other_exit"):
        assert tte[column].sum() > 0, column
    assert set(tte["channel_profile"]) >= {"mostly_digital", "mixed", "mostly_in_person"}
    intensity = table(demo_home, "marts.mart_service_intensity")
    assert intensity["n_exits_employment_6m"].drop_nulls().sum() > 0
    assert intensity["has_training_referral"].any()
    outcomes = table(demo_home, "marts.mart_outcomes_monthly")
    assert 0 < outcomes["n_still_employed_3m"].sum() < outcomes["n_employment_outcome_known"].sum()


def test_page_kaplan_meier_equals_the_individual_spells(demo_home, landing):
    """The curves drawn from the mart's counts are those of the spells one by one."""
    spells = ro.spell_outcomes(landing).filter(pl.col("is_window_entrant"))
    wh = Warehouse(demo_home.published_db)
    try:
        meta = wh.frame("select data_from, data_to from meta.dataset").row(0)
        f = Filters(meta[0], meta[1], region=("FR1", "FRK", "FRL"))
        curves, summary = oq.time_to_employment(wh, f, "support_tier", min_n=1)
    finally:
        wh.close()
    subset = spells.filter(pl.col("region_code").is_in(["FR1", "FRK", "FRL"]))
    for tier in ("autonomous", "guided"):
        part = subset.filter(pl.col("support_tier") == tier)
        expected = survival.kaplan_meier(part["duration_days"].to_numpy(),
                                         (part["follow_up_status"] == "employment").to_numpy())
        drawn = curves.filter(pl.col("group") == tier).drop("group")
        assert_frame_equal(drawn, expected, check_dtypes=False)
        row = summary.filter(pl.col("group") == tier).row(0, named=True)
        assert row["n_spells"] == part.height
        assert row["median_days"] == survival.survival_quantile(expected, 0.5).time


def test_tension_by_occupation_adds_up_to_the_regions_and_varies(demo_home):
    """Each region's occupations add up to its tension counts; the demo has shortage and
    surplus occupations, and job-seekers with no occupation sought, kept as 'unknown'."""
    detail = table(demo_home, "marts.mart_vacancy_tension_occupation_monthly")
    by_region = table(demo_home, "marts.mart_vacancy_tension_monthly")
    sums = detail.group_by("month", "region_code").agg(
        pl.col("n_vacancies_open_end", "n_jobseekers_end").sum().cast(pl.Int64))
    assert_frame_equal(sums.sort("month", "region_code"),
                       by_region.select(sums.columns).sort("month", "region_code"),
                       check_dtypes=False)
    unknown = detail.filter(pl.col("isco_major_group") == "unknown")
    assert unknown["n_jobseekers_end"].sum() > 0 and unknown["n_vacancies_open_end"].sum() == 0
    majors = (detail.filter(pl.col("isco_major_group") != "unknown")
              .group_by("isco_major_group").agg(pl.col("n_vacancies_open_end",
                                                       "n_jobseekers_end").sum())
              .filter(pl.col("n_jobseekers_end") >= 200)
              .with_columns(per100=pl.col("n_vacancies_open_end") * 100
                            / pl.col("n_jobseekers_end")))
    # Craft and machine operators are in shortage, clerical support in surplus.
    per100 = dict(majors.select("isco_major_group", "per100").iter_rows())
    assert per100["4"] < min(per100["7"], per100["8"])
    assert majors["per100"].max() > 2.5 * majors["per100"].min()


def test_isco_labels_fall_back_to_the_major_groups(demo_home, landing):
    groups = table(demo_home, "core.dim_isco_group")
    sought = ro.read_source(landing, "jobseekers")["sought_isco08"].drop_nulls()
    codes = set(ro._vacancies(landing)["isco08"]) | set(sought)
    expected = {c[:k] for c in codes for k in (1, 2, 3, 4) if len(c) >= k}
    assert set(groups["isco_code"]) == expected
    majors = groups.filter(pl.col("level") == 1)
    assert majors["label"].null_count() == 0
    assert groups.filter(pl.col("isco_code") == "5")["label"][0] == "Service and sales workers"


def test_forecast_mart_is_reproduced_from_the_landed_vacancies(demo_home, landing):
    months, series = ro.vacancy_series(landing)
    mart = table(demo_home, "marts.mart_vacancy_forecast")
    history = mart.filter(~pl.col("is_forecast"))
    for (region, group), values in series.items():
        got = history.filter((pl.col("region_code") == region)
                             & (pl.col("isco_major_group") == group)).sort("month")
        assert got["n_vacancies_posted"].to_list() == values, (region, group)
    # The same seed on the same counts gives the same forecasts and intervals.
    expected, accuracy = forecast.forecast_frames(
        months, {k: np.asarray(v, dtype=float) for k, v in series.items()},
        forecast.ForecastSettings())
    columns = [c for c in expected.columns]
    keys = ["region_code", "isco_major_group", "month"]
    assert_frame_equal(mart.select(columns).sort(keys), expected.sort(keys), check_dtypes=False)
    acc = table(demo_home, "marts.mart_vacancy_forecast_accuracy")
    assert acc.height == len(series)
    assert set(acc["status"]) == {"insufficient history: 12 months, 25 needed"}


def test_python_models_are_built_in_the_refresh(demo_build):
    models = demo_build[1]["build"]["models"]
    for relation in ("core.dim_isco_group", "marts.mart_vacancy_forecast",
                     "marts.mart_vacancy_forecast_accuracy"):
        assert models[relation] > 0, relation


def test_isco_labels_come_from_official_isco_groups_when_imported():
    import duckdb

    from warehouse.analytics import isco

    con = duckdb.connect()
    try:
        con.execute("""
            create schema core; create schema official;
            create table core.fct_vacancies as select * from (values ('5223'), ('2512')) t(isco08);
            create table core.dim_isco_major_group as
                select * from (values ('2', 'Professionals'), ('5', 'Service and sales workers'))
                t(isco_major_group, isco_major_group_label);
            create table official.isco_groups as select * from (values
                ('52', 'Sales workers', timestamptz '2026-01-01'),
                ('5223', 'Shop sales assistants', timestamptz '2026-01-01'),
                ('5223', 'Old title', timestamptz '2025-01-01')) t(isco_code, label_en, loaded_at);
        """)
        assert isco.has_official_isco(con)
        isco.build_table(con)
        rows = {r[0]: r[1:] for r in con.execute(
            "select isco_code, level, parent_code, label, label_source "
            "from core.dim_isco_group").fetchall()}
    finally:
        con.close()
    assert rows["5223"] == (4, "522", "Shop sales assistants", "official.isco_groups")
    assert rows["52"] == (2, "5", "Sales workers", "official.isco_groups")
    assert rows["5"] == (1, None, "Service and sales workers", "built-in ISCO-08 major groups")
    assert rows["251"] == (3, "25", None, "none")
    assert set(rows) == {"5", "52", "522", "5223", "2", "25", "251", "2512"}

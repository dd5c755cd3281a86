"""The Channels marts and indicators equal an independent Polars recomputation from the
landed files of the small demo (tests/conftest.py: demo_home)."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

sys.path.insert(0, str(Path(__file__).parent))
import recompute_channels as rc  # noqa: E402

from warehouse.db import connect_published  # noqa: E402


@pytest.fixture(scope="module")
def published(demo_home):
    con = connect_published(demo_home.published_db)
    yield con
    con.close()


def mart(con, name: str, drop: tuple[str, ...] = ()) -> pl.DataFrame:
    return con.sql(f"select * from marts.{name}").pl().drop(list(drop))


def same_rows(expected: pl.DataFrame, actual: pl.DataFrame) -> None:
    """Equal as multisets of rows (marts keyed by a pseudonym are compared without it)."""
    assert sorted(expected.columns) == sorted(actual.columns)
    expected = expected.select(actual.columns).cast(actual.schema)
    order = actual.columns
    assert_frame_equal(expected.sort(order, nulls_last=True), actual.sort(order, nulls_last=True))


def test_repeat_contacts_match_recomputation(published, demo_home):
    actual = mart(published, "mart_repeat_contacts_monthly")
    same_rows(rc.repeat_contacts_monthly(demo_home.landing_dir), actual)
    assert 0 < actual["n_repeated_7d"].sum() < actual["n_contacts"].sum()
    assert actual["n_repeated_7d_offline"].sum() > 0


def test_journeys_match_recomputation(published, demo_home):
    actual = mart(published, "mart_journeys_monthly")
    same_rows(rc.journeys_monthly(demo_home.landing_dir), actual)
    assert (actual["channel_3"] != "none").any() and (actual["n_switching"] > 0).any()


def test_jobseeker_contact_months_match_recomputation(published, demo_home):
    actual = mart(published, "mart_jobseeker_contact_months", drop=("person_id",))
    expected = rc.jobseeker_contact_months(demo_home.landing_dir).drop("person_id")
    same_rows(expected, actual)
    assert actual["is_offline_only"].any() and not actual["is_offline_only"].all()


def test_duration_histograms_match_recomputation(published, demo_home):
    actual = mart(published, "mart_channel_durations_monthly")
    same_rows(rc.channel_durations_monthly(demo_home.landing_dir), actual)
    # The unsegmented mart holds the same histograms summed over segments.
    summed = actual.group_by("month", "region_code", "region_name", "agency_code",
                             "agency_name", "party_type", "channel", "measure", "bin_lower_s",
                             "bin_upper_s").agg(pl.col("n_contacts").sum())
    same_rows(summed, mart(published, "mart_channel_durations_unsegmented_monthly"))
    # ... and the segment one, summed over places.
    summed = actual.group_by("month", "party_type", "age_band", "education_level",
                             "digital_skills", "support_tier", "channel", "measure",
                             "bin_lower_s", "bin_upper_s").agg(pl.col("n_contacts").sum())
    same_rows(summed, mart(published, "mart_channel_durations_segments_monthly"))


def test_caseloads_match_recomputation(published, demo_home):
    actual = mart(published, "mart_caseloads_monthly", drop=("counsellor_id",))
    expected = rc.caseloads_monthly(demo_home.landing_dir).drop("counsellor_id")
    same_rows(expected, actual)
    assert set(actual["support_tier"].to_list()) == {"autonomous", "guided", "intensive",
                                                     "global"}


# -- indicators read through the dashboard queries, against the recomputation ----------------

@pytest.fixture(scope="module")
def warehouse(demo_home):
    from dashboards.db import Warehouse

    wh = Warehouse(demo_home.published_db)
    yield wh
    wh.close()


def _period(con) -> tuple:
    return con.execute("select min(month), max(month) from core.dim_month").fetchall()[0]


def test_contact_profiles_fold_the_person_months_into_month_bits(published, demo_home):
    months = rc.jobseeker_contact_months(demo_home.landing_dir)
    first = published.execute("select min(month), count(*) from core.dim_month").fetchall()[0]
    expected = rc.contact_profiles(months, *first).drop("person_id")
    actual = published.sql("""select * exclude (person_id, months_active, months_digital),
            months_active::varchar as months_active, months_digital::varchar as months_digital
        from marts.mart_jobseeker_contact_profiles""").pl()
    same_rows(expected, actual)
    assert (actual["n_profiles"] > 1).any()


def test_digital_exclusion_by_group_matches_people_counted_from_the_files(
        published, warehouse, demo_home):
    from dashboards.channel_queries import ChannelFilters, exclusion_by_group, exclusion_ranking

    first, last = _period(published)
    month_from = last.replace(month=last.month - 2) if last.month > 2 else first
    f = ChannelFilters(month_from, last)
    got = exclusion_by_group(warehouse, f)
    # Each active job-seeker once, where they were in their last month of the period.
    months = rc.jobseeker_contact_months(demo_home.landing_dir).filter(
        pl.col("month").is_between(month_from, last))
    people = months.sort("month").group_by("person_id").agg(
        pl.all().exclude("n_inbound_digital").last(),
        is_offline=pl.col("n_inbound_digital").sum() == 0)
    for column in ("digital_skills", "education_level", "region_code"):
        expected = people.group_by(column).agg(n_active=pl.len(),
                                               n_offline_only=pl.col("is_offline").sum())
        actual = got.filter(pl.col("group_type") == column).select(
            pl.col("group_code").alias(column), "n_active", "n_offline_only")
        same_rows(expected, actual)
    total = got.filter(pl.col("group_type") == "all").row(0, named=True)
    assert (total["n_active"], total["n_offline_only"]) == (people.height,
                                                            people["is_offline"].sum())
    ranking = exclusion_ranking(warehouse, f, "agency")
    expected = people.group_by(pl.col("agency_code").alias("code")).agg(
        n_active=pl.len(), n_offline_only=pl.col("is_offline").sum())
    same_rows(expected, ranking.select("code", "n_active", "n_offline_only"))


def test_percentiles_read_from_the_histograms_are_within_one_bin_of_exact(
        warehouse, published, demo_home):
    from dashboards.channel_figures import durations_frame
    from dashboards.channel_queries import ChannelFilters, duration_histograms

    first, last = _period(published)
    drawn = durations_frame(duration_histograms(warehouse, ChannelFilters(first, last)))
    exact = rc.contacts(demo_home.landing_dir).filter(pl.col("channel") == "phone")
    for measure, column in (("wait", "wait_s"), ("duration", "duration_s")):
        values = exact[column].drop_nulls().cast(pl.Float64)
        row = drawn.filter((pl.col("channel") == "phone") & (pl.col("measure") == measure)).row(
            0, named=True)
        assert row["n_contacts"] == values.len()
        for q, got in ((0.5, row["median_s"]), (0.9, row["p90_s"])):
            truth = values.quantile(q, "linear")
            width = 10 if truth < 600 else 60 if truth < 7200 else 600
            assert abs(got - truth) <= width, (measure, q, got, truth)


def test_satisfaction_and_no_shows_follow_the_landed_answers(warehouse, published, demo_home):
    from dashboards.channel_queries import ChannelFilters, quality_by_channel

    first, last = _period(published)
    got = quality_by_channel(warehouse, ChannelFilters(first, last, user_type="jobseeker"))
    c = rc.contacts(demo_home.landing_dir).filter(pl.col("party_type") == "jobseeker")
    expected = c.group_by("channel").agg(
        n_rated=pl.col("satisfaction").is_not_null().sum(),
        n_satisfied=(pl.col("satisfaction") >= 4).sum(),
        n_appointments=pl.col("appointment_status").is_in(["attended", "no_show"]).sum(),
        n_no_shows=(pl.col("appointment_status") == "no_show").sum())
    same_rows(expected, got.select("channel", "n_rated", "n_satisfied", "n_appointments",
                                   "n_no_shows"))

"""Independent Polars recomputation of the Channels marts from the raw landed files.

Nothing here imports the pipeline or reads the warehouse: it applies the definitions of
docs/channel-indicators.md to the landing folder, with plain loops where the SQL uses folds,
so that a shared mistake is unlikely. Identifiers stay raw (the marts hold pseudonyms), so
marts keyed by a person or a counsellor are compared without that column.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from recompute import DIGITAL, read_source

SEGMENT_COLUMNS = ["age_band", "education_level", "digital_skills", "support_tier"]
WEEK = dt.timedelta(days=7)
JOURNEY_WINDOW = dt.timedelta(days=30)


def _age_band(age: pl.Expr) -> pl.Expr:
    return pl.when(age < 25).then(pl.lit("<25")).when(age < 50).then(pl.lit("25-49")) \
        .otherwise(pl.lit("50+"))


def data_end(landing: Path) -> dt.datetime:
    """The first local instant after the last month of contact logs."""
    last = read_source(landing, "interactions")["occurred_at"].cast(pl.Datetime).max()
    return dt.datetime(last.year + last.month // 12, last.month % 12 + 1, 1)


def contacts(landing: Path) -> pl.DataFrame:
    """Every landed contact with its local time (naive times are local), month, region and the
    segment of the job-seeker's spell current that day."""
    agencies = read_source(landing, "agencies").select("agency_code", "region_code",
                                                       "region_name", "agency_name")
    spells = read_source(landing, "jobseekers").select(
        "person_id", "registered_on", "birth_year", "education_level", "digital_skills",
        "support_tier").sort("registered_on")
    it = read_source(landing, "interactions").with_columns(
        occurred_local=pl.col("occurred_at").cast(pl.Datetime("us")))
    it = it.with_columns(occurred_on=pl.col("occurred_local").dt.date(),
                         month=pl.col("occurred_local").dt.date().dt.truncate("1mo"),
                         is_digital=pl.col("channel").is_in(DIGITAL))
    js = it.filter(pl.col("party_type") == "jobseeker").sort("occurred_on").join_asof(
        spells, left_on="occurred_on", right_on="registered_on", by_left="party_id",
        by_right="person_id", strategy="backward", check_sortedness=False)
    js = js.with_columns(
        age_band=pl.when(pl.col("birth_year").is_null()).then(pl.lit("unknown"))
        .otherwise(_age_band(pl.col("occurred_on").dt.year() - pl.col("birth_year"))),
        **{c: pl.col(c).fill_null("unknown") for c in SEGMENT_COLUMNS[1:]},
    ).drop("registered_on", "birth_year")
    emp = it.filter(pl.col("party_type") == "employer").with_columns(
        **{c: pl.lit("n/a") for c in SEGMENT_COLUMNS})
    both = pl.concat([js.select(emp.columns), emp], how="vertical_relaxed")
    return both.join(agencies, on="agency_code", how="left")


def sequenced(landing: Path) -> pl.DataFrame:
    """Inbound contacts, each with its journey number and step, the next contact about the same
    service, and the repeat and follow-up flags, computed with a plain loop."""
    inbound = contacts(landing).filter(pl.col("direction") == "inbound").sort(
        "party_type", "party_id", "service", "occurred_local", "interaction_id")
    end = data_end(landing)
    rows = inbound.select("party_type", "party_id", "service", "occurred_local", "channel",
                          "is_digital").rows()
    journey_no, step, next_channel, next_digital, repeated, complete = [], [], [], [], [], []
    journey_start: list[dt.datetime] = []
    start = dt.datetime.min
    for i, (ptype, pid, service, t, _channel, _digital) in enumerate(rows):
        same_key_before = i > 0 and rows[i - 1][:3] == (ptype, pid, service)
        if not same_key_before or t > start + JOURNEY_WINDOW:
            start = t
            n_journey = journey_no[-1] + 1 if same_key_before else 1
            n_step = 1
        else:
            n_journey = journey_no[-1]
            n_step = step[-1] + 1
        journey_no.append(n_journey)
        step.append(n_step)
        journey_start.append(start)
        has_next = i + 1 < len(rows) and rows[i + 1][:3] == (ptype, pid, service)
        next_channel.append(rows[i + 1][4] if has_next else None)
        next_digital.append(rows[i + 1][5] if has_next else None)
        repeated.append(has_next and rows[i + 1][3] <= t + WEEK)
        complete.append(t + WEEK <= end)
    return inbound.with_columns(
        journey_no=pl.Series(journey_no), journey_step=pl.Series(step),
        journey_started_local=pl.Series(journey_start), next_channel=pl.Series(next_channel),
        next_is_digital=pl.Series(next_digital, dtype=pl.Boolean),
        is_repeated_7d=pl.Series(repeated), is_followup_complete=pl.Series(complete))


PLACE = ["month", "region_code", "region_name", "agency_code", "agency_name", "party_type",
         *SEGMENT_COLUMNS]


def repeat_contacts_monthly(landing: Path) -> pl.DataFrame:
    seq = sequenced(landing).filter(pl.col("is_followup_complete"))
    return seq.group_by(*PLACE, "service", "channel", "is_digital").agg(
        n_contacts=pl.len(),
        n_repeated_7d=pl.col("is_repeated_7d").sum(),
        n_repeated_7d_offline=(pl.col("is_repeated_7d") & ~pl.col("next_is_digital")).sum(),
    )


def journeys(landing: Path) -> pl.DataFrame:
    """One row per journey: its first contact's place and segment, first three channels,
    contacts, switches and whether its 30 days ended inside the data."""
    seq = sequenced(landing).sort("party_type", "party_id", "service", "journey_no",
                                  "journey_step")
    seq = seq.with_columns(previous=pl.col("channel").shift(1).over(
        "party_type", "party_id", "service", "journey_no"))
    end = data_end(landing)
    return seq.group_by("party_type", "party_id", "service", "journey_no").agg(
        *[pl.col(c).first() for c in PLACE if c != "party_type"],
        pl.col("journey_started_local").first(),
        channel_1=pl.col("channel").get(0),
        channel_2=pl.col("channel").get(1, null_on_oob=True),
        channel_3=pl.col("channel").get(2, null_on_oob=True),
        n_contacts=pl.len(),
        n_switches=(pl.col("previous").is_not_null()
                    & (pl.col("channel") != pl.col("previous"))).sum(),
    ).with_columns(is_complete=pl.col("journey_started_local") + JOURNEY_WINDOW <= end)


def journeys_monthly(landing: Path) -> pl.DataFrame:
    j = journeys(landing).filter(pl.col("is_complete")).with_columns(
        pl.col("channel_2").fill_null("none"), pl.col("channel_3").fill_null("none"))
    return j.group_by(*PLACE, "service", "channel_1", "channel_2", "channel_3").agg(
        n_journeys=pl.len(),
        n_multi_contact=(pl.col("n_contacts") >= 2).sum(),
        n_switching=(pl.col("n_switches") >= 1).sum(),
        n_contacts=pl.col("n_contacts").sum(),
    )


def jobseeker_contact_months(landing: Path) -> pl.DataFrame:
    """Per job-seeker and month with an inbound contact (raw person_id)."""
    inbound = contacts(landing).filter((pl.col("direction") == "inbound")
                                       & (pl.col("party_type") == "jobseeker"))
    last = inbound.sort("occurred_local", "interaction_id").group_by("month", "party_id").agg(
        pl.col("region_code", "region_name", "agency_code", "agency_name", *SEGMENT_COLUMNS)
        .last(),
        n_inbound=pl.len(),
        n_inbound_digital=pl.col("is_digital").sum(),
    )
    return last.rename({"party_id": "person_id"}).with_columns(
        is_offline_only=pl.col("n_inbound_digital") == 0)


def contact_profiles(months: pl.DataFrame, first_month: dt.date, n_months: int) -> pl.DataFrame:
    """jobseeker_contact_months folded per person and place-and-segment, months as '0'/'1'."""
    keys = ["person_id", "region_code", "region_name", "agency_code", "agency_name",
            *SEGMENT_COLUMNS]
    indexed = months.with_columns(
        index=(pl.col("month").dt.year() - first_month.year) * 12
        + pl.col("month").dt.month() - first_month.month)
    rows = []
    for key, part in indexed.group_by(keys):
        active = set(part["index"].to_list())
        digital = set(part.filter(pl.col("n_inbound_digital") > 0)["index"].to_list())
        rows.append((*key, "".join("1" if i in active else "0" for i in range(n_months)),
                     "".join("1" if i in digital else "0" for i in range(n_months)),
                     part.height, int(part["n_inbound"].sum()),
                     int(part["n_inbound_digital"].sum())))
    out = pl.DataFrame(rows, orient="row", schema=[*keys, "months_active", "months_digital",
                                                   "n_months_active", "n_inbound",
                                                   "n_inbound_digital"])
    return out.with_columns(n_profiles=pl.len().over("person_id"))


def _bin_width(seconds: pl.Expr) -> pl.Expr:
    return pl.when(seconds < 600).then(10).when(seconds < 7200).then(60).otherwise(600)


def channel_durations_monthly(landing: Path) -> pl.DataFrame:
    c = contacts(landing)
    long = pl.concat([
        c.filter(pl.col("wait_s").is_not_null()).with_columns(
            measure=pl.lit("wait"), seconds=pl.col("wait_s").cast(pl.Int64)),
        c.filter(pl.col("duration_s").is_not_null()).with_columns(
            measure=pl.lit("duration"), seconds=pl.col("duration_s").cast(pl.Int64)),
    ])
    width = _bin_width(pl.col("seconds"))
    long = long.with_columns(bin_lower_s=pl.col("seconds") // width * width,
                             bin_upper_s=pl.col("seconds") // width * width + width)
    return long.group_by(*PLACE, "channel", "measure", "bin_lower_s", "bin_upper_s").agg(
        n_contacts=pl.len())


NORMS = {"autonomous": ("Follow-up: 200 to 350", 200, 350), "guided": ("Guided: 100 to 150", 100, 150),
         "intensive": ("Intensive: at most 70", None, 70), "global": ("No published norm", None, None)}


def caseloads_monthly(landing: Path) -> pl.DataFrame:
    """Per month end and counsellor (raw counsellor_id): the spells registered then whose latest
    staff contact within the spell, up to that day, was with the counsellor."""
    agencies = read_source(landing, "agencies").select("agency_code", "region_code",
                                                       "region_name", "agency_name")
    spells = read_source(landing, "jobseekers").select(
        "person_id", "registered_on", "exited_on", "support_tier", "agency_code")
    it = read_source(landing, "interactions").filter(
        (pl.col("party_type") == "jobseeker") & pl.col("counsellor_id").is_not_null()
    ).with_columns(occurred_local=pl.col("occurred_at").cast(pl.Datetime("us")))
    it = it.with_columns(occurred_on=pl.col("occurred_local").dt.date())
    months = contacts(landing).select(pl.col("month").unique()).sort("month").with_columns(
        month_end=pl.col("month").dt.month_end())
    rows = []
    staff = it.sort("occurred_local", "interaction_id").select(
        "party_id", "occurred_on", "counsellor_id").rows()
    by_person: dict[str, list[tuple[dt.date, str]]] = {}
    for person, day, counsellor in staff:
        by_person.setdefault(person, []).append((day, counsellor))
    for month, month_end in months.rows():
        active = spells.filter((pl.col("registered_on") <= month_end)
                               & (pl.col("exited_on").is_null()
                                  | (pl.col("exited_on") > month_end)))
        for person, registered, _exited, tier, agency in active.rows():
            seen = [c for day, c in by_person.get(person, []) if registered <= day <= month_end]
            if seen:
                rows.append((month, seen[-1], tier, agency))
    assigned = pl.DataFrame(rows, schema=["month", "counsellor_id", "support_tier",
                                          "agency_code"], orient="row")

    def mode(column: str) -> pl.DataFrame:
        counted = assigned.group_by("month", "counsellor_id", column).agg(n=pl.len())
        return counted.sort(["n", column], descending=[True, False]).group_by(
            "month", "counsellor_id").agg(pl.col(column).first(), pl.col("n").first(),
                                          pl.col("n").sum().alias("total"))

    tiers = mode("support_tier").rename({"n": "n_caseload_in_tier", "total": "n_caseload"})
    homes = mode("agency_code").select("month", "counsellor_id", "agency_code")
    norms = pl.DataFrame([(t, *v) for t, v in NORMS.items()], orient="row",
                         schema={"support_tier": pl.String, "norm_label": pl.String,
                                 "norm_min": pl.Int32, "norm_max": pl.Int32})
    out = tiers.join(homes, on=["month", "counsellor_id"]).join(norms, on="support_tier",
                                                                how="left")
    return out.join(agencies, on="agency_code", how="left").with_columns(
        is_below_norm=(pl.col("n_caseload") < pl.col("norm_min")).fill_null(False),
        is_above_norm=(pl.col("n_caseload") > pl.col("norm_max")).fill_null(False))

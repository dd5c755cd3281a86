"""Independent Polars recomputation of the outcome and employer-demand marts, from landed files.

Nothing here imports the pipeline or the SQL: it reads the landing folder as a person would and
applies the definitions written in docs/outcome-indicators.md.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from recompute import DIGITAL, jobseeker_flows_monthly, months_window, read_source

SEGMENTS = ["age_band", "sex", "education_level", "digital_skills", "support_tier"]


def _age_band(year: pl.Expr, birth_year: pl.Expr) -> pl.Expr:
    age = year - birth_year
    return (pl.when(age < 25).then(pl.lit("<25")).when(age < 50).then(pl.lit("25-49"))
            .otherwise(pl.lit("50+")))


def _bounds(landing: Path) -> tuple:
    months = months_window(landing)
    return months["month"].min(), months["month"].max(), months["month_end"].max()


def _spells(landing: Path) -> pl.DataFrame:
    agencies = read_source(landing, "agencies").select("agency_code", "region_code",
                                                       "region_name")
    return read_source(landing, "jobseekers").join(agencies, on="agency_code", how="left")


def spell_outcomes(landing: Path) -> pl.DataFrame:
    """One row per spell: follow-up, channel profile, services in the first 3 months."""
    first, _last, window_end = _bounds(landing)
    spells = _spells(landing).with_columns(
        landmark_on=pl.col("registered_on").dt.offset_by("3mo"),
        cohort_month=pl.col("registered_on").dt.truncate("1mo"),
        age_band=_age_band(pl.col("registered_on").dt.year(), pl.col("birth_year")),
    )
    exited = pl.col("exited_on").is_not_null() & (pl.col("exited_on") <= window_end)
    spells = spells.with_columns(
        followed_until=pl.when(exited).then(pl.col("exited_on")).otherwise(pl.lit(window_end)),
        follow_up_status=pl.when(~exited).then(pl.lit("still_registered"))
        .when(pl.col("exit_reason") == "employment").then(pl.lit("employment"))
        .otherwise(pl.lit("other_exit")),
        is_window_entrant=pl.col("registered_on").is_between(first, window_end),
    ).with_columns(
        duration_days=(pl.col("followed_until") - pl.col("registered_on")).dt.total_days())

    contacts = (read_source(landing, "interactions")
                .filter(pl.col("party_type") == "jobseeker")
                .with_columns(occurred_on=pl.col("occurred_at").cast(pl.Datetime).dt.date())
                .sort("occurred_on"))
    keys = spells.select("person_id", "registered_on", "exited_on", "landmark_on") \
        .sort("registered_on")
    attributed = contacts.join_asof(
        keys, left_on="occurred_on", right_on="registered_on", by_left="party_id",
        by_right="person_id", strategy="backward", check_sortedness=False,
    ).filter(pl.col("registered_on").is_not_null()
             & (pl.col("exited_on").is_null() | (pl.col("occurred_on") <= pl.col("exited_on"))))
    before_landmark = pl.col("occurred_on") < pl.col("landmark_on")
    inbound = pl.col("direction") == "inbound"
    per_spell = attributed.group_by(pl.col("party_id").alias("person_id"), "registered_on").agg(
        n_inbound_contacts=inbound.sum(),
        n_inbound_digital_contacts=(inbound & pl.col("channel").is_in(DIGITAL)).sum(),
        n_counselling_first_3m=((pl.col("service") == "counselling") & before_landmark
                                & pl.col("appointment_status").fill_null("attended")
                                .eq("attended")).sum(),
        has_training_referral_first_3m=((pl.col("service") == "training_referral")
                                        & before_landmark).any(),
    )
    out = spells.join(per_spell, on=["person_id", "registered_on"], how="left").with_columns(
        pl.col("n_inbound_contacts", "n_inbound_digital_contacts", "n_counselling_first_3m")
        .fill_null(0),
        pl.col("has_training_referral_first_3m").fill_null(False),
    )
    share = pl.col("n_inbound_digital_contacts") / pl.col("n_inbound_contacts")
    return out.with_columns(channel_profile=(
        pl.when(pl.col("n_inbound_contacts") < 3).then(pl.lit("too_few_contacts"))
        .when(share >= 2 / 3 - 1e-12).then(pl.lit("mostly_digital"))
        .when(share <= 1 / 3 + 1e-12).then(pl.lit("mostly_in_person"))
        .otherwise(pl.lit("mixed"))))


def entry_cohorts(landing: Path) -> pl.DataFrame:
    _first, last_month, _end = _bounds(landing)
    o = spell_outcomes(landing).filter(pl.col("is_window_entrant"))
    job = pl.col("follow_up_status") == "employment"
    aggs = {"n_entrants": pl.len()}
    for h in (6, 12, 24):
        within = job & (pl.col("exited_on") <= pl.col("registered_on").dt.offset_by(f"{h}mo"))
        aggs[f"n_job_within_{h}m"] = within.sum()
    df = o.group_by("cohort_month", "region_code", "region_name", *SEGMENTS).agg(**aggs)
    return df.with_columns(
        pl.when(pl.col("cohort_month").dt.offset_by(f"{h}mo") <= last_month)
        .then(pl.col(f"n_job_within_{h}m")).otherwise(None).alias(f"n_job_within_{h}m")
        for h in (6, 12, 24))


def outcomes_monthly(landing: Path) -> pl.DataFrame:
    flows = jobseeker_flows_monthly(landing).select(
        "month", "region_code", "region_name", *SEGMENTS, "n_stock_end", "n_exits",
        "n_exits_employment")
    exits = _spells(landing).filter((pl.col("exit_reason") == "employment")
                                    & pl.col("exited_on").is_not_null())
    sustain = exits.with_columns(
        month=pl.col("exited_on").dt.truncate("1mo"),
        age_band=_age_band(pl.col("exited_on").dt.year(), pl.col("birth_year")),
    ).group_by("month", "region_code", *SEGMENTS).agg(
        n_employment_outcome_known=pl.col("employed_3_months_after_exit").is_not_null().sum(),
        n_still_employed_3m=pl.col("employed_3_months_after_exit").fill_null(False).sum(),
    )
    return flows.join(sustain, on=["month", "region_code", *SEGMENTS], how="left",
                      nulls_equal=True).with_columns(
        pl.col("n_employment_outcome_known", "n_still_employed_3m").fill_null(0))


def service_intensity(landing: Path) -> pl.DataFrame:
    _first, last_month, _end = _bounds(landing)
    o = spell_outcomes(landing).filter(
        pl.col("is_window_entrant")
        & (pl.col("exited_on").is_null() | (pl.col("exited_on") > pl.col("landmark_on"))))
    n = pl.col("n_counselling_first_3m")
    o = o.with_columns(
        counselling_band=pl.when(n == 0).then(pl.lit("0")).when(n == 1).then(pl.lit("1"))
        .when(n == 2).then(pl.lit("2")).when(n <= 4).then(pl.lit("3-4")).otherwise(pl.lit("5+")),
        has_training_referral=pl.col("has_training_referral_first_3m"),
    )
    horizon = pl.col("exited_on") <= pl.col("landmark_on").dt.offset_by("6mo")
    df = o.group_by("cohort_month", "region_code", "region_name", "age_band", "support_tier",
                    "counselling_band", "has_training_referral").agg(
        n_at_landmark=pl.len(),
        n_exits_employment_6m=((pl.col("exit_reason") == "employment") & horizon).sum(),
        n_exits_6m=horizon.fill_null(False).sum(),
    )
    observed = pl.col("cohort_month").dt.offset_by("9mo") <= last_month
    return df.with_columns(pl.when(observed).then(pl.col(c)).otherwise(None).alias(c)
                           for c in ("n_exits_employment_6m", "n_exits_6m"))


def time_to_employment(landing: Path) -> pl.DataFrame:
    o = spell_outcomes(landing).filter(pl.col("is_window_entrant"))
    status = pl.col("follow_up_status")
    return o.group_by("cohort_month", "region_code", "region_name", "age_band", "support_tier",
                      "digital_skills", "channel_profile", "duration_days").agg(
        n_spells=pl.len(),
        n_exits_employment=(status == "employment").sum(),
        n_censored_still_registered=(status == "still_registered").sum(),
        n_censored_other_exit=(status == "other_exit").sum(),
    )


def _vacancies(landing: Path) -> pl.DataFrame:
    agencies = read_source(landing, "agencies").select("agency_code", "region_code",
                                                       "region_name")
    return read_source(landing, "vacancies").join(agencies, on="agency_code", how="left") \
        .with_columns(isco_major_group=pl.col("isco08").str.slice(0, 1),
                      isco_sub_major_group=pl.col("isco08").str.slice(0, 2),
                      isco_minor_group=pl.col("isco08").str.slice(0, 3))


def vacancy_postings(landing: Path) -> pl.DataFrame:
    first, _last, window_end = _bounds(landing)
    v = _vacancies(landing).filter(pl.col("posted_on").is_between(first, window_end))
    return v.with_columns(
        month=pl.col("posted_on").dt.truncate("1mo"),
        is_sme=pl.col("employer_size") != "large",
        is_sme_under_50=pl.col("employer_size").is_in(["micro", "small"]),
    ).group_by("month", "region_code", "region_name", "isco08", "isco_major_group",
               "isco_sub_major_group", "isco_minor_group", "nace_section", "employer_size",
               "is_sme", "is_sme_under_50").agg(
        n_vacancies_posted=pl.len(), n_positions_posted=pl.col("n_positions").sum())


def vacancy_closures(landing: Path) -> pl.DataFrame:
    first, _last, window_end = _bounds(landing)
    v = _vacancies(landing).filter(pl.col("closed_on").is_between(first, window_end))
    both = pl.col("n_candidates_proposed").is_not_null() & pl.col("n_hires_from_proposed") \
        .is_not_null()
    return v.with_columns(
        month=pl.col("closed_on").dt.truncate("1mo"),
        close_reason=pl.col("close_reason").fill_null("unknown"),
        days_open=(pl.col("closed_on") - pl.col("posted_on")).dt.total_days(),
    ).group_by("month", "region_code", "region_name", "isco08", "isco_major_group",
               "isco_sub_major_group", "isco_minor_group", "nace_section", "employer_size",
               "close_reason", "days_open").agg(
        n_vacancies_closed=pl.len(),
        n_vacancies_with_proposals=(both & (pl.col("n_candidates_proposed") > 0)).sum(),
        n_candidates_proposed=pl.col("n_candidates_proposed").filter(both).sum(),
        n_hires_from_proposed=pl.col("n_hires_from_proposed").filter(both).sum(),
    )


def vacancy_tension_monthly(landing: Path) -> pl.DataFrame:
    months = months_window(landing)
    agencies = read_source(landing, "agencies")
    regions = agencies.group_by("region_code").agg(pl.col("region_name").min())
    v = _vacancies(landing)
    open_ = months.join(v, how="cross").filter(
        (pl.col("posted_on") <= pl.col("month_end"))
        & (pl.col("closed_on").is_null() | (pl.col("closed_on") > pl.col("month_end")))
    ).group_by("month", "region_code").agg(n_vacancies_open_end=pl.len())
    s = _spells(landing)
    stock = months.join(s, how="cross").filter(
        (pl.col("registered_on") <= pl.col("month_end"))
        & (pl.col("exited_on").is_null() | (pl.col("exited_on") > pl.col("month_end")))
    ).group_by("month", "region_code").agg(n_jobseekers_end=pl.len())
    return (months.select("month").join(regions, how="cross")
            .join(open_, on=["month", "region_code"], how="left")
            .join(stock, on=["month", "region_code"], how="left")
            .with_columns(pl.col("n_vacancies_open_end", "n_jobseekers_end").fill_null(0)))


def vacancy_series(landing: Path) -> tuple[list, dict[tuple[str, str], list[int]]]:
    """Vacancies posted per window month: national, per region, per major group, per both."""
    months = months_window(landing)["month"].to_list()
    v = _vacancies(landing).with_columns(month=pl.col("posted_on").dt.truncate("1mo")) \
        .filter(pl.col("month").is_in(months))
    regions = read_source(landing, "agencies")["region_code"].unique().to_list()
    groups = [str(d) for d in range(10)]  # every ISCO-08 major group, 0 = armed forces
    series = {(r, g): [0] * len(months) for r in [*regions, "ALL"] for g in [*groups, "ALL"]}
    for keys in ((), ("region_code",), ("isco_major_group",), ("region_code", "isco_major_group")):
        counts = v.group_by("month", *keys).agg(n=pl.len()) if keys else \
            v.group_by("month").agg(n=pl.len())
        groups = counts.partition_by(*keys, as_dict=True) if keys else {(): counts}
        for key, part in groups.items():
            region = key[keys.index("region_code")] if "region_code" in keys else "ALL"
            group = key[keys.index("isco_major_group")] if "isco_major_group" in keys else "ALL"
            by_month = dict(zip(part["month"].to_list(), part["n"].to_list(), strict=True))
            series[(region, group)] = [by_month.get(m, 0) for m in months]
    return months, series


def _sought(code: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(major, sub-major) group of an occupation sought; 'unknown' where not recorded."""
    return (code.str.slice(0, 1).fill_null("unknown").alias("isco_major_group"),
            pl.when(code.str.len_chars() >= 2).then(code.str.slice(0, 2))
            .otherwise(pl.lit("unknown")).alias("isco_sub_major_group"))


MAJOR_LABELS = {"0": "Armed forces occupations", "1": "Managers", "2": "Professionals",
                "3": "Technicians and associate professionals",
                "4": "Clerical support workers", "5": "Service and sales workers",
                "6": "Skilled agricultural, forestry and fishery workers",
                "7": "Craft and related trades workers",
                "8": "Plant and machine operators, and assemblers",
                "9": "Elementary occupations", "unknown": "Occupation sought not recorded"}


def _occupation_grid(months: pl.DataFrame, landing: Path, occupations: pl.DataFrame
                     ) -> pl.DataFrame:
    regions = read_source(landing, "agencies").group_by("region_code").agg(
        pl.col("region_name").min())
    return (months.select("month").join(regions, how="cross")
            .join(occupations.unique(), how="cross")
            .with_columns(isco_major_group_label=pl.col("isco_major_group")
                          .replace_strict(MAJOR_LABELS, default=None)))


def jobseeker_occupations_monthly(landing: Path) -> pl.DataFrame:
    """Stock at month end, inflows and exits to employment per region x occupation sought."""
    months = months_window(landing)
    s = _spells(landing).with_columns(*_sought(pl.col("sought_isco08")))
    keys = ["month", "region_code", "isco_major_group", "isco_sub_major_group"]
    stock = months.join(s, how="cross").filter(
        (pl.col("registered_on") <= pl.col("month_end"))
        & (pl.col("exited_on").is_null() | (pl.col("exited_on") > pl.col("month_end")))
    ).group_by(keys).agg(n_stock_end=pl.len())
    inflows = s.with_columns(month=pl.col("registered_on").dt.truncate("1mo")) \
        .group_by(keys).agg(n_inflows=pl.len())
    exits = s.filter(pl.col("exit_reason") == "employment").with_columns(
        month=pl.col("exited_on").dt.truncate("1mo")).group_by(keys).agg(
        n_exits_employment=pl.len())
    grid = _occupation_grid(months, landing,
                            s.select("isco_major_group", "isco_sub_major_group"))
    return (grid.join(stock, on=keys, how="left").join(inflows, on=keys, how="left")
            .join(exits, on=keys, how="left")
            .with_columns(pl.col("n_stock_end", "n_inflows", "n_exits_employment").fill_null(0)))


def vacancy_tension_occupation_monthly(landing: Path) -> pl.DataFrame:
    """Open vacancies (by their occupation) and registered job-seekers (by the occupation
    sought) at each month's end, per region x major x sub-major group."""
    months = months_window(landing)
    keys = ["month", "region_code", "isco_major_group", "isco_sub_major_group"]
    open_ = months.join(_vacancies(landing), how="cross").filter(
        (pl.col("posted_on") <= pl.col("month_end"))
        & (pl.col("closed_on").is_null() | (pl.col("closed_on") > pl.col("month_end")))
    ).group_by(keys).agg(n_vacancies_open_end=pl.len())
    s = _spells(landing).with_columns(*_sought(pl.col("sought_isco08")))
    stock = months.join(s, how="cross").filter(
        (pl.col("registered_on") <= pl.col("month_end"))
        & (pl.col("exited_on").is_null() | (pl.col("exited_on") > pl.col("month_end")))
    ).group_by(keys).agg(n_jobseekers_end=pl.len())
    occupations = pl.concat([
        open_.select("isco_major_group", "isco_sub_major_group"),
        s.select("isco_major_group", "isco_sub_major_group")])
    return (_occupation_grid(months, landing, occupations)
            .join(open_, on=keys, how="left").join(stock, on=keys, how="left")
            .with_columns(pl.col("n_vacancies_open_end", "n_jobseekers_end").fill_null(0)))

"""Independent Polars recomputation of the marts, from the raw landed files.

Nothing here imports the pipeline: it reads the landing folder as a person would, with
its raw identifiers, and applies the definitions written in docs/warehouse.md.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

DIGITAL = ["web", "app", "email", "video", "chat", "sms", "kiosk"]


def read_source(landing: Path, source: str) -> pl.DataFrame:
    files = sorted((landing / source).glob("*"))
    frames = [pl.read_parquet(f) if f.suffix == ".parquet" else pl.read_csv(f, infer_schema=False)
              for f in files]
    return pl.concat(frames, how="diagonal_relaxed")


def _age_band(age: pl.Expr) -> pl.Expr:
    return pl.when(age < 25).then(pl.lit("<25")).when(age < 50).then(pl.lit("25-49")) \
        .otherwise(pl.lit("50+"))


def months_window(landing: Path) -> pl.DataFrame:
    it = read_source(landing, "interactions").select(
        pl.col("occurred_at").cast(pl.Datetime).dt.truncate("1mo").dt.date().alias("m"))
    first, last = it["m"].min(), it["m"].max()
    months = pl.date_range(first, last, "1mo", eager=True).alias("month")
    return pl.DataFrame(months).with_columns(month_end=pl.col("month").dt.month_end())


def contacts_monthly(landing: Path) -> pl.DataFrame:
    agencies = read_source(landing, "agencies").select("agency_code", "region_code",
                                                       "region_name", "agency_name")
    spells = read_source(landing, "jobseekers").select(
        "person_id", "registered_on", "birth_year", "education_level", "digital_skills",
        "support_tier"
    ).sort("registered_on")
    it = read_source(landing, "interactions").with_columns(
        # Naive times in the files are local to the PES: the local date is the date part.
        occurred_on=pl.col("occurred_at").cast(pl.Datetime).dt.date())
    js = it.filter(pl.col("party_type") == "jobseeker").sort("occurred_on").join_asof(
        spells, left_on="occurred_on", right_on="registered_on", by_left="party_id",
        by_right="person_id", strategy="backward", check_sortedness=False)
    js = js.with_columns(
        age_band=pl.when(pl.col("birth_year").is_null()).then(pl.lit("unknown"))
        .otherwise(_age_band(pl.col("occurred_on").dt.year() - pl.col("birth_year"))),
        education_level=pl.col("education_level").fill_null("unknown"),
        digital_skills=pl.col("digital_skills").fill_null("unknown"),
        support_tier=pl.col("support_tier").fill_null("unknown"),
    ).drop("registered_on", "birth_year")
    emp = it.filter(pl.col("party_type") == "employer").with_columns(
        age_band=pl.lit("n/a"), education_level=pl.lit("n/a"), digital_skills=pl.lit("n/a"),
        support_tier=pl.lit("n/a"))
    both = pl.concat([js.select(emp.columns), emp], how="vertical_relaxed")
    keys = ["month", "agency_code", "channel", "service", "direction", "party_type",
            "is_staff_assisted", "age_band", "education_level", "digital_skills", "support_tier"]
    return (both.with_columns(month=pl.col("occurred_on").dt.truncate("1mo"))
            .join(agencies, on="agency_code", how="left")
            .group_by(keys + ["region_code", "region_name", "agency_name"])
            .agg(
                n_contacts=pl.len(),
                n_rated=pl.col("satisfaction").is_not_null().sum(),
                n_satisfied=(pl.col("satisfaction") >= 4).sum(),
                n_appointments=pl.col("appointment_status").is_in(["attended", "no_show"]).sum(),
                n_no_shows=(pl.col("appointment_status") == "no_show").sum(),
                n_resolution_known=pl.col("is_resolved").is_not_null().sum(),
                n_resolved=pl.col("is_resolved").fill_null(False).sum(),
            )
            .with_columns(is_digital=pl.col("channel").is_in(DIGITAL)))


def jobseeker_flows_monthly(landing: Path) -> pl.DataFrame:
    agencies = read_source(landing, "agencies").select("agency_code", "region_code",
                                                       "region_name")
    spells = read_source(landing, "jobseekers").join(agencies, on="agency_code", how="left")
    months = months_window(landing)
    seg = ["region_code", "region_name", "sex", "education_level", "digital_skills",
           "support_tier", "birth_year"]
    stock = (months.join(spells, how="cross")
             .filter((pl.col("registered_on") <= pl.col("month_end"))
                     & (pl.col("exited_on").is_null() | (pl.col("exited_on") > pl.col("month_end"))))
             .select("month", *seg).with_columns(event=pl.lit("stock"), exit_reason=pl.lit(None)))
    inflow = spells.select(pl.col("registered_on").dt.truncate("1mo").alias("month"), *seg) \
        .with_columns(event=pl.lit("inflow"), exit_reason=pl.lit(None))
    exits = spells.filter(pl.col("exited_on").is_not_null()).select(
        pl.col("exited_on").dt.truncate("1mo").alias("month"), *seg, "exit_reason"
    ).with_columns(event=pl.lit("exit"))
    cols = ["month", *seg, "event", "exit_reason"]
    events = pl.concat([stock.select(cols), inflow.select(cols), exits.select(cols)],
                       how="vertical_relaxed")
    events = events.filter(pl.col("month").is_between(months["month"].min(), months["month"].max()))
    events = events.with_columns(age_band=_age_band(pl.col("month").dt.year() - pl.col("birth_year")))
    is_exit = pl.col("event") == "exit"
    reasons = ["employment", "training", "other_benefit", "sanction_or_removal", "no_renewal",
               "retirement"]
    return events.group_by("month", "region_code", "region_name", "age_band", "sex",
                           "education_level", "digital_skills", "support_tier").agg(
        n_stock_end=(pl.col("event") == "stock").sum(),
        n_inflows=(pl.col("event") == "inflow").sum(),
        n_exits=is_exit.sum(),
        **{f"n_exits_{r}": (is_exit & (pl.col("exit_reason") == r)).sum() for r in reasons},
        n_exits_other=(is_exit & ((pl.col("exit_reason") == "other")
                                  | pl.col("exit_reason").is_null())).sum(),
    )


def vacancies_monthly(landing: Path) -> pl.DataFrame:
    agencies = read_source(landing, "agencies").select("agency_code", "region_code",
                                                       "region_name")
    vac = read_source(landing, "vacancies").join(agencies, on="agency_code", how="left") \
        .with_columns(isco_major_group=pl.col("isco08").str.slice(0, 1))
    months = months_window(landing)
    seg = ["region_code", "region_name", "isco_major_group", "employer_size"]
    open_ = (months.join(vac, how="cross")
             .filter((pl.col("posted_on") <= pl.col("month_end"))
                     & (pl.col("closed_on").is_null() | (pl.col("closed_on") > pl.col("month_end"))))
             .select("month", *seg, "n_positions", "close_reason").with_columns(event=pl.lit("open")))
    posted = vac.select(pl.col("posted_on").dt.truncate("1mo").alias("month"), *seg,
                        "n_positions", "close_reason").with_columns(event=pl.lit("posted"))
    closed = vac.filter(pl.col("closed_on").is_not_null()).select(
        pl.col("closed_on").dt.truncate("1mo").alias("month"), *seg, "n_positions",
        "close_reason").with_columns(event=pl.lit("closed"))
    events = pl.concat([open_, posted, closed], how="vertical_relaxed").filter(
        pl.col("month").is_between(months["month"].min(), months["month"].max()))
    closed_ = pl.col("event") == "closed"
    return events.group_by("month", *seg).agg(
        n_vacancies_posted=(pl.col("event") == "posted").sum(),
        n_positions_posted=pl.col("n_positions").filter(pl.col("event") == "posted").sum(),
        n_vacancies_closed=closed_.sum(),
        n_filled_pes=(closed_ & (pl.col("close_reason") == "filled_pes")).sum(),
        n_filled_other=(closed_ & (pl.col("close_reason") == "filled_other")).sum(),
        n_open_end=(pl.col("event") == "open").sum(),
    )

"""Questions the Outcomes and Employers pages ask; SQL against the published marts only.

Every value from a user reaches DuckDB as a bound parameter. Column names in the SQL come from
the constants below, never from a request. Rates on a denominator under ``min_denominator``
are returned as null with ``is_suppressed`` true (REFERENCE.md: rates on fewer than about 30
are not published). Definitions: docs/outcome-indicators.md. ``_where`` cuts every mart read to
the user's regions; the national forecast series is refused to a regional scope
(docs/access-control.md). Official statistics (BMO, Eurostat) are public and not scoped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from dashboards import official_queries as oq
from dashboards.db import Warehouse, warehouse_for
from dashboards.queries import Filters, region_clause
from observatory import access
from warehouse.analytics import survival

MIN_DENOMINATOR = 30
# Breakdowns of the A1 and sustainability charts: column -> label.
BREAKDOWNS = {"region": "Region", "age_band": "Age band", "sex": "Sex",
              "education_level": "Education", "support_tier": "Support tier",
              "digital_skills": "Digital skills"}
CURVES = {"support_tier": "Support tier", "age_band": "Age band",
          "digital_skills": "Digital skills", "channel_profile": "Channel profile"}
ORDER = {
    "age_band": ("<25", "25-49", "50+"),
    "sex": ("F", "M", "X"),
    "education_level": ("low", "medium", "high"),
    "support_tier": ("autonomous", "guided", "intensive", "global"),
    "digital_skills": ("none", "basic", "above_basic", "unknown"),
    "channel_profile": ("mostly_digital", "mixed", "mostly_in_person", "too_few_contacts"),
    "counselling_band": ("0", "1", "2", "3-4", "5+"),
    "employer_size": ("micro", "small", "medium", "large"),
}
CLOSE_REASONS = ("filled_pes", "filled_other", "withdrawn", "expired", "unknown")
ALL = "ALL"
ISCO_ALL = "all"
# NUTS 2021 level-1 codes of the French regions -> the INSEE region codes BMO uses.
NUTS1_TO_INSEE_REGION = {
    "FR1": "11", "FRB": "24", "FRC": "27", "FRD": "28", "FRE": "32", "FRF": "44", "FRG": "52",
    "FRH": "53", "FRI": "75", "FRJ": "76", "FRK": "84", "FRL": "93", "FRM": "94",
    "FRY1": "01", "FRY2": "02", "FRY3": "03", "FRY4": "04", "FRY5": "06",
}
TIME_TO_FILL_BIN_DAYS = 15
TIME_TO_FILL_LAST_BIN = 180


def _where(f: Filters | None, *, month: str | None = "month",
           segments: Sequence[str] = ("age_band", "digital_skills", "support_tier"),
           isco: str | None = None, table: str = "") -> tuple[str, dict[str, object]]:
    """WHERE clauses for the filters that apply to a mart (``month`` None: every month);
    ``table`` qualifies the columns in a join."""
    q = f"{table}." if table else ""
    clauses, params = ["true"], {}
    if region := region_clause(f, params, f"{q}region_code"):
        clauses.append(region)
    if f is not None:
        if month:
            clauses.append(f"{q}{month} BETWEEN $month_from AND $month_to")
            params.update(month_from=f.month_from, month_to=f.month_to)
        for column in segments:
            if values := getattr(f, column):
                clauses.append(f"{q}{column} IN (SELECT unnest(${column}))")
                params[column] = list(values)
    if isco and isco != ISCO_ALL:
        clauses.append(f"starts_with({q}isco08, $isco)")
        params["isco"] = isco
    return " AND ".join(clauses), params


def _rate(numerator: str, denominator: str, min_denominator: int, name: str) -> list[pl.Expr]:
    small = pl.col(denominator).is_null() | (pl.col(denominator) < min_denominator)
    return [
        pl.when(small).then(None).otherwise(pl.col(numerator) / pl.col(denominator)).alias(name),
        small.alias("is_suppressed"),
    ]


def _ordered(df: pl.DataFrame, column: str, key: str) -> pl.DataFrame:
    order = ORDER.get(key)
    if not order or df.is_empty():
        return df.sort(column)
    rank = {v: i for i, v in enumerate(order)}
    return df.with_columns(pl.col(column).replace_strict(rank, default=len(order),
                                                         return_dtype=pl.Int64).alias("_rank")
                           ).sort("_rank", column).drop("_rank")


def _months(f: Filters) -> pl.DataFrame:
    return pl.DataFrame({"month": pl.date_range(f.month_from, f.month_to, interval="1mo",
                                                eager=True)})


# -- outcomes: A1 transition rate and sustainability --------------------------------------------

def transition_rate_monthly(wh: Warehouse, f: Filters, min_denominator: int = MIN_DENOMINATOR
                            ) -> pl.DataFrame:
    """Per month: n_exits_employment, n_stock_end, rate_a1 (outflows x 100 / end-of-month stock),
    n_employment_outcome_known, n_still_employed_3m, share_still_employed_3m."""
    where, params = _where(f)
    df = wh.frame(f"""
        SELECT month, sum(n_exits_employment)::BIGINT AS n_exits_employment,
               sum(n_stock_end)::BIGINT AS n_stock_end,
               sum(n_employment_outcome_known)::BIGINT AS n_employment_outcome_known,
               sum(n_still_employed_3m)::BIGINT AS n_still_employed_3m
        FROM marts.mart_outcomes_monthly WHERE {where} GROUP BY month""", params)
    df = _months(f).join(df, on="month", how="left").with_columns(
        pl.col(c).fill_null(0) for c in df.columns if c != "month").sort("month")
    small_stock = pl.col("n_stock_end") < min_denominator
    small_known = pl.col("n_employment_outcome_known") < min_denominator
    return df.with_columns(
        pl.when(small_stock).then(None)
        .otherwise(pl.col("n_exits_employment") * 100 / pl.col("n_stock_end")).alias("rate_a1"),
        pl.when(small_known).then(None)
        .otherwise(pl.col("n_still_employed_3m") / pl.col("n_employment_outcome_known"))
        .alias("share_still_employed_3m"),
        small_stock.alias("is_rate_a1_suppressed"),
        small_known.alias("is_share_suppressed"),
    )


def transition_rate_by(wh: Warehouse, f: Filters, by: str,
                       min_denominator: int = MIN_DENOMINATOR) -> pl.DataFrame:
    """Over the period, per value of ``by`` (a BREAKDOWNS key): key, label, n_months,
    n_exits_employment, mean_stock (sum of end-of-month stocks / months), rate_a1,
    n_employment_outcome_known, n_still_employed_3m, share_still_employed_3m."""
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}")
    key = "region_code" if by == "region" else by
    label = "any_value(region_name)" if by == "region" else by
    where, params = _where(f)
    df = wh.frame(f"""
        SELECT {key} AS key, {label} AS label,
               sum(n_exits_employment)::BIGINT AS n_exits_employment,
               sum(n_stock_end)::BIGINT AS n_stock_end_sum,
               sum(n_employment_outcome_known)::BIGINT AS n_employment_outcome_known,
               sum(n_still_employed_3m)::BIGINT AS n_still_employed_3m
        FROM marts.mart_outcomes_monthly WHERE {where}
        GROUP BY {key}""", params)
    df = df.with_columns(pl.lit(f.n_months).alias("n_months"),
                         (pl.col("n_stock_end_sum") / f.n_months).alias("mean_stock"))
    small_stock = pl.col("mean_stock") < min_denominator
    small_known = pl.col("n_employment_outcome_known") < min_denominator
    df = df.with_columns(
        pl.when(small_stock).then(None)
        .otherwise(pl.col("n_exits_employment") * 100 / pl.col("mean_stock")).alias("rate_a1"),
        pl.when(small_known).then(None)
        .otherwise(pl.col("n_still_employed_3m") / pl.col("n_employment_outcome_known"))
        .alias("share_still_employed_3m"),
        small_stock.alias("is_rate_a1_suppressed"),
        small_known.alias("is_share_suppressed"),
    ).drop("n_stock_end_sum")
    if by == "region":
        return df.sort("label", "key")
    return _ordered(df.with_columns(pl.col("key").alias("label")), "key", by)


# -- outcomes: entry cohorts ----------------------------------------------------------------

def job_access_by_cohort(wh: Warehouse, f: Filters, min_denominator: int = MIN_DENOMINATOR
                         ) -> pl.DataFrame:
    """Per entry month (every cohort of the data: the period filter does not apply): n_entrants,
    n_job_within_{6,12,24}m and rate_{6,12,24}m; null where the cohort lacks the follow-up."""
    where, params = _where(f, month=None, segments=("age_band", "digital_skills", "support_tier"))
    df = wh.frame(f"""
        SELECT cohort_month, sum(n_entrants)::BIGINT AS n_entrants,
               sum(n_job_within_6m)::BIGINT AS n_job_within_6m,
               sum(n_job_within_12m)::BIGINT AS n_job_within_12m,
               sum(n_job_within_24m)::BIGINT AS n_job_within_24m,
               bool_and(n_job_within_6m IS NOT NULL) AS is_observed_6m,
               bool_and(n_job_within_12m IS NOT NULL) AS is_observed_12m,
               bool_and(n_job_within_24m IS NOT NULL) AS is_observed_24m
        FROM marts.mart_entry_cohorts WHERE {where}
        GROUP BY cohort_month ORDER BY cohort_month""", params)
    small = pl.col("n_entrants") < min_denominator
    return df.with_columns(
        [pl.when(small | ~pl.col(f"is_observed_{h}m")).then(None)
         .otherwise(pl.col(f"n_job_within_{h}m") / pl.col("n_entrants")).alias(f"rate_{h}m")
         for h in (6, 12, 24)]
        + [small.alias("is_suppressed")])


# -- outcomes: time to employment -----------------------------------------------------------

def survival_counts(wh: Warehouse, f: Filters, by: str) -> pl.DataFrame:
    """Per group of ``by`` (a CURVES key) and duration: events and censorings, summed."""
    if by not in CURVES:
        raise ValueError(f"unknown curve grouping {by!r}")
    where, params = _where(f, month=None)
    return wh.frame(f"""
        SELECT {by} AS "group", duration_days,
               sum(n_exits_employment)::BIGINT AS n_events,
               sum(n_censored_still_registered)::BIGINT AS n_censored_still_registered,
               sum(n_censored_other_exit)::BIGINT AS n_censored_other_exit
        FROM marts.mart_time_to_employment WHERE {where}
        GROUP BY ALL ORDER BY 1, 2""", params)


def time_to_employment(wh: Warehouse, f: Filters, by: str, *, confidence: float = 0.95,
                       min_n: int = MIN_DENOMINATOR) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Kaplan–Meier curves of the time from registration to an exit to employment, per group.

    Returns (curves: group, time (days), n_at_risk, n_events, n_censored, survival, lower, upper;
    summary: group, n_spells, n_events, n_censored_still_registered, n_censored_other_exit,
    median_days with its Brookmeyer–Crowley interval, and the same for the 25% quantile).
    Groups with fewer than ``min_n`` spells get no curve and no median (is_suppressed).
    """
    counts = survival_counts(wh, f, by)
    curves, summary = [], []
    groups = counts["group"].unique().to_list() if not counts.is_empty() else []
    for group in ORDER.get(by, ()) + tuple(sorted(g for g in groups if g not in ORDER.get(by, ()))):
        part = counts.filter(pl.col("group") == group)
        if part.is_empty():
            continue
        n_spells = int(part.select(pl.sum_horizontal(
            "n_events", "n_censored_still_registered", "n_censored_other_exit").sum()).item())
        row = {"group": group, "n_spells": n_spells,
               "n_events": int(part["n_events"].sum()),
               "n_censored_still_registered": int(part["n_censored_still_registered"].sum()),
               "n_censored_other_exit": int(part["n_censored_other_exit"].sum()),
               "is_suppressed": n_spells < min_n}
        if n_spells >= min_n:
            table = survival.kaplan_meier_from_counts(
                part["duration_days"].to_numpy(), part["n_events"].to_numpy(),
                (part["n_censored_still_registered"] + part["n_censored_other_exit"]).to_numpy(),
                confidence=confidence)
            curves.append(table.with_columns(pl.lit(group).alias("group")))
            for name, p in (("median", 0.5), ("q25", 0.25)):
                q = survival.survival_quantile(table, p)
                row |= {f"{name}_days": q.time, f"{name}_lower": q.lower, f"{name}_upper": q.upper}
        summary.append(row)
    curve_schema = {"group": pl.String, "time": pl.Float64, "n_at_risk": pl.Int64,
                    "n_events": pl.Int64, "n_censored": pl.Int64, "survival": pl.Float64,
                    "std_err": pl.Float64, "lower": pl.Float64, "upper": pl.Float64}
    curves_df = (pl.concat(curves).select(list(curve_schema)) if curves
                 else pl.DataFrame(schema=curve_schema))
    summary_schema = {"group": pl.String, "n_spells": pl.Int64, "n_events": pl.Int64,
                      "n_censored_still_registered": pl.Int64,
                      "n_censored_other_exit": pl.Int64, "is_suppressed": pl.Boolean,
                      **{f"{q}_{s}": pl.Float64 for q in ("median", "q25")
                         for s in ("days", "lower", "upper")}}
    return curves_df, pl.DataFrame(summary, schema=summary_schema)


# -- outcomes: service intensity ------------------------------------------------------------

def service_intensity(wh: Warehouse, f: Filters, min_denominator: int = MIN_DENOMINATOR
                      ) -> pl.DataFrame:
    """Entrants still registered at 3 months, by counselling contacts in those 3 months and
    training referral: n_at_landmark, n_exits_employment_6m, rate_employment_6m (observed
    cohorts only; the period filter does not apply; the mart has no digital-skills column)."""
    where, params = _where(f, month=None, segments=("age_band", "support_tier"))
    df = wh.frame(f"""
        SELECT counselling_band, has_training_referral,
               sum(n_at_landmark)::BIGINT AS n_at_landmark,
               sum(n_exits_employment_6m)::BIGINT AS n_exits_employment_6m,
               sum(n_exits_6m)::BIGINT AS n_exits_6m
        FROM marts.mart_service_intensity
        WHERE {where} AND n_exits_employment_6m IS NOT NULL
        GROUP BY ALL""", params)
    df = df.with_columns(_rate("n_exits_employment_6m", "n_at_landmark", min_denominator,
                               "rate_employment_6m"))
    return _ordered(df.sort("has_training_referral"), "counselling_band", "counselling_band")


# -- employers: ISCO drill-down -------------------------------------------------------------

def isco_groups(wh: Warehouse) -> pl.DataFrame:
    """Every ISCO-08 code vacancies use or job-seekers seek, at levels 1-4: isco_code, level,
    parent_code, label, label_source."""
    return wh.frame("SELECT isco_code, level, parent_code, label, label_source "
                    "FROM core.dim_isco_group ORDER BY isco_code")


def isco_label(code: str, labels: dict[str, str | None]) -> str:
    if code in (ISCO_ALL, ALL):
        return "All occupations"
    name = labels.get(code)
    return f"{code} {name}" if name else f"ISCO-08 {code}"


def isco_level_column(isco: str) -> str:
    """The mart column holding the children of ``isco`` (its next level down)."""
    depth = 0 if isco == ISCO_ALL else len(isco)
    return ("isco_major_group", "isco_sub_major_group", "isco_minor_group", "isco08",
            "isco08")[depth]


def vacancies_by_occupation(wh: Warehouse, f: Filters, isco: str = ISCO_ALL) -> pl.DataFrame:
    """Vacancies posted in the period under ``isco``, one row per child code (next level down;
    a unit group shows itself): isco_code, label, n_vacancies_posted, n_positions_posted, share."""
    column = isco_level_column(isco)
    where, params = _where(f, segments=(), isco=isco, table="p")
    df = wh.frame(f"""
        SELECT p.{column} AS isco_code, g.label,
               sum(p.n_vacancies_posted)::BIGINT AS n_vacancies_posted,
               sum(p.n_positions_posted)::BIGINT AS n_positions_posted
        FROM marts.mart_vacancy_postings AS p
        LEFT JOIN core.dim_isco_group AS g ON g.isco_code = p.{column}
        WHERE {where}
        GROUP BY ALL ORDER BY isco_code""", params)
    total = df["n_vacancies_posted"].sum() if not df.is_empty() else 0
    return df.with_columns(
        (pl.col("n_vacancies_posted") / total if total else pl.lit(None, pl.Float64))
        .alias("share"))


_VACANCY_KEYS = {"nace_section": ("nace_section", "nace_section"),
                 "region": ("region_code", "any_value(region_name)"),
                 "employer_size": ("employer_size", "employer_size")}


def vacancies_by(wh: Warehouse, f: Filters, key: str, isco: str = ISCO_ALL) -> pl.DataFrame:
    """Vacancies posted in the period per NACE section, region or employer size: key, label,
    n_vacancies_posted, n_positions_posted, share."""
    column, label = _VACANCY_KEYS[key]
    where, params = _where(f, segments=(), isco=isco)
    df = wh.frame(f"""
        SELECT {column} AS key, {label} AS label,
               sum(n_vacancies_posted)::BIGINT AS n_vacancies_posted,
               sum(n_positions_posted)::BIGINT AS n_positions_posted
        FROM marts.mart_vacancy_postings WHERE {where}
        GROUP BY {column} ORDER BY {column}""", params)
    total = df["n_vacancies_posted"].sum() if not df.is_empty() else 0
    df = df.with_columns((pl.col("n_vacancies_posted") / total if total
                          else pl.lit(None, pl.Float64)).alias("share"))
    return _ordered(df, "key", key) if key == "employer_size" else df


def sme_shares(wh: Warehouse, f: Filters, isco: str = ISCO_ALL) -> dict[str, float | int | None]:
    """n_vacancies_posted, share_sme (under 250 staff, the EU definition) and share_under_50."""
    where, params = _where(f, segments=(), isco=isco)
    row = wh.frame(f"""
        SELECT coalesce(sum(n_vacancies_posted), 0)::BIGINT AS n_vacancies_posted,
               coalesce(sum(n_vacancies_posted) FILTER (WHERE is_sme), 0)::BIGINT AS n_sme,
               coalesce(sum(n_vacancies_posted) FILTER (WHERE is_sme_under_50), 0)::BIGINT
                   AS n_under_50
        FROM marts.mart_vacancy_postings WHERE {where}""", params).row(0, named=True)
    n = row["n_vacancies_posted"]
    return {**row, "share_sme": row["n_sme"] / n if n else None,
            "share_under_50": row["n_under_50"] / n if n else None}


# -- employers: closures, time to fill, relevance -------------------------------------------

def closures_by_reason(wh: Warehouse, f: Filters, isco: str = ISCO_ALL) -> pl.DataFrame:
    """Vacancies closed in the period by close reason, per child ISCO code: isco_code, label,
    n_closed, n_filled_pes, n_filled_other, n_withdrawn, n_expired, n_unknown,
    fill_rate_pes, fill_rate_any (out of closed vacancies)."""
    column = isco_level_column(isco)
    where, params = _where(f, segments=(), isco=isco, table="c")
    df = wh.frame(f"""
        SELECT c.{column} AS isco_code, g.label,
               sum(c.n_vacancies_closed)::BIGINT AS n_closed,
               {", ".join(
                   f"coalesce(sum(c.n_vacancies_closed) FILTER (WHERE c.close_reason = '{r}'), 0)"
                   f"::BIGINT AS n_{r}" for r in CLOSE_REASONS)}
        FROM marts.mart_vacancy_closures AS c
        LEFT JOIN core.dim_isco_group AS g ON g.isco_code = c.{column}
        WHERE {where}
        GROUP BY ALL ORDER BY isco_code""", params)
    return df.with_columns(
        (pl.col("n_filled_pes") / pl.col("n_closed")).alias("fill_rate_pes"),
        ((pl.col("n_filled_pes") + pl.col("n_filled_other")) / pl.col("n_closed"))
        .alias("fill_rate_any"))


def fill_totals(closures: pl.DataFrame, min_denominator: int = MIN_DENOMINATOR) -> dict:
    """Totals of ``closures_by_reason``: n_closed, n_filled_pes, n_filled_other, the rates."""
    totals = {c: int(closures[c].sum()) if not closures.is_empty() else 0
              for c in ("n_closed", *(f"n_{r}" for r in CLOSE_REASONS))}
    n = totals["n_closed"]
    ok = n >= min_denominator
    return {**totals,
            "fill_rate_pes": totals["n_filled_pes"] / n if ok else None,
            "fill_rate_any": (totals["n_filled_pes"] + totals["n_filled_other"]) / n if ok
            else None}


def days_to_fill(wh: Warehouse, f: Filters, isco: str = ISCO_ALL) -> pl.DataFrame:
    """Filled vacancies closed in the period per number of days from notification to closure:
    days_open, n_filled (through the PES or otherwise)."""
    where, params = _where(f, segments=(), isco=isco)
    return wh.frame(f"""
        SELECT days_open, sum(n_vacancies_closed)::BIGINT AS n_filled
        FROM marts.mart_vacancy_closures
        WHERE {where} AND close_reason IN ('filled_pes', 'filled_other')
        GROUP BY days_open ORDER BY days_open""", params)


def weighted_quantile(values: Sequence[float], weights: Sequence[int], q: float) -> float | None:
    """The smallest value whose cumulative weight reaches q of the total (as quantile_disc)."""
    total = sum(weights)
    if total == 0:
        return None
    cumulative = 0
    for value, weight in zip(values, weights, strict=True):
        cumulative += weight
        if cumulative >= q * total:
            return float(value)
    return float(values[-1])


def time_to_fill_summary(days: pl.DataFrame) -> dict[str, float | int | None]:
    """n_filled and the 25th, 50th (median), 75th and 90th percentiles of days to fill."""
    values, weights = days["days_open"].to_list(), days["n_filled"].to_list()
    return {"n_filled": int(sum(weights)),
            **{name: weighted_quantile(values, weights, q)
               for name, q in (("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9))}}


def time_to_fill_histogram(days: pl.DataFrame, bin_days: int = TIME_TO_FILL_BIN_DAYS,
                           last: int = TIME_TO_FILL_LAST_BIN) -> pl.DataFrame:
    """days_from, days_to (None for the open last bin), label, n_filled, share."""
    bins = list(range(0, last, bin_days))
    rows = []
    for start in [*bins, last]:
        end = start + bin_days - 1 if start < last else None
        mask = (pl.col("days_open") >= start) & (
            (pl.col("days_open") <= end) if end is not None else pl.lit(True))
        n = int(days.filter(mask)["n_filled"].sum()) if not days.is_empty() else 0
        rows.append({"days_from": start, "days_to": end,
                     "label": f"{start}–{end}" if end is not None else f"{start}+", "n_filled": n})
    df = pl.DataFrame(rows, schema={"days_from": pl.Int64, "days_to": pl.Int64,
                                    "label": pl.String, "n_filled": pl.Int64})
    total = df["n_filled"].sum()
    return df.with_columns((pl.col("n_filled") / total if total else pl.lit(None, pl.Float64))
                           .alias("share"))


def relevance_by(wh: Warehouse, f: Filters, by: str, isco: str = ISCO_ALL,
                 min_denominator: int = MIN_DENOMINATOR) -> pl.DataFrame:
    """Hires from proposed candidates / candidates proposed, over vacancies closed in the period,
    per child ISCO code (``by`` 'occupation') or region: key, label, n_vacancies_with_proposals,
    n_candidates_proposed, n_hires_from_proposed, rate_relevance."""
    where, params = _where(f, segments=(), isco=isco, table="c")
    if by == "occupation":
        column = isco_level_column(isco)
        key, label, join = (f"c.{column}", "any_value(g.label)",
                            f"LEFT JOIN core.dim_isco_group AS g ON g.isco_code = c.{column}")
    elif by == "region":
        key, label, join = "c.region_code", "any_value(c.region_name)", ""
    else:
        raise ValueError(f"unknown grouping {by!r}")
    df = wh.frame(f"""
        SELECT {key} AS key, {label} AS label,
               sum(c.n_vacancies_with_proposals)::BIGINT AS n_vacancies_with_proposals,
               sum(c.n_candidates_proposed)::BIGINT AS n_candidates_proposed,
               sum(c.n_hires_from_proposed)::BIGINT AS n_hires_from_proposed
        FROM marts.mart_vacancy_closures AS c {join}
        WHERE {where}
        GROUP BY {key} ORDER BY {key}""", params)
    return df.with_columns(_rate("n_hires_from_proposed", "n_candidates_proposed",
                                 min_denominator, "rate_relevance"))


# -- employers: tension ---------------------------------------------------------------------

def tension_by_region(wh: Warehouse, f: Filters, min_denominator: int = MIN_DENOMINATOR
                      ) -> pl.DataFrame:
    """Per region and for all selected regions together (key ALL): the sums over the period's
    month ends of open vacancies and of registered job-seekers, and tension = open vacancies per
    100 job-seekers (the ratio of those sums, i.e. of the monthly averages)."""
    where, params = _where(f, segments=())
    df = wh.frame(f"""
        SELECT coalesce(region_code, '{ALL}') AS key,
               CASE WHEN grouping(region_code) = 1 THEN 'All selected regions'
                    ELSE any_value(region_name) END AS label,
               sum(n_vacancies_open_end)::BIGINT AS n_vacancies_open_end_sum,
               sum(n_jobseekers_end)::BIGINT AS n_jobseekers_end_sum
        FROM marts.mart_vacancy_tension_monthly WHERE {where}
        GROUP BY GROUPING SETS ((region_code), ())
        ORDER BY grouping(region_code), label""", params)
    n_months = f.n_months
    df = df.with_columns((pl.col("n_vacancies_open_end_sum") / n_months).alias("mean_open_vacancies"),
                         (pl.col("n_jobseekers_end_sum") / n_months).alias("mean_jobseekers"))
    small = pl.col("mean_jobseekers") < min_denominator
    return df.with_columns(
        pl.when(small).then(None).otherwise(
            pl.col("n_vacancies_open_end_sum") * 100 / pl.col("n_jobseekers_end_sum"))
        .alias("vacancies_per_100_jobseekers"),
        small.alias("is_suppressed"),
    ).drop("n_vacancies_open_end_sum", "n_jobseekers_end_sum")


UNKNOWN = "unknown"  # an occupation sought that was not recorded (at this level)


def tension_occupation_level(isco: str = ISCO_ALL) -> tuple[str, str | None]:
    """(mart column of the occupations shown, the major group they belong to or None): the
    major groups, or the sub-major groups of the picked occupation's major group."""
    if isco == ISCO_ALL:
        return "isco_major_group", None
    return "isco_sub_major_group", isco[0]


def tension_by_occupation(wh: Warehouse, f: Filters, isco: str = ISCO_ALL,
                          min_denominator: int = MIN_DENOMINATOR) -> pl.DataFrame:
    """Tension per occupation x region over the period, with all selected regions (region ALL)
    and all occupations (isco_code ALL: every occupation, or all of the picked major group):
    isco_code, region_code, region_name, mean_open_vacancies, mean_jobseekers (monthly
    averages of the month-end counts), vacancies_per_100_jobseekers (the ratio of the sums),
    is_suppressed (mean job-seekers under ``min_denominator``). Occupations are the vacancy's and
    the one the job-seeker seeks; 'unknown' (not recorded) has job-seekers but no tension."""
    column, major = tension_occupation_level(isco)
    where, params = _where(f, segments=())
    if major is not None:
        where += " AND isco_major_group = $major"
        params["major"] = major
    df = wh.frame(f"""
        SELECT coalesce({column}, '{ALL}') AS isco_code,
               coalesce(region_code, '{ALL}') AS region_code,
               CASE WHEN grouping(region_code) = 1 THEN 'All selected regions'
                    ELSE any_value(region_name) END AS region_name,
               sum(n_vacancies_open_end)::BIGINT AS n_vacancies_open_end_sum,
               sum(n_jobseekers_end)::BIGINT AS n_jobseekers_end_sum
        FROM marts.mart_vacancy_tension_occupation_monthly WHERE {where}
        GROUP BY GROUPING SETS (({column}, region_code), ({column}), (region_code), ())""",
                  params, totals=ALL)  # 'ALL': the sum of the selected (scoped) regions
    n_months = f.n_months
    df = df.with_columns(
        (pl.col("n_vacancies_open_end_sum") / n_months).alias("mean_open_vacancies"),
        (pl.col("n_jobseekers_end_sum") / n_months).alias("mean_jobseekers"))
    small = pl.col("mean_jobseekers") < min_denominator
    unknown = pl.col("isco_code") == UNKNOWN
    df = df.with_columns(
        pl.when(small | unknown).then(None).otherwise(
            pl.col("n_vacancies_open_end_sum") * 100 / pl.col("n_jobseekers_end_sum"))
        .alias("vacancies_per_100_jobseekers"),
        small.alias("is_suppressed"),
    ).drop("n_vacancies_open_end_sum", "n_jobseekers_end_sum")
    # All first, then the codes, then 'unknown'; regions: all first, then by code.
    rank = pl.when(pl.col("isco_code") == ALL).then(0).when(unknown).then(2).otherwise(1)
    region_rank = pl.when(pl.col("region_code") == ALL).then(0).otherwise(1)
    return df.sort(rank, "isco_code", region_rank, "region_code")


# -- employers: recruitment outlook ---------------------------------------------------------

NATIONAL_FORECAST_REFUSED = ("The forecast for all regions together is not available for a "
                             "regional scope: choose one of your regions in the Region filter.")


def _check_forecast_region(region_code: str) -> None:
    """A forecast series is one region's (or ALL, every region's): refuse what the current user
    may not see. There is no series for a set of regions, so a scope is never summed up."""
    access.require_internal()
    allowed = access.allowed_regions()
    if allowed is not None and region_code not in allowed:
        raise access.AccessDenied(NATIONAL_FORECAST_REFUSED if region_code == ALL
                                  else "This region is outside your scope.")


def forecast_series(wh: Warehouse, region_code: str = ALL, isco_major_group: str = ALL
                    ) -> pl.DataFrame:
    """History and 6-month forecast of vacancies posted for one series (ALL = total)."""
    _check_forecast_region(region_code)
    return wh.frame("""
        SELECT month, is_forecast, horizon, n_vacancies_posted, fitted, forecast,
               lower_80, upper_80, lower_95, upper_95, seasonal_naive,
               region_code, region_name, isco_major_group, isco_major_group_label
        FROM marts.mart_vacancy_forecast
        WHERE region_code = $region AND isco_major_group = $group
        ORDER BY month""", {"region": region_code, "group": isco_major_group})


def forecast_accuracy(wh: Warehouse, region_code: str = ALL, isco_major_group: str = ALL
                      ) -> dict | None:
    """The backtest of one forecast series, or None when it has none."""
    _check_forecast_region(region_code)
    df = wh.frame("""
        SELECT * FROM marts.mart_vacancy_forecast_accuracy
        WHERE region_code = $region AND isco_major_group = $group""",
                  {"region": region_code, "group": isco_major_group})
    return df.row(0, named=True) if df.height else None


def bmo_families(published_db: Path | str, region_code: str | None = None, top: int = 10
                 ) -> pl.DataFrame:
    """France Travail BMO recruitment projects of the latest survey year by occupation family,
    for a NUTS-1 French region (or the whole file), largest first; empty when BMO is not
    loaded or the region has no BMO code. Sums skip secret cells (then a lower bound)."""
    if not oq.has_official_data(published_db):
        return pl.DataFrame()
    if not _table_exists(published_db, "official", "bmo"):
        return pl.DataFrame()
    insee = None
    if region_code not in (None, ALL):
        insee = NUTS1_TO_INSEE_REGION.get(region_code)
        if insee is None:
            return pl.DataFrame()
    years = _official_frame(published_db, "select max(year) as year from official.bmo")["year"]
    if years.is_empty() or years[0] is None:
        return pl.DataFrame()
    df = oq.bmo_totals(published_db, by="family", region_code=insee, year=int(years[0]))
    return df.sort("n_projects", descending=True, nulls_last=True).head(top)


def _official_frame(published_db: Path | str, sql: str, params: dict | None = None
                    ) -> pl.DataFrame:
    # Official statistics are public data: no region scope applies (issue 8).
    return warehouse_for(Path(published_db)).frame(sql, params, public=True)


def _table_exists(published_db: Path | str, schema: str, table: str) -> bool:
    return bool(_official_frame(published_db, """
        select count(*) as n from information_schema.tables
        where table_schema = $schema and table_name = $table""",
                          {"schema": schema, "table": table})["n"][0])


# -- employers: Beveridge curve -------------------------------------------------------------

# Dimension values that mean "total" in codes and in the SDMX labels variant.
_TOTALS = {
    "sex": ("T", "Total"),
    "s_adj": ("SA", "Seasonally adjusted data, not calendar adjusted data", "NSA",
              "Unadjusted data (i.e. neither seasonally adjusted nor calendar adjusted data)"),
    "age": ("TOTAL", "Total", "Y15-74", "From 15 to 74 years", "Y25-74", "From 25 to 74 years"),
    "nace_r2": ("A-S", "B-S", "Industry, construction and services (except activities of "
                "households as employers and extra-territorial organisations and bodies)"),
    "sizeclas": ("TOTAL", "Total"),
}


def beveridge(published_db: Path | str) -> tuple[pl.DataFrame, str]:
    """Quarterly (unemployment rate, vacancies) pairs for every country where both Eurostat
    une_rt_m and jvs_q_nace2 are loaded, and a sentence saying what is (not) available.

    Vacancy measure: the job-vacancy rate (indic_em JOBRATE) when loaded, else the number of
    vacancies (JOBVAC). Unemployment: the quarter's mean of the monthly rates, only for quarters
    with all three months; all ages when loaded, else 15-74, else 25-74 (the first found).
    """
    if not oq.has_official_data(published_db) or not _table_exists(
            published_db, "official", "eurostat_observations"):
        return pl.DataFrame(), ("No official statistics are loaded. Import Eurostat une_rt_m and "
                                "jvs_q_nace2 with `observatory import` to draw a Beveridge curve.")
    dims = ", ".join(f"dimensions->>'{d}' as d_{d}" for d in (*_TOTALS, "indic_em"))
    obs = _official_frame(published_db, f"""
        select dataset, geo, any_value(geo_label) as geo_label, period, period_start, freq,
               dimensions::varchar as dimensions, {dims}, value
        from official.eurostat_observations
        where dataset in ('une_rt_m', 'jvs_q_nace2') and geo is not null and value is not null
        group by all""")
    if obs.is_empty():
        return pl.DataFrame(), ("Neither une_rt_m nor jvs_q_nace2 is loaded: a Beveridge curve "
                                "needs both.")
    jvs = _pick_series(obs.filter(pl.col("dataset") == "jvs_q_nace2"), vacancy=True)
    une = _pick_series(obs.filter(pl.col("dataset") == "une_rt_m"), vacancy=False)
    if jvs.is_empty() or une.is_empty():
        missing = "jvs_q_nace2 (job vacancies)" if jvs.is_empty() else "une_rt_m (unemployment)"
        return pl.DataFrame(), f"A Beveridge curve needs both series; {missing} is not loaded."
    une_q = (une.filter(pl.col("freq") == "M")
             .with_columns(pl.col("period_start").dt.truncate("1q").alias("quarter"))
             .group_by("geo", "quarter", "une_measure")
             .agg(pl.col("value").mean().alias("unemployment_rate"), pl.len().alias("n_months"))
             .filter(pl.col("n_months") == 3))
    pairs = (jvs.rename({"period_start": "quarter", "value": "vacancies"})
             .join(une_q, on=["geo", "quarter"], how="inner")
             .select("geo", "geo_label", "quarter", "period", "unemployment_rate", "vacancies",
                     "vacancy_measure", "une_measure")
             .sort("geo", "quarter"))
    if pairs.is_empty():
        return pairs, ("The loaded job-vacancy and unemployment series share no country and "
                       "quarter, so there is no Beveridge curve to draw.")
    geos = ", ".join(sorted(set(pairs["geo_label"].fill_null(pairs["geo"]).to_list())))
    measure = pairs["vacancy_measure"][0]
    note = f"Both series are loaded for: {geos}."
    if measure == "number":
        note += (" The loaded job-vacancy file gives the number of vacancies, not the vacancy "
                 "rate, so the vertical axis is a count.")
    return pairs, note


def _pick_series(df: pl.DataFrame, *, vacancy: bool) -> pl.DataFrame:
    """One series per geo: the dimensions closest to a total, as listed in _TOTALS."""
    if df.is_empty():
        return df

    def dim(name: str) -> pl.Expr:
        return pl.col(f"d_{name}")

    score = pl.lit(0)
    for name, preferred in _TOTALS.items():
        rank = {v: i for i, v in enumerate(preferred)}
        score = score * 10 + dim(name).replace_strict(
            rank, default=9, return_dtype=pl.Int64).fill_null(9)
    if vacancy:
        indic = dim("indic_em")
        df = df.filter(indic.is_in(["JOBRATE", "JOBVAC", "Job vacancy rate",
                                    "Job vacancies"]) | indic.is_null())
        df = df.with_columns(
            pl.when(indic.is_in(["JOBRATE", "Job vacancy rate"])).then(pl.lit("rate"))
            .otherwise(pl.lit("number")).alias("vacancy_measure"))
        score = pl.when(pl.col("vacancy_measure") == "rate").then(0).otherwise(1) * 10**9 + score
    else:
        df = df.with_columns(dim("age").fill_null("all ages").alias("une_measure"))
    df = df.with_columns(score.alias("_score"), pl.col("dimensions").alias("_series"))
    best = df.group_by("geo").agg(pl.col("_score").min().alias("_best"))
    df = df.join(best, on="geo").filter(pl.col("_score") == pl.col("_best"))
    # Several series can tie on the score: keep one, the first by its dimensions text.
    first = df.group_by("geo").agg(pl.col("_series").min().alias("_first"))
    return df.join(first, on="geo").filter(pl.col("_series") == pl.col("_first")).drop(
        "_score", "_best", "_series", "_first", "dimensions", *(c for c in df.columns
                                                              if c.startswith("d_")))

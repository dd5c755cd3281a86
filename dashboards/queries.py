"""One function per question the dashboards ask; SQL against the published marts only.

Every value from a user reaches DuckDB as a bound parameter. Column names in the SQL come from
the constants below, never from a request.

Region scope (issue 8): a manager sees only their regions. Every read of a table with a
``region_code`` goes through ``region_clause``, which asks ``access.scope_regions`` for the
regions the current user may read, whatever the filters say (docs/access-control.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Literal

import polars as pl

from dashboards.db import Warehouse
from observatory import access
from pipelines import contracts

AGE_BANDS = ("<25", "25-49", "50+", "unknown")
DIGITAL_SKILLS = contracts.DIGITAL_SKILLS
SUPPORT_TIERS = (*contracts.SUPPORT_TIERS, "unknown")
# Segment columns shared by the contacts and job-seeker marts (employers carry 'n/a').
SEGMENTS: dict[str, tuple[str, ...]] = {
    "age_band": AGE_BANDS,
    "digital_skills": DIGITAL_SKILLS,
    "support_tier": SUPPORT_TIERS,
}
DIRECTIONS = ("inbound", "outbound")
Direction = Literal["all", "inbound", "outbound"]


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month ``n`` months after ``month`` (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Filters:
    """The validated filter state every query takes; empty tuples mean "all"."""

    month_from: dt.date
    month_to: dt.date
    region: tuple[str, ...] = ()
    age_band: tuple[str, ...] = ()
    digital_skills: tuple[str, ...] = ()
    support_tier: tuple[str, ...] = ()

    @property
    def n_months(self) -> int:
        return (self.month_to.year - self.month_from.year) * 12 + (
            self.month_to.month - self.month_from.month) + 1

    @property
    def has_segment(self) -> bool:
        return any(getattr(self, column) for column in SEGMENTS)

    def previous_period(self) -> Filters:
        """The same filters over the period of equal length just before this one."""
        return replace(self, month_from=add_months(self.month_from, -self.n_months),
                       month_to=add_months(self.month_from, -1))

    def with_previous_period(self) -> Filters:
        """This period extended back to the start of the previous one."""
        return replace(self, month_from=self.previous_period().month_from)


def scoped_regions(f: Filters | None) -> tuple[str, ...] | None:
    """The regions a query under ``f`` may read: None for all of them, else the regions asked
    for that the current user may see (their own when none are asked for; possibly none)."""
    return access.scope_regions(f.region if f is not None else ())


def region_clause(f: Filters | None, params: dict[str, object],
                  column: str = "region_code") -> str | None:
    """The condition keeping the rows of ``scoped_regions(f)`` (binding $region), or None when
    every region may be read. An empty scope keeps no row."""
    regions = scoped_regions(f)
    if regions is None:
        return None
    params["region"] = list(regions)
    return f"list_contains($region::VARCHAR[], {column})"


def _where(f: Filters, *, segments: bool = True, direction: Direction = "all"
           ) -> tuple[str, dict[str, object]]:
    clauses = ["month BETWEEN $month_from AND $month_to"]
    params: dict[str, object] = {"month_from": f.month_from, "month_to": f.month_to}
    if region := region_clause(f, params):
        clauses.append(region)
    if segments:
        for column in SEGMENTS:
            if values := getattr(f, column):
                clauses.append(f"{column} IN (SELECT unnest(${column}))")
                params[column] = list(values)
    if direction in DIRECTIONS:
        clauses.append("direction = $direction")
        params["direction"] = direction
    return " AND ".join(clauses), params


def _complete_months(df: pl.DataFrame, f: Filters) -> pl.DataFrame:
    """Every month of the period, with zero counts where the mart has no row."""
    months = pl.DataFrame({"month": pl.date_range(f.month_from, f.month_to, interval="1mo",
                                                  eager=True)})
    counts = [c for c in df.columns if c.startswith("n_")]
    return (months.join(df, on="month", how="left")
            .with_columns(pl.col(counts).fill_null(0)).sort("month"))


# -- reference -------------------------------------------------------------------------------

def dataset_meta(wh: Warehouse) -> pl.DataFrame:
    """The one row of meta.dataset: is_synthetic, data_from, data_to, published_at, run id."""
    return wh.frame("SELECT is_synthetic, data_from, data_to, published_at, refresh_run_id "
                    "FROM meta.dataset LIMIT 1")


def regions(wh: Warehouse) -> pl.DataFrame:
    """Regions the current user may filter on: region_code, region_name, by name."""
    allowed = access.allowed_regions()
    where, params = "", {}
    if allowed is not None:
        where, params = ("WHERE list_contains($allowed::VARCHAR[], region_code)",
                         {"allowed": sorted(allowed)})
    return wh.frame(f"SELECT region_code, region_name FROM core.dim_region {where} "
                    "ORDER BY region_name, region_code", params)


# -- overview --------------------------------------------------------------------------------

def contacts_monthly(wh: Warehouse, f: Filters) -> pl.DataFrame:
    """Per month: n_contacts, n_digital, n_rated, n_satisfied."""
    where, params = _where(f)
    df = wh.frame(f"""
        SELECT month, sum(n_contacts) AS n_contacts,
               coalesce(sum(n_contacts) FILTER (WHERE is_digital), 0) AS n_digital,
               sum(n_rated) AS n_rated, sum(n_satisfied) AS n_satisfied
        FROM marts.mart_contacts_monthly WHERE {where}
        GROUP BY month""", params)
    return _complete_months(df.cast({c: pl.Int64 for c in df.columns if c != "month"}), f)


def jobseekers_monthly(wh: Warehouse, f: Filters) -> pl.DataFrame:
    """Per month: n_stock_end, n_inflows, n_exits, n_exits_employment."""
    where, params = _where(f)
    df = wh.frame(f"""
        SELECT month, sum(n_stock_end) AS n_stock_end, sum(n_inflows) AS n_inflows,
               sum(n_exits) AS n_exits, sum(n_exits_employment) AS n_exits_employment
        FROM marts.mart_jobseeker_flows_monthly WHERE {where}
        GROUP BY month""", params)
    return _complete_months(df.cast({c: pl.Int64 for c in df.columns if c != "month"}), f)


def vacancies_monthly(wh: Warehouse, f: Filters) -> pl.DataFrame:
    """Per month: n_vacancies_posted, n_open_end. Vacancies have no job-seeker segment."""
    where, params = _where(f, segments=False)
    df = wh.frame(f"""
        SELECT month, sum(n_vacancies_posted) AS n_vacancies_posted,
               sum(n_open_end) AS n_open_end
        FROM marts.mart_vacancies_monthly WHERE {where}
        GROUP BY month""", params)
    return _complete_months(df.cast({c: pl.Int64 for c in df.columns if c != "month"}), f)


# -- channels --------------------------------------------------------------------------------

def contacts_by_channel(wh: Warehouse, f: Filters, direction: Direction = "all") -> pl.DataFrame:
    """Per month and channel: n_contacts (only channels with contacts), by month then channel."""
    where, params = _where(f, direction=direction)
    return wh.frame(f"""
        SELECT month, channel, sum(n_contacts)::BIGINT AS n_contacts
        FROM marts.mart_contacts_monthly WHERE {where}
        GROUP BY month, channel ORDER BY month, channel""", params)


def _digital_share_by(wh: Warehouse, f: Filters, direction: Direction, keys: str,
                      extra_where: str = "") -> pl.DataFrame:
    where, params = _where(f, direction=direction)
    return wh.frame(f"""
        SELECT {keys}, sum(n_contacts)::BIGINT AS n_contacts,
               coalesce(sum(n_contacts) FILTER (WHERE is_digital), 0)::BIGINT AS n_digital,
               coalesce(sum(n_contacts) FILTER (WHERE is_digital), 0)
                   / nullif(sum(n_contacts), 0) AS share_digital
        FROM marts.mart_contacts_monthly WHERE {where} {extra_where}
        GROUP BY {keys} ORDER BY share_digital DESC NULLS LAST, {keys}""", params)


def digital_share_by_service(wh: Warehouse, f: Filters, direction: Direction = "all"
                             ) -> pl.DataFrame:
    """Per service step: n_contacts, n_digital, share_digital."""
    return _digital_share_by(wh, f, direction, "service")


def digital_share_by_region(wh: Warehouse, f: Filters, direction: Direction = "all"
                            ) -> pl.DataFrame:
    """Per region: region_code, region_name, n_contacts, n_digital, share_digital."""
    return _digital_share_by(wh, f, direction, "region_code, region_name")


def digital_share_by_segment(wh: Warehouse, f: Filters, direction: Direction = "all"
                             ) -> pl.DataFrame:
    """Job-seeker contacts per segment: segment_type, segment, n_contacts, n_digital, share_digital.

    segment_type is one of SEGMENTS (age_band, digital_skills, support_tier).
    """
    where, params = _where(f, direction=direction)
    return wh.frame(f"""
        SELECT CASE WHEN grouping(age_band) = 0 THEN 'age_band'
                    WHEN grouping(digital_skills) = 0 THEN 'digital_skills'
                    ELSE 'support_tier' END AS segment_type,
               CASE WHEN grouping(age_band) = 0 THEN age_band
                    WHEN grouping(digital_skills) = 0 THEN digital_skills
                    ELSE support_tier END AS segment,
               sum(n_contacts)::BIGINT AS n_contacts,
               coalesce(sum(n_contacts) FILTER (WHERE is_digital), 0)::BIGINT AS n_digital,
               coalesce(sum(n_contacts) FILTER (WHERE is_digital), 0)
                   / nullif(sum(n_contacts), 0) AS share_digital
        FROM marts.mart_contacts_monthly
        WHERE {where} AND party_type = 'jobseeker'
        GROUP BY GROUPING SETS ((age_band), (digital_skills), (support_tier))
        ORDER BY segment_type, segment""", params)

"""The questions the public pages, the embeds and the open-data API ask: public.* only.

Disclosure control has already been applied in the warehouse (warehouse/disclosure.py); these
functions only select. Every value from a request reaches DuckDB as a bound parameter, and
nothing here may read another schema (a test checks the SQL of this module).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from dashboards.db import Warehouse

ALL = "ALL"


def _where(clauses: list[str]) -> str:
    return f"where {' and '.join(clauses)}" if clauses else ""


def _filters(regions: Sequence[str] | None = None, groups: Sequence[str] | None = None,
             month_from: dt.date | None = None, month_to: dt.date | None = None,
             region_col: str = "region_code") -> tuple[str, dict]:
    clauses, params = [], {}
    if regions is not None:
        clauses.append(f"list_contains($regions, {region_col})")
        params["regions"] = list(regions)
    if groups is not None:
        clauses.append("list_contains($groups, isco_major_group)")
        params["groups"] = list(groups)
    if month_from is not None:
        clauses.append("month >= $month_from")
        params["month_from"] = month_from
    if month_to is not None:
        clauses.append("month <= $month_to")
        params["month_to"] = month_to
    return _where(clauses), params


def release(wh: Warehouse) -> dict:
    """The snapshot's dates, synthetic flag and the disclosure thresholds applied."""
    return wh.frame("select * from public.release", public=True).row(0, named=True)


def regions(wh: Warehouse) -> pl.DataFrame:
    return wh.frame("select region_code, region_name, country_code from public.regions "
                    "order by region_code", public=True)


def occupation_groups(wh: Warehouse, level: int | None = None) -> pl.DataFrame:
    where, params = ("where level = $level", {"level": level}) if level else ("", {})
    return wh.frame(f"""
        select isco_code, level, parent_code, label_en, label_fr, label_source
        from public.occupation_groups {where} order by level, isco_code""", params,
                    public=True)


def region_monthly(wh: Warehouse, regions: Sequence[str] | None = None,
                   month_from: dt.date | None = None, month_to: dt.date | None = None
                   ) -> pl.DataFrame:
    where, params = _filters(regions, None, month_from, month_to)
    return wh.frame(f"select * from public.factsheet_region_monthly {where} "
                    "order by region_code, month", params, public=True)


def vacancies_by_occupation(wh: Warehouse, regions: Sequence[str] | None = None,
                            groups: Sequence[str] | None = None,
                            month_from: dt.date | None = None, month_to: dt.date | None = None
                            ) -> pl.DataFrame:
    where, params = _filters(regions, groups, month_from, month_to)
    return wh.frame(f"select * from public.vacancies_region_occupation_monthly {where} "
                    "order by region_code, isco_major_group, month", params, public=True)


def vacancies_by_unit_group(wh: Warehouse, groups: Sequence[str] | None = None,
                            month_from: dt.date | None = None, month_to: dt.date | None = None
                            ) -> pl.DataFrame:
    where, params = _filters(None, groups, month_from, month_to)
    return wh.frame(f"select * from public.vacancies_occupation_monthly {where} "
                    "order by isco_unit_group, month", params, public=True)


def jobseekers_by_occupation(wh: Warehouse, regions: Sequence[str] | None = None,
                             groups: Sequence[str] | None = None,
                             month_from: dt.date | None = None, month_to: dt.date | None = None
                             ) -> pl.DataFrame:
    """Job-seekers by ISCO-08 major group of the occupation sought (and 'unknown'), with the
    tension of that group and region."""
    where, params = _filters(regions, groups, month_from, month_to)
    return wh.frame(f"select * from public.jobseekers_region_occupation_monthly {where} "
                    "order by region_code, isco_major_group, month", params, public=True)


def unemployment_rate(wh: Warehouse, areas: Sequence[str] | None = None) -> pl.DataFrame:
    where, params = _filters(areas, None, None, None, region_col="area_code")
    return wh.frame(f"select * from public.unemployment_rate {where} "
                    "order by area_code, geo_level desc, geo, period_start", params,
                    public=True)

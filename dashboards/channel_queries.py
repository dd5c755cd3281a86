"""The Channels section's questions: one function each, SQL against the marts only.

Every function takes a validated :class:`ChannelFilters` and returns a small Polars frame; the
heavy work (journeys, repeats, histograms, caseloads) is done by the pipeline's marts
(docs/channel-indicators.md). Values from a request reach DuckDB only as bound parameters;
column names come from the constants below. ``_where`` cuts every read to the user's regions
(queries.region_clause; docs/access-control.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dashboards.db import Warehouse
from dashboards.queries import (
    AGE_BANDS,
    DIGITAL_SKILLS,
    SUPPORT_TIERS,
    Direction,
    Filters,
    region_clause,
    scoped_regions,
)
from observatory import access
from pipelines import contracts

EDUCATION_LEVELS = (*contracts.EDUCATION_LEVELS, "unknown")
# The job-seeker segments of the Channels section, in display order.
SEGMENTS: dict[str, tuple[str, ...]] = {
    "age_band": AGE_BANDS,
    "education_level": EDUCATION_LEVELS,
    "digital_skills": DIGITAL_SKILLS,
    "support_tier": SUPPORT_TIERS,
}
USER_TYPES = ("jobseeker", "employer")
# The service steps whose dematerialisation the PES follows (issue 5, indicator 2).
SERVICE_STEPS = ("registration", "appointment_booking", "job_search_report", "benefit_claim",
                 "recruitment_event")
DIRECTIONS = ("inbound", "outbound")

CONTACTS = "marts.mart_contacts_monthly"
CHANNEL_CONTACTS = "marts.mart_channel_contacts_monthly"  # no service / staff columns: smaller
JOURNEYS = "marts.mart_journeys_monthly"
REPEATS = "marts.mart_repeat_contacts_monthly"
CONTACT_MONTHS = "marts.mart_jobseeker_contact_months"
CONTACT_PROFILES = "marts.mart_jobseeker_contact_profiles"
DURATIONS = "marts.mart_channel_durations_monthly"
DURATIONS_UNSEGMENTED = "marts.mart_channel_durations_unsegmented_monthly"
DURATIONS_SEGMENTS = "marts.mart_channel_durations_segments_monthly"
CASELOADS = "marts.mart_caseloads_monthly"


def agencies(wh: Warehouse) -> pl.DataFrame:
    """Agencies the current user may filter on: agency_code, agency_name, region_code."""
    allowed = access.allowed_regions()
    where, params = "", {}
    if allowed is not None:
        where, params = ("WHERE list_contains($allowed::VARCHAR[], region_code)",
                         {"allowed": sorted(allowed)})
    return wh.frame(f"SELECT agency_code, agency_name, region_code FROM core.dim_agency {where} "
                    "ORDER BY agency_name, agency_code", params)


@dataclass(frozen=True)
class ChannelFilters(Filters):
    """The shared filters plus the Channels section's own; empty tuples / 'all' mean all."""

    agency: tuple[str, ...] = ()
    education_level: tuple[str, ...] = ()
    user_type: str = "all"

    @property
    def has_segment(self) -> bool:
        return any(getattr(self, column) for column in SEGMENTS)

    @property
    def segment_filters(self) -> dict[str, tuple[str, ...]]:
        return {column: getattr(self, column) for column in SEGMENTS if getattr(self, column)}


def _where(f: ChannelFilters, *, segments: bool = True, place: bool = True,
           user_type: bool = True, direction: Direction = "all", services: tuple[str, ...] = (),
           service: str | None = None, period: str = "month BETWEEN $month_from AND $month_to"
           ) -> tuple[str, dict[str, object]]:
    """The WHERE clause of a mart query and its bound parameters; ``period`` is the condition
    that keeps the period (on $month_from and $month_to)."""
    clauses = [period]
    params: dict[str, object] = {"month_from": f.month_from, "month_to": f.month_to}
    if place:
        # An agency belongs to one region, so the region scope also keeps only the agencies
        # of the user's regions.
        if region := region_clause(f, params):
            clauses.append(region)
        if f.agency:
            clauses.append("list_contains($agency, agency_code)")
            params["agency"] = list(f.agency)
    elif scoped_regions(f) is not None:
        raise access.AccessDenied("these figures are not available for a regional scope")
    if user_type and f.user_type in USER_TYPES:
        clauses.append("party_type = $user_type")
        params["user_type"] = f.user_type
    if segments:
        for column, values in f.segment_filters.items():
            clauses.append(f"list_contains(${column}, {column})")
            params[column] = list(values)
    if direction in DIRECTIONS:
        clauses.append("direction = $direction")
        params["direction"] = direction
    if services:
        clauses.append("list_contains($services, service)")
        params["services"] = list(services)
    if service:
        clauses.append("service = $service")
        params["service"] = service
    return " AND ".join(clauses), params


def _ints(df: pl.DataFrame) -> pl.DataFrame:
    """Counts as Int64 (DuckDB sums give HUGEINT/DOUBLE)."""
    return df.with_columns(pl.col([c for c in df.columns if c.startswith("n_")]).cast(pl.Int64))


def _segment_case(segment_by: str) -> str:
    if segment_by not in SEGMENTS:
        raise ValueError(f"unknown segment {segment_by!r}")
    return segment_by  # a constant of this module, never text from a request


# -- 1. channel mix ----------------------------------------------------------------------------

def contacts_by_channel(wh: Warehouse, f: ChannelFilters, direction: Direction = "all"
                        ) -> pl.DataFrame:
    """Per month and channel: n_contacts (channels with contacts only), by month then channel."""
    where, params = _where(f, direction=direction)
    return _ints(wh.frame(f"""
        SELECT month, channel, sum(n_contacts) AS n_contacts
        FROM {CHANNEL_CONTACTS} WHERE {where}
        GROUP BY month, channel ORDER BY month, channel""", params))


# -- 2. dematerialisation by service step ------------------------------------------------------

def service_steps_monthly(wh: Warehouse, f: ChannelFilters, direction: Direction = "all"
                          ) -> pl.DataFrame:
    """Per month and service step: n_contacts, n_digital, n_self_service, n_digital_assisted."""
    where, params = _where(f, direction=direction, services=SERVICE_STEPS)
    return _ints(wh.frame(f"""
        SELECT month, service, sum(n_contacts) AS n_contacts,
               coalesce(sum(n_contacts) FILTER (WHERE is_digital), 0) AS n_digital,
               coalesce(sum(n_contacts) FILTER (WHERE NOT is_staff_assisted), 0) AS n_self_service,
               coalesce(sum(n_contacts) FILTER (WHERE is_digital AND is_staff_assisted), 0)
                   AS n_digital_assisted
        FROM {CONTACTS} WHERE {where}
        GROUP BY month, service ORDER BY month, service""", params))


def _digital_share_by(wh: Warehouse, f: ChannelFilters, direction: Direction, keys: str,
                      table: str = CHANNEL_CONTACTS) -> pl.DataFrame:
    where, params = _where(f, direction=direction)
    return _ints(wh.frame(f"""
        SELECT {keys}, sum(n_contacts) AS n_contacts,
               coalesce(sum(n_contacts) FILTER (WHERE is_digital), 0) AS n_digital,
               coalesce(sum(n_contacts) FILTER (WHERE is_digital), 0)
                   / nullif(sum(n_contacts), 0) AS share_digital
        FROM {table} WHERE {where}
        GROUP BY {keys} ORDER BY share_digital DESC NULLS LAST, {keys}""", params))


def digital_share_by_service(wh: Warehouse, f: ChannelFilters, direction: Direction = "all"
                             ) -> pl.DataFrame:
    """Per service: n_contacts, n_digital, share_digital."""
    return _digital_share_by(wh, f, direction, "service", CONTACTS)


def digital_share_by_region(wh: Warehouse, f: ChannelFilters, direction: Direction = "all"
                            ) -> pl.DataFrame:
    """Per region: region_code, region_name, n_contacts, n_digital, share_digital."""
    return _digital_share_by(wh, f, direction, "region_code, region_name")


def digital_share_by_segment(wh: Warehouse, f: ChannelFilters, direction: Direction = "all"
                             ) -> pl.DataFrame:
    """Job-seeker contacts per segment: segment_type, segment, n_contacts, n_digital,
    share_digital; segment_type is one of SEGMENTS."""
    where, params = _where(f, direction=direction)
    segments = ", ".join(SEGMENTS)
    # One pass over the mart into segment cells (a few hundred), then the grouping sets.
    return _ints(wh.frame(f"""
        WITH cells AS (
            SELECT {segments}, sum(n_contacts) AS n_contacts,
                   coalesce(sum(n_contacts) FILTER (WHERE is_digital), 0) AS n_digital
            FROM {CHANNEL_CONTACTS}
            WHERE {where} AND party_type = 'jobseeker'
            GROUP BY {segments}
        )
        SELECT {_grouping_type()} AS segment_type, {_grouping_value()} AS segment,
               sum(n_contacts) AS n_contacts, sum(n_digital) AS n_digital,
               sum(n_digital) / nullif(sum(n_contacts), 0) AS share_digital
        FROM cells
        GROUP BY GROUPING SETS ({_grouping_sets()})
        ORDER BY segment_type, segment""", params))


def _grouping_sets(extra: tuple[str, ...] = ()) -> str:
    return ", ".join(f"({c})" for c in (*SEGMENTS, *extra))


def _grouping_type(extra: tuple[str, ...] = (), total: bool = False) -> str:
    """Which grouping set a row belongs to: a column name, or 'all' for the grand total."""
    columns = (*SEGMENTS, *extra)
    if total:
        whens = " ".join(f"WHEN grouping({c}) = 0 THEN '{c}'" for c in columns)
        return f"CASE {whens} ELSE 'all' END"
    whens = " ".join(f"WHEN grouping({c}) = 0 THEN '{c}'" for c in columns[:-1])
    return f"CASE {whens} ELSE '{columns[-1]}' END"


def _grouping_value(extra: tuple[str, ...] = (), total: bool = False) -> str:
    columns = (*SEGMENTS, *extra)
    if total:
        whens = " ".join(f"WHEN grouping({c}) = 0 THEN {c}" for c in columns)
        return f"CASE {whens} ELSE 'all' END"
    whens = " ".join(f"WHEN grouping({c}) = 0 THEN {c}" for c in columns[:-1])
    return f"CASE {whens} ELSE {columns[-1]} END"


# -- 3. journeys, switching, repeat contacts ----------------------------------------------------

def journey_paths(wh: Warehouse, f: ChannelFilters, service: str | None = None) -> pl.DataFrame:
    """Complete journeys per first, second and third channel ('none' when the journey ended):
    channel_1, channel_2, channel_3, n_journeys, n_multi_contact, n_switching."""
    where, params = _where(f, service=service)
    return _ints(wh.frame(f"""
        SELECT channel_1, channel_2, channel_3, sum(n_journeys) AS n_journeys,
               sum(n_multi_contact) AS n_multi_contact, sum(n_switching) AS n_switching
        FROM {JOURNEYS} WHERE {where}
        GROUP BY channel_1, channel_2, channel_3
        ORDER BY channel_1, channel_2, channel_3""", params))


def repeat_contacts_by_channel(wh: Warehouse, f: ChannelFilters, service: str | None = None
                               ) -> pl.DataFrame:
    """Inbound contacts with a complete 7-day follow-up per channel: n_contacts, n_repeated_7d,
    n_repeated_7d_offline."""
    where, params = _where(f, service=service)
    return _ints(wh.frame(f"""
        SELECT channel, sum(n_contacts) AS n_contacts, sum(n_repeated_7d) AS n_repeated_7d,
               sum(n_repeated_7d_offline) AS n_repeated_7d_offline
        FROM {REPEATS} WHERE {where}
        GROUP BY channel ORDER BY channel""", params))


# -- 4. personalisation ------------------------------------------------------------------------

def channel_use_by_segment(wh: Warehouse, f: ChannelFilters, segment_by: str,
                           direction: Direction = "all") -> pl.DataFrame:
    """Job-seeker contacts per month, value of ``segment_by`` and channel: month, segment,
    channel, n_contacts."""
    column = _segment_case(segment_by)
    where, params = _where(f, user_type=False, direction=direction)
    return _ints(wh.frame(f"""
        SELECT month, {column} AS segment, channel, sum(n_contacts) AS n_contacts
        FROM {CHANNEL_CONTACTS} WHERE {where} AND party_type = 'jobseeker'
        GROUP BY month, {column}, channel ORDER BY month, segment, channel""", params))


def bounce_back_by_segment(wh: Warehouse, f: ChannelFilters, segment_by: str) -> pl.DataFrame:
    """Job-seekers' inbound digital contacts per month and value of ``segment_by``:
    n_digital_contacts and n_back_offline (followed within 7 days by an offline contact about
    the same service)."""
    column = _segment_case(segment_by)
    where, params = _where(f, user_type=False)
    return _ints(wh.frame(f"""
        SELECT month, {column} AS segment, sum(n_contacts) AS n_digital_contacts,
               sum(n_repeated_7d_offline) AS n_back_offline
        FROM {REPEATS} WHERE {where} AND party_type = 'jobseeker' AND is_digital
        GROUP BY month, {column} ORDER BY month, segment""", params))


# -- 5. digital-exclusion watch ----------------------------------------------------------------

def _people_in_period(f: ChannelFilters) -> tuple[str, dict[str, object]]:
    """Job-seekers active in the period (under the filters), one row each: the place and
    segment of their last month with an inbound contact in the period, and is_offline_only
    over the whole period.

    The profiles mart keeps each person's months as bits; the period is a mask of the same
    length built from core.dim_month, so no person-month is read. Only the few people whose
    place or segment changed need folding to their last one.
    """
    where, params = _where(f, user_type=False, period="bit_count(p.months_active & m.bits) > 0")
    columns = ("person_id, region_code, region_name, agency_code, agency_name, age_band, "
               "education_level, digital_skills, support_tier")
    return f"""
        WITH m AS (
            SELECT array_to_string(list(CASE WHEN month BETWEEN $month_from AND $month_to
                                        THEN '1' ELSE '0' END ORDER BY month), '')::BIT AS bits
            FROM core.dim_month
        ), rows AS (
            SELECT p.*, bit_count(p.months_digital & m.bits) > 0 AS has_digital,
                   m.bits AS period_bits
            FROM {CONTACT_PROFILES} AS p, m WHERE {where}
        ), moved AS (
            SELECT {columns},
                   NOT bool_or(has_digital) OVER (PARTITION BY person_id) AS is_offline_only
            FROM rows WHERE n_profiles > 1
            QUALIFY row_number() OVER (
                PARTITION BY person_id
                ORDER BY length(rtrim((months_active & period_bits)::VARCHAR, '0')) DESC) = 1
        )
        SELECT {columns}, NOT has_digital AS is_offline_only FROM rows WHERE n_profiles = 1
        UNION ALL
        SELECT * FROM moved""", params


def exclusion_by_group(wh: Warehouse, f: ChannelFilters) -> pl.DataFrame:
    """Active job-seekers over the period per segment value, per region and in all
    (group_type 'all'): group_type (a segment column, 'region_code' or 'all'), group_code,
    group_name, n_active, n_offline_only."""
    people, params = _people_in_period(f)
    extra = ("region_code",)
    return _ints(wh.frame(f"""
        WITH p AS ({people})
        SELECT {_grouping_type(extra, total=True)} AS group_type,
               {_grouping_value(extra, total=True)} AS group_code,
               CASE WHEN grouping(region_code) = 0 THEN min(region_name) END AS group_name,
               count(*) AS n_active,
               count(*) FILTER (WHERE is_offline_only) AS n_offline_only
        FROM p GROUP BY GROUPING SETS ({_grouping_sets(extra)}, ())
        ORDER BY group_type, group_code""", params))


def exclusion_ranking(wh: Warehouse, f: ChannelFilters, rank_by: str) -> pl.DataFrame:
    """Active job-seekers over the period per agency (or region): code, name, region_name,
    n_active, n_offline_only."""
    people, params = _people_in_period(f)
    code, name = (("agency_code", "agency_name") if rank_by == "agency"
                  else ("region_code", "region_name"))
    return _ints(wh.frame(f"""
        WITH p AS ({people})
        SELECT {code} AS code, min({name}) AS name, min(region_name) AS region_name,
               count(*) AS n_active,
               count(*) FILTER (WHERE is_offline_only) AS n_offline_only
        FROM p WHERE {code} IS NOT NULL GROUP BY {code} ORDER BY {code}""", params))


def exclusion_monthly(wh: Warehouse, f: ChannelFilters, segment_by: str) -> pl.DataFrame:
    """Per month, overall ('all') and per value of ``segment_by``: segment, n_active,
    n_offline_only (people active in the month, offline-only in the month)."""
    column = _segment_case(segment_by)
    where, params = _where(f, user_type=False)
    return _ints(wh.frame(f"""
        SELECT month, coalesce({column}, 'all') AS segment, count(*) AS n_active,
               count(*) FILTER (WHERE is_offline_only) AS n_offline_only
        FROM {CONTACT_MONTHS} WHERE {where}
        GROUP BY GROUPING SETS ((month), (month, {column}))
        ORDER BY month, segment""", params))


# -- 6. service quality ------------------------------------------------------------------------

def quality_by_channel(wh: Warehouse, f: ChannelFilters) -> pl.DataFrame:
    """Per channel: n_contacts, n_rated, n_satisfied, n_resolution_known, n_resolved,
    n_appointments, n_no_shows."""
    where, params = _where(f)
    return _ints(wh.frame(f"""
        SELECT channel, sum(n_contacts) AS n_contacts, sum(n_rated) AS n_rated,
               sum(n_satisfied) AS n_satisfied, sum(n_resolution_known) AS n_resolution_known,
               sum(n_resolved) AS n_resolved, sum(n_appointments) AS n_appointments,
               sum(n_no_shows) AS n_no_shows
        FROM {CONTACTS} WHERE {where}
        GROUP BY channel ORDER BY channel""", params))


def no_shows_by_channel_segment(wh: Warehouse, f: ChannelFilters, segment_by: str
                                ) -> pl.DataFrame:
    """Job-seekers' appointments per channel and value of ``segment_by``: channel, segment,
    n_appointments, n_no_shows (channels with appointments only)."""
    column = _segment_case(segment_by)
    where, params = _where(f)
    return _ints(wh.frame(f"""
        SELECT channel, {column} AS segment, sum(n_appointments) AS n_appointments,
               sum(n_no_shows) AS n_no_shows
        FROM {CONTACTS} WHERE {where} AND party_type = 'jobseeker' AND n_appointments > 0
        GROUP BY channel, {column} ORDER BY channel, segment""", params))


def duration_histograms(wh: Warehouse, f: ChannelFilters) -> pl.DataFrame:
    """Wait and duration histograms per channel: channel, measure ('wait' | 'duration'),
    bin_lower_s, bin_upper_s, n_contacts, ordered by channel, measure, bin."""
    # The same histograms at three grains; the smallest that can answer the filters is read.
    # A scoped user is always placed: the segments-only grain has no region.
    placed = scoped_regions(f) is not None or bool(f.agency)
    if not f.has_segment:
        table = DURATIONS_UNSEGMENTED
    elif not placed:
        table = DURATIONS_SEGMENTS
    else:
        table = DURATIONS
    where, params = _where(f, place=table != DURATIONS_SEGMENTS)
    return _ints(wh.frame(f"""
        SELECT channel, measure, bin_lower_s, max(bin_upper_s) AS bin_upper_s,
               sum(n_contacts) AS n_contacts
        FROM {table} WHERE {where}
        GROUP BY channel, measure, bin_lower_s
        ORDER BY channel, measure, bin_lower_s""", params))


# -- 7. support intensity ----------------------------------------------------------------------

def caseloads_at(wh: Warehouse, f: ChannelFilters) -> pl.DataFrame:
    """Counsellors' caseloads at the end of the period's last month: support_tier, norm_label,
    norm_min, norm_max, n_caseload, is_below_norm, is_above_norm, agency_name."""
    where, params = _where(f, segments=False, user_type=False)
    params["month_from"] = f.month_to  # a snapshot: the period's last month end
    if f.support_tier:
        where += " AND list_contains($support_tier, support_tier)"
        params["support_tier"] = list(f.support_tier)
    return _ints(wh.frame(f"""
        SELECT support_tier, norm_label, norm_min, norm_max, n_caseload, is_below_norm,
               is_above_norm, agency_name
        FROM {CASELOADS} WHERE {where}
        ORDER BY support_tier, n_caseload, agency_name""", params))


def caseloads_monthly(wh: Warehouse, f: ChannelFilters) -> pl.DataFrame:
    """Per month and tier: n_counsellors, n_below_norm, n_above_norm, median_caseload."""
    where, params = _where(f, segments=False, user_type=False)
    if f.support_tier:
        where += " AND list_contains($support_tier, support_tier)"
        params["support_tier"] = list(f.support_tier)
    return _ints(wh.frame(f"""
        SELECT month, support_tier, count(*) AS n_counsellors,
               count(*) FILTER (WHERE is_below_norm) AS n_below_norm,
               count(*) FILTER (WHERE is_above_norm) AS n_above_norm,
               median(n_caseload) AS median_caseload
        FROM {CASELOADS} WHERE {where}
        GROUP BY month, support_tier ORDER BY month, support_tier""", params))

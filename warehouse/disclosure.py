"""Statistical disclosure control: build the ``public.*`` marts, the only tables that the public
pages, the open-data API and the embeds read (docs/disclosure-control.md).

It runs inside the warehouse build, right after the SQL models, in the same transaction. It is
Python rather than SQL because secondary suppression is an iterative search over the additive
relations between cells (a region's total is the sum of its occupations, and so on).

Rules, with thresholds from ``Settings.disclosure`` (observatory.toml ``[disclosure]``):

- counts of people below ``min_count`` are suppressed, the others rounded to ``rounding_base``;
- employer-based cells (vacancies) are suppressed unless at least ``min_employers`` employers
  contribute and no single one holds more than ``dominance_share`` of the cell;
- secondary suppression: more cells are suppressed until no suppressed cell can be worked out
  from the published cells of the relations it belongs to (by subtraction, or any other linear
  combination of published totals); job-seekers are protected in one cube of region x occupation
  sought, whose all-occupations column is the region factsheet's count;
- rates are suppressed when their denominator is below ``min_rate_denominator``, when their
  numerator (or its complement) is a suppressed count, or when a count they are built on is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from observatory.settings import DisclosureThresholds

SCHEMA = "public"
ALL = "ALL"  # the code of "all regions" and of "all occupations" in the public marts
PUBLISHED, SUPPRESSED, NOT_AVAILABLE = "published", "suppressed", "not_available"
FOLLOW_UP_MONTHS = 6  # the job-access rate: exits to employment within 6 months of registering
ISCO_MAJOR_GROUPS = tuple(str(g) for g in range(10))
UNKNOWN = "unknown"  # the occupation sought was not recorded

# Official French titles of the ISCO-08 major groups (CITP-08, ILO), used when no ISCO
# classification with French labels has been imported into official.isco_groups.
ISCO_MAJOR_GROUP_LABELS_FR = {
    "0": "Professions militaires",
    "1": "Directeurs, cadres de direction et gérants",
    "2": "Professions intellectuelles et scientifiques",
    "3": "Professions intermédiaires",
    "4": "Employés de type administratif",
    "5": "Personnel des services directs aux particuliers, commerçants et vendeurs",
    "6": "Agriculteurs et ouvriers qualifiés de l'agriculture, de la sylviculture et de la pêche",
    "7": "Métiers qualifiés de l'industrie et de l'artisanat",
    "8": "Conducteurs d'installations et de machines, et ouvriers de l'assemblage",
    "9": "Professions élémentaires",
}


class DisclosureError(RuntimeError):
    """A public mart broke its stated key; the whole build rolls back."""


# -- primary rules (pure) -----------------------------------------------------------------------

def people_primary(values: np.ndarray, t: DisclosureThresholds) -> np.ndarray:
    """Counts of people that may not be published: fewer than ``min_count`` (zero included)."""
    return np.asarray(values) < t.min_count


def employer_primary(values: np.ndarray, n_employers: np.ndarray, top_value: np.ndarray,
                     t: DisclosureThresholds) -> np.ndarray:
    """Employer-based cells that may not be published: too few employers, or one dominates."""
    values, n_employers, top_value = (np.asarray(a, dtype=float)
                                      for a in (values, n_employers, top_value))
    dominated = top_value > t.dominance_share * values
    return (n_employers < t.min_employers) | dominated


def rate_primary(numerators: np.ndarray, denominators: np.ndarray,
                 t: DisclosureThresholds) -> np.ndarray:
    """Rates that may not be published: small denominator, or a small count of people behind
    the numerator or its complement (45 of 50 would tell that 5 did not find a job)."""
    num, den = np.asarray(numerators), np.asarray(denominators)
    return (den < t.min_rate_denominator) | (num < t.min_count) | (den - num < t.min_count)


def round_people(values: np.ndarray, base: int) -> np.ndarray:
    """Counts rounded to the nearest multiple of ``base`` (halves up)."""
    values = np.asarray(values, dtype=np.int64)
    return (values + base // 2) // base * base if base > 1 else values


# -- secondary suppression (pure) ---------------------------------------------------------------

@dataclass(frozen=True)
class Relation:
    """cells[total] = sum of cells[parts]: what a reader can subtract with."""

    total: int
    parts: tuple[int, ...]

    @property
    def members(self) -> tuple[int, ...]:
        return (self.total, *self.parts)


def determined(suppressed: np.ndarray, relations: Sequence[Relation]) -> np.ndarray:
    """Which suppressed cells the published cells pin down exactly.

    Each relation is an equation over its suppressed members (published members are known
    constants). A suppressed cell is determined when its unit vector lies in the row space of
    those equations: when projecting that unit vector onto the row space leaves it whole
    (the projector is V V' from the reduced SVD, so only the diagonal is needed).
    """
    hidden = np.flatnonzero(suppressed)
    out = np.zeros(len(suppressed), dtype=bool)
    if hidden.size == 0:
        return out
    column = {cell: j for j, cell in enumerate(hidden)}
    rows = []
    for rel in relations:
        row = np.zeros(hidden.size)
        for cell, sign in ((rel.total, 1.0), *((p, -1.0) for p in rel.parts)):
            if suppressed[cell]:
                row[column[cell]] += sign
        if row.any():
            rows.append(row)
    if not rows:
        return out
    a = np.array(rows)
    _, s, vt = np.linalg.svd(a, full_matrices=False)
    rank = int((s > 1e-9 * max(1.0, s[0])).sum())
    in_row_space = (vt[:rank] ** 2).sum(axis=0)  # diagonal of the row-space projector
    out[hidden[in_row_space > 1 - 1e-9]] = True
    return out


def secondary_suppression(values: np.ndarray, primary: np.ndarray,
                          relations: Sequence[Relation], level: np.ndarray | None = None
                          ) -> np.ndarray:
    """The cells to suppress in addition to ``primary`` so that none is recoverable.

    Greedy and cheap: the complement is taken at the lowest ``level`` (0 for a detail cell,
    higher for totals: readers care most about those), preferring a cell that also protects
    another exposed relation, then the smallest. Exactness is then checked with
    :func:`determined`, and the search goes on until no suppressed cell is pinned down.
    """
    values = np.asarray(values, dtype=float)
    level = np.zeros(len(values), dtype=int) if level is None else np.asarray(level)
    suppressed = np.asarray(primary, dtype=bool).copy()
    is_total = np.zeros(len(values), dtype=bool)
    for rel in relations:
        is_total[rel.total] = True
    by_cell: dict[int, list[int]] = {}
    for i, rel in enumerate(relations):
        for cell in rel.members:
            by_cell.setdefault(cell, []).append(i)

    def exposed() -> list[int]:
        return [i for i, rel in enumerate(relations)
                if sum(bool(suppressed[c]) for c in rel.members) == 1]

    def cheapest(candidates: Iterable[int], open_relations: set[int]) -> int | None:
        best, best_cost = None, None
        for cell in candidates:
            if suppressed[cell]:
                continue
            helps = sum(1 for i in by_cell.get(cell, ()) if i in open_relations)
            cost = (level[cell], bool(is_total[cell]), -helps, values[cell], cell)
            if best_cost is None or cost < best_cost:
                best, best_cost = cell, cost
        return best

    while True:
        singles = exposed()
        if singles:
            open_set = set(singles)
            cell = cheapest(relations[singles[0]].members, open_set)
            if cell is None:  # cannot happen: an exposed relation has a published member
                break
            suppressed[cell] = True
            continue
        pinned = np.flatnonzero(determined(suppressed, relations))
        if pinned.size == 0:
            break
        target = int(pinned[0])
        candidates = [c for i in by_cell.get(target, ()) for c in relations[i].members]
        cell = cheapest(candidates, set(by_cell.get(target, ())))
        if cell is None:
            break  # every cell related to it is suppressed: it is not pinned by these relations
        suppressed[cell] = True
    return suppressed & ~np.asarray(primary, dtype=bool)


def protect(values: np.ndarray, primary: np.ndarray, relations: Sequence[Relation],
            level: np.ndarray | None = None) -> np.ndarray:
    """Whether each cell is suppressed, primary and secondary together."""
    return np.asarray(primary, dtype=bool) | secondary_suppression(values, primary, relations,
                                                                    level)


# -- cubes: cells, their keys and their relations ------------------------------------------------

def _relations(keys: Sequence[tuple], specs: Sequence[tuple[int, ...]]) -> list[Relation]:
    """Relations of a cube whose keys hold ALL for 'every value' of a dimension.

    For each dimension ``d`` in ``specs`` (a tuple of dimension positions summed over together),
    a cell with ALL in ``d`` is the total of the cells that agree on the other positions and
    hold a real value in ``d``.
    """
    index = {k: i for i, k in enumerate(keys)}
    relations = []
    for dims in specs:
        groups: dict[tuple, list[int]] = {}
        for k, i in index.items():
            if all(k[d] != ALL for d in dims):
                rest = tuple(ALL if d in dims else v for d, v in enumerate(k))
                groups.setdefault(rest, []).append(i)
        for total_key, parts in groups.items():
            if total_key in index:
                relations.append(Relation(index[total_key], tuple(sorted(parts))))
    return relations


def suppress_cube(frame: pl.DataFrame, keys: Sequence[str], block: Sequence[str],
                  primary_col: str, value_col: str, specs: Sequence[tuple[int, ...]]
                  ) -> pl.Series:
    """The suppression flag of every row of ``frame``, protected block by block (a month and a
    measure: no relation crosses blocks)."""
    flags = np.zeros(frame.height, dtype=bool)
    frame = frame.with_row_index("_row")
    for _, part in frame.group_by(list(block), maintain_order=True):
        cell_keys = list(part.select(keys).iter_rows())
        rels = _relations(cell_keys, specs)
        rows = part["_row"].to_numpy()
        level = np.array([sum(v == ALL for v in k) for k in cell_keys], dtype=int)
        flags[rows] = protect(part[value_col].to_numpy(), part[primary_col].to_numpy(), rels,
                              level)
    return pl.Series("suppressed", flags)


# -- inputs read from the warehouse --------------------------------------------------------------

def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pl.DataFrame:
    return con.sql(sql, params=params or {}).pl()


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table]).fetchall()[0][0])


def window(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date, dt.date]:
    """First month, last month and last day observed (core.dim_month)."""
    return con.execute(
        "select min(month), max(month), max(month_end) from core.dim_month").fetchall()[0]


def all_regions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every region code that job-seekers, vacancies or the agency list mention."""
    return [r for (r,) in con.execute("""
        select region_code from core.dim_region
        union select region_code from core.dim_jobseeker_spell
        union select region_code from core.fct_vacancies
        order by 1""").fetchall() if r is not None]


def vacancy_contributions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Vacancies per month x measure x region x occupation x employer: what the employer
    rules need. Same definitions as marts.mart_vacancies_monthly; vacancies whose agency has
    no region are left out of every public figure, totals included."""
    return _frame(con, """
        with v as (
            select employer_id, region_code, isco_major_group, isco08, posted_on, closed_on
            from core.fct_vacancies
            where region_code is not null
        ),
        bounds as (select min(month) as first_month, max(month) as last_month
                   from core.dim_month),
        events as (
            select m.month, 'open' as measure, v.*
            from core.dim_month as m
            join v on v.posted_on <= m.month_end
                  and (v.closed_on is null or v.closed_on > m.month_end)
            union all
            select cast(date_trunc('month', v.posted_on) as date) as month, 'posted', v.*
            from v, bounds
            where v.posted_on >= bounds.first_month
              and date_trunc('month', v.posted_on) <= bounds.last_month
        )
        select month, measure, region_code, isco_major_group, isco08 as isco_unit_group,
               employer_id, count(*) as n
        from events
        group by all
    """)


def people_counts(con: duckdb.DuckDBPyConnection, regions: Sequence[str]) -> pl.DataFrame:
    """Job-seekers per month x region: stock at the month's end, new registrations, exits to
    employment (definitions of marts.mart_jobseeker_flows_monthly), and the six-month
    job-access numerator of each month's entry cohort."""
    return _frame(con, f"""
        with s as (
            select registered_on, exited_on, exit_reason, region_code
            from core.dim_jobseeker_spell
            where region_code is not null
        ),
        stock as (
            select m.month, s.region_code, count(*) as n_jobseekers
            from core.dim_month as m
            join s on s.registered_on <= m.month_end
                  and (s.exited_on is null or s.exited_on > m.month_end)
            group by all
        ),
        inflow as (
            select cast(date_trunc('month', registered_on) as date) as month, region_code,
                   count(*) as n_new_registrations,
                   count(*) filter (where exit_reason = 'employment' and exited_on <=
                       registered_on + interval {FOLLOW_UP_MONTHS} month) as n_job_access_6m
            from s
            group by all
        ),
        outflow as (
            select cast(date_trunc('month', exited_on) as date) as month, region_code,
                   count(*) as n_exits_employment
            from s
            where exit_reason = 'employment' and exited_on is not null
            group by all
        ),
        grid as (
            select m.month, m.month_end, r.region_code
            from core.dim_month as m
            cross join (select unnest($regions) as region_code) as r
        )
        select g.month, g.region_code,
               coalesce(stock.n_jobseekers, 0) as n_jobseekers,
               coalesce(inflow.n_new_registrations, 0) as n_new_registrations,
               coalesce(outflow.n_exits_employment, 0) as n_exits_employment,
               coalesce(inflow.n_job_access_6m, 0) as n_job_access_6m,
               cast(g.month_end + interval {FOLLOW_UP_MONTHS} month as date)
                   <= (select max(month_end) from core.dim_month) as is_cohort_complete
        from grid as g
        left join stock using (month, region_code)
        left join inflow using (month, region_code)
        left join outflow using (month, region_code)
        order by g.month, g.region_code
    """, {"regions": list(regions)})


def jobseeker_occupation_counts(con: duckdb.DuckDBPyConnection, regions: Sequence[str]
                                ) -> pl.DataFrame:
    """Job-seekers registered at the end of each month per region x ISCO-08 major group of the
    occupation they seek ('unknown' when not recorded), as marts.mart_jobseeker_occupations_monthly
    counts them; the grid is complete (every region, the ten groups and 'unknown')."""
    return _frame(con, f"""
        with s as (
            select registered_on, exited_on, region_code,
                   coalesce(sought_isco_major_group, '{UNKNOWN}') as isco_major_group
            from core.dim_jobseeker_spell
            where region_code is not null
        ),
        stock as (
            select m.month, s.region_code, s.isco_major_group, count(*) as n_jobseekers
            from core.dim_month as m
            join s on s.registered_on <= m.month_end
                  and (s.exited_on is null or s.exited_on > m.month_end)
            group by all
        ),
        grid as (
            select m.month, r.region_code, g.isco_major_group
            from core.dim_month as m
            cross join (select unnest($regions) as region_code) as r
            cross join (select unnest($groups) as isco_major_group) as g
        )
        select g.month, g.region_code, g.isco_major_group,
               coalesce(stock.n_jobseekers, 0) as n_jobseekers
        from grid as g
        left join stock using (month, region_code, isco_major_group)
        order by g.month, g.region_code, g.isco_major_group
    """, {"regions": list(regions), "groups": [*ISCO_MAJOR_GROUPS, UNKNOWN]})


# -- the public marts ----------------------------------------------------------------------------

PEOPLE_MEASURES = ("n_jobseekers", "n_new_registrations", "n_exits_employment")
VACANCY_MEASURES = {"open": "n_vacancies_open", "posted": "n_vacancies_posted"}


def _status(suppressed: pl.Expr) -> pl.Expr:
    return pl.when(suppressed).then(pl.lit(SUPPRESSED)).otherwise(pl.lit(PUBLISHED))


def protect_jobseekers(occupations: pl.DataFrame, t: DisclosureThresholds) -> pl.DataFrame:
    """Job-seekers of month x region (and ALL) x major group sought (and ALL; 'unknown' where
    not recorded), suppressed and rounded, protected against both margins at once: a region's
    ALL is the sum of its groups, a group's ALL the sum of the regions. ``_true_jobseekers``
    keeps the true count for the tension's denominator; it is never written."""
    keys = ["month", "region_code", "isco_major_group"]
    n = pl.col("n_jobseekers").sum()
    cube = pl.concat([
        occupations.select(*keys, "n_jobseekers"),
        occupations.group_by("month", "region_code").agg(pl.lit(ALL).alias("isco_major_group"), n),
        occupations.group_by("month", "isco_major_group").agg(pl.lit(ALL).alias("region_code"), n),
        occupations.group_by("month").agg(pl.lit(ALL).alias("region_code"),
                                          pl.lit(ALL).alias("isco_major_group"), n),
    ], how="diagonal").select(keys + ["n_jobseekers"]).sort(keys)
    values = cube["n_jobseekers"].to_numpy()
    frame = cube.select(*keys, pl.col("n_jobseekers").alias("value")).with_columns(
        primary=pl.Series(people_primary(values, t)))
    # ALL in position 0 sums over the regions, in position 1 over the groups.
    flag = suppress_cube(frame, ("region_code", "isco_major_group"), ("month",), "primary",
                         "value", [(0,), (1,)])
    rounded = pl.Series(round_people(values, t.rounding_base))
    return cube.select(keys).with_columns(
        pl.when(flag).then(None).otherwise(rounded).cast(pl.Int64).alias("n_jobseekers"),
        _status(flag).alias("n_jobseekers_status"),
        cube["n_jobseekers"].alias("_true_jobseekers"))


def protect_people(counts: pl.DataFrame, t: DisclosureThresholds,
                   jobseekers: pl.DataFrame | None = None) -> pl.DataFrame:
    """The job-seeker measures of region x month plus ALL, suppressed and rounded; and the
    six-month job-access rate, protected on its (unpublished) numerator.

    ``jobseekers`` (protect_jobseekers) gives the registered job-seekers: its all-occupations
    cells, so that a region's count is published or hidden alike in every public table.
    """
    totals = counts.group_by("month").agg(
        pl.lit(ALL).alias("region_code"),
        *[pl.col(c).sum() for c in (*PEOPLE_MEASURES, "n_job_access_6m")],
        pl.col("is_cohort_complete").all())
    cube = pl.concat([counts, totals.select(counts.columns)]).sort("month", "region_code")
    out = cube.select("month", "region_code")
    specs = [(1,)]  # ALL regions = sum of the regions, month by month
    if jobseekers is not None:
        all_groups = jobseekers.filter(pl.col("isco_major_group") == ALL)
        check = cube.select("month", "region_code", "n_jobseekers").join(
            all_groups.select("month", "region_code", "_true_jobseekers"),
            on=["month", "region_code"], how="left")
        if check.height != all_groups.height or (
                check["n_jobseekers"] != check["_true_jobseekers"].fill_null(-1)).any():
            raise DisclosureError("job-seekers by occupation do not add up to the regions' "
                                  "job-seekers")
        out = out.join(all_groups.select("month", "region_code", "n_jobseekers",
                                         "n_jobseekers_status"),
                       on=["month", "region_code"], how="left", maintain_order="left")
    for measure in PEOPLE_MEASURES:
        if jobseekers is not None and measure == "n_jobseekers":
            continue
        frame = cube.select("month", "region_code", pl.col(measure).alias("value")).with_columns(
            primary=pl.Series(people_primary(cube[measure].to_numpy(), t)))
        flag = suppress_cube(frame, ("month", "region_code"), ("month",), "primary", "value",
                             specs)
        rounded = pl.Series(round_people(cube[measure].to_numpy(), t.rounding_base))
        out = out.with_columns(
            pl.when(flag).then(None).otherwise(rounded).cast(pl.Int64).alias(measure),
            _status(flag).alias(f"{measure}_status"))
    # The rate's numerator is never published, but subtraction over regions works on it too
    # (rate x published cohort size), so it gets the same protection as a count.
    complete = cube["is_cohort_complete"].to_numpy()
    num, den = cube["n_job_access_6m"].to_numpy(), cube["n_new_registrations"].to_numpy()
    frame = cube.select("month", "region_code", pl.col("n_job_access_6m").alias("value")
                        ).with_columns(primary=pl.Series(rate_primary(num, den, t)))
    flag = suppress_cube(frame, ("month", "region_code"), ("month",), "primary", "value", specs)
    rate = np.where(den > 0, num / np.maximum(den, 1), np.nan).round(3)
    return out.with_columns(
        pl.when(~pl.Series(complete)).then(None).when(flag).then(None)
        .otherwise(pl.Series(rate)).alias("rate_job_access_6m"),
        pl.when(~pl.Series(complete)).then(pl.lit(NOT_AVAILABLE))
        .otherwise(_status(flag)).alias("rate_job_access_6m_status"))


def vacancy_cells(contrib: pl.DataFrame, months: Sequence[dt.date], regions: Sequence[str]
                  ) -> pl.DataFrame:
    """Every cell of the vacancy cube with its value, number of employers and largest
    employer's contribution: region x major group (each with ALL) and, nationally, the unit
    groups; the grid is complete, so an empty cell is a cell (and is suppressed)."""
    levels = {
        ("region_code", "isco_major_group"): ("region_code", "isco_major_group"),
        ("region_code",): ("region_code",),
        ("isco_major_group",): ("isco_major_group",),
        (): (),
        ("isco_major_group", "isco_unit_group"): ("isco_major_group", "isco_unit_group"),
    }
    parts = []
    for keep in levels:
        per_employer = contrib.group_by(["month", "measure", *keep, "employer_id"]).agg(
            pl.col("n").sum())
        cell = per_employer.group_by(["month", "measure", *keep]).agg(
            pl.col("n").sum().alias("value"), pl.len().alias("n_employers"),
            pl.col("n").max().alias("top_value"))
        for col in ("region_code", "isco_major_group", "isco_unit_group"):
            if col not in keep:
                cell = cell.with_columns(pl.lit(ALL).alias(col))
        parts.append(cell.select("month", "measure", "region_code", "isco_major_group",
                                 "isco_unit_group", "value", "n_employers", "top_value"))
    cells = pl.concat([p.with_columns(pl.col("value", "n_employers", "top_value")
                                      .cast(pl.Int64)) for p in parts])
    groups = [str(g) for g in range(10)]
    units = (contrib.select("isco_major_group", "isco_unit_group").unique()
             .sort("isco_unit_group"))
    month_df = pl.DataFrame({"month": list(months)}, schema={"month": pl.Date})
    measures = pl.DataFrame({"measure": list(VACANCY_MEASURES)})
    region_grid = pl.DataFrame(
        [(r, g, ALL) for r in (*regions, ALL) for g in (*groups, ALL)],
        schema=("region_code", "isco_major_group", "isco_unit_group"), orient="row")
    unit_grid = units.with_columns(pl.lit(ALL).alias("region_code")).select(
        "region_code", "isco_major_group", "isco_unit_group")
    grid = month_df.join(measures, how="cross").join(
        pl.concat([region_grid, unit_grid]), how="cross")
    return grid.join(cells, on=["month", "measure", "region_code", "isco_major_group",
                                "isco_unit_group"], how="left").with_columns(
        pl.col("value", "n_employers", "top_value").fill_null(0)
    ).sort("month", "measure", "region_code", "isco_major_group", "isco_unit_group")


def protect_vacancies(cells: pl.DataFrame, t: DisclosureThresholds) -> pl.DataFrame:
    """Employer rules on every cell, then secondary suppression over the rows, columns and
    the major group = sum of its unit groups relations of each month and measure."""
    primary = employer_primary(cells["value"].to_numpy(), cells["n_employers"].to_numpy(),
                               cells["top_value"].to_numpy(), t)
    frame = cells.with_columns(primary=pl.Series(primary))
    keys = ("region_code", "isco_major_group", "isco_unit_group")
    # ALL in position 0 sums over regions, in 1 over major groups; in 2 over the unit groups
    # of a major group. Unit cells exist only nationally, so (ALL, g, ALL) = sum of (ALL, g, u).
    specs = [(0,), (1,), (2,)]
    flag = suppress_cube(frame, keys, ("month", "measure"), "primary", "value", specs)
    return cells.with_columns(suppressed=flag)


def _vacancy_wide(protected: pl.DataFrame, units: bool) -> pl.DataFrame:
    rows = protected.filter((pl.col("isco_unit_group") != ALL) if units
                            else (pl.col("isco_unit_group") == ALL))
    out = None
    for measure, name in VACANCY_MEASURES.items():
        part = rows.filter(pl.col("measure") == measure).select(
            "month", "region_code", "isco_major_group", "isco_unit_group",
            pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("value"))
            .cast(pl.Int64).alias(name),
            _status(pl.col("suppressed")).alias(f"{name}_status"))
        out = part if out is None else out.join(
            part, on=["month", "region_code", "isco_major_group", "isco_unit_group"])
    if units:
        return out.drop("region_code").sort("month", "isco_major_group", "isco_unit_group")
    return out.drop("isco_unit_group").sort("month", "region_code", "isco_major_group")


def _published_tension() -> pl.Expr:
    """Open vacancies per job-seeker, from the two *published* counts (job-seekers rounded to
    5): on the true count, vacancies ÷ tension would give the unrounded job-seekers back."""
    return (pl.col("n_vacancies_open") / pl.col("n_jobseekers")).round(3)


def region_factsheet(people: pl.DataFrame, vacancies: pl.DataFrame, t: DisclosureThresholds,
                     true_jobseekers: pl.DataFrame) -> pl.DataFrame:
    """public.factsheet_region_monthly: one row per month x region (and ALL)."""
    totals = vacancies.filter(pl.col("isco_major_group") == ALL).drop("isco_major_group")
    frame = people.join(totals, on=["month", "region_code"], how="left").join(
        true_jobseekers, on=["month", "region_code"], how="left")
    # Tension: open vacancies per registered job-seeker. Published only where both counts are:
    # otherwise the ratio and the other count would give the hidden one back.
    ok = ((pl.col("n_jobseekers_status") == PUBLISHED)
          & (pl.col("n_vacancies_open_status") == PUBLISHED)
          & (pl.col("_true_jobseekers") >= t.min_rate_denominator))
    frame = frame.with_columns(
        pl.when(ok).then(_published_tension()).otherwise(None).alias("rate_tension"),
        _status(~ok).alias("rate_tension_status"))
    return frame.select(
        "month", "region_code",
        *[c for m in PEOPLE_MEASURES for c in (m, f"{m}_status")],
        *[c for m in VACANCY_MEASURES.values() for c in (m, f"{m}_status")],
        "rate_tension", "rate_tension_status", "rate_job_access_6m", "rate_job_access_6m_status",
    ).sort("month", "region_code")


def jobseekers_by_occupation(jobseekers: pl.DataFrame, vacancies: pl.DataFrame,
                             t: DisclosureThresholds) -> pl.DataFrame:
    """public.jobseekers_region_occupation_monthly: one row per month x region (and ALL) x major
    group sought (and ALL, and 'unknown'): job-seekers, and the tension against the open
    vacancies of the same region and group (vacancies_region_occupation_monthly)."""
    keys = ["month", "region_code", "isco_major_group"]
    frame = jobseekers.join(
        vacancies.select(*keys, "n_vacancies_open", "n_vacancies_open_status"), on=keys,
        how="left")
    unknown = pl.col("isco_major_group") == UNKNOWN
    # As in the region factsheet: only where both counts are published, on enough people.
    ok = (~unknown & (pl.col("n_jobseekers_status") == PUBLISHED)
          & (pl.col("n_vacancies_open_status") == PUBLISHED)
          & (pl.col("_true_jobseekers") >= t.min_rate_denominator))
    return frame.with_columns(
        pl.when(ok).then(_published_tension()).otherwise(None).alias("rate_tension"),
        # No vacancy lacks an occupation: the tension of 'unknown' cannot exist.
        pl.when(unknown).then(pl.lit(NOT_AVAILABLE)).otherwise(_status(~ok))
        .alias("rate_tension_status"),
    ).select(*keys, "n_jobseekers", "n_jobseekers_status", "rate_tension",
             "rate_tension_status").sort(keys)


# -- labels and official context -------------------------------------------------------------

def occupation_groups(con: duckdb.DuckDBPyConnection, unit_codes: Sequence[str]
                      ) -> pl.DataFrame:
    """ISCO-08 major groups and the unit groups with vacancies, with English and French
    titles: official.isco_groups when imported, else the built-in major group titles."""
    base = _frame(con, "select isco_major_group as isco_code, isco_major_group_label as label_en "
                       "from core.dim_isco_major_group")
    majors = base.with_columns(
        pl.lit(1, dtype=pl.Int8).alias("level"), pl.lit(None, dtype=pl.String).alias("parent_code"),
        pl.col("isco_code").replace_strict(ISCO_MAJOR_GROUP_LABELS_FR, default=None)
        .alias("label_fr"), pl.lit("ILO ISCO-08 / CITP-08").alias("label_source"))
    units = pl.DataFrame({"isco_code": list(unit_codes)}, schema={"isco_code": pl.String}
                         ).with_columns(
        pl.lit(4, dtype=pl.Int8).alias("level"), pl.col("isco_code").str.head(1).alias("parent_code"),
        pl.lit(None, dtype=pl.String).alias("label_en"), pl.lit(None, dtype=pl.String).alias("label_fr"),
        pl.lit(None, dtype=pl.String).alias("label_source"))
    groups = pl.concat([majors.select(units.columns), units]).sort("level", "isco_code")
    if _has_table(con, "official", "isco_groups"):
        official = _frame(con, """
            select isco_code, min(label_en) as off_en, min(label_fr) as off_fr
            from official.isco_groups where level in (1, 4) group by isco_code""")
        if official.height:
            groups = groups.join(official, on="isco_code", how="left").with_columns(
                pl.coalesce("off_en", "label_en").alias("label_en"),
                pl.coalesce("off_fr", "label_fr").alias("label_fr"),
                pl.when(pl.col("off_en").is_not_null() | pl.col("off_fr").is_not_null())
                .then(pl.lit("ESCO (official.isco_groups)")).otherwise(pl.col("label_source"))
                .alias("label_source")).drop("off_en", "off_fr")
    return groups


# Preferred series, best first; codes and the English labels of Eurostat's labels variant.
_AGE_PREFERENCE = ("Y15-74", "From 15 to 74 years", "TOTAL", "Total", "Y_GE15",
                   "15 years or over", "Y25-74", "From 25 to 74 years", "Y20-64",
                   "From 20 to 64 years")
AGE_CODES = {"From 15 to 74 years": "Y15-74", "Total": "TOTAL", "15 years or over": "Y_GE15",
             "From 25 to 74 years": "Y25-74", "From 20 to 64 years": "Y20-64",
             "Less than 25 years": "Y_LT25"}
_SEX_TOTAL = ("T", "Total")
_UNIT_PERCENT = ("PC_ACT", "Percentage of population in the labour force")
_SADJ_PREFERENCE = ("SA", "Seasonally adjusted data, not calendar adjusted data", "TC",
                    "Trend cycle data", "NSA", "Unadjusted data (i.e. neither seasonally "
                    "adjusted nor calendar adjusted data)")
_DATASETS = ("une_rt_m", "lfst_r_lfu3rt")  # monthly national, annual regional (LFS)


def _rank(value: str | None, preference: Sequence[str]) -> int:
    if value is None:
        return len(preference)
    return preference.index(value) if value in preference else len(preference) + 1


def unemployment_context(con: duckdb.DuckDBPyConnection, regions: Sequence[str]) -> pl.DataFrame:
    """Eurostat unemployment rates for each region's own code where loaded, and for its
    country: one series per (area, geo), the best age/sex/unit/adjustment available."""
    schema = {"area_code": pl.String, "geo": pl.String, "geo_level": pl.String,
              "dataset": pl.String, "freq": pl.String, "period": pl.String,
              "period_start": pl.Date, "value": pl.Float64, "flags": pl.String,
              "age_group": pl.String, "seasonal_adjustment": pl.String,
              "source_updated_on": pl.Date, "attribution": pl.String}
    empty = pl.DataFrame(schema=schema)
    if not _has_table(con, "official", "eurostat_observations"):
        return empty
    countries = sorted({r[:2] for r in regions})
    wanted = sorted({*regions, *countries})
    obs = _frame(con, """
        select o.dataset, o.geo, o.freq, o.period, o.period_start, o.value, o.flags,
               o.dimensions::varchar as dimensions, i.source_updated_on, i.attribution
        from official.eurostat_observations as o
        left join official.imports as i on i.file_name = o.source_file
        where list_contains($datasets, o.dataset) and list_contains($geos, o.geo)
    """, {"datasets": list(_DATASETS), "geos": wanted})
    if obs.height == 0:
        return empty
    dims = [json.loads(d) for d in obs["dimensions"].to_list()]
    obs = obs.with_columns(
        pl.Series("age", [d.get("age") for d in dims], dtype=pl.String),
        pl.Series("sex", [d.get("sex") for d in dims], dtype=pl.String),
        pl.Series("unit", [d.get("unit") for d in dims], dtype=pl.String),
        pl.Series("s_adj", [d.get("s_adj") for d in dims], dtype=pl.String),
    ).filter(pl.col("sex").is_null() | pl.col("sex").is_in(_SEX_TOTAL)).filter(
        pl.col("unit").is_null() | pl.col("unit").is_in(_UNIT_PERCENT))
    series = obs.select("dataset", "geo", "age", "s_adj").unique().with_columns(
        pl.col("dataset").replace_strict({d: i for i, d in enumerate(_DATASETS)}).alias("_d"),
        pl.col("age").map_elements(lambda a: _rank(a, _AGE_PREFERENCE), return_dtype=pl.Int64)
        .alias("_a"),
        pl.col("s_adj").map_elements(lambda s: _rank(s, _SADJ_PREFERENCE), return_dtype=pl.Int64)
        .alias("_s"),
    ).sort("geo", "_d", "_a", "_s").group_by("geo", maintain_order=True).first()
    chosen = obs.join(series.select("dataset", "geo", "age", "s_adj"),
                      on=["dataset", "geo", "age", "s_adj"], nulls_equal=True)
    parts = []
    for area in (*regions, ALL):
        geos = [(area, "region")] if area != ALL else []
        geos += [(c, "country") for c in (countries if area == ALL else [area[:2]])]
        for geo, level in geos:
            rows = chosen.filter(pl.col("geo") == geo)
            if rows.height:
                parts.append(rows.with_columns(pl.lit(area).alias("area_code"),
                                               pl.lit(level).alias("geo_level")))
    if not parts:
        return empty
    out = pl.concat(parts).with_columns(
        pl.col("age").replace(AGE_CODES).alias("age_group"),
        pl.col("s_adj").replace({"Seasonally adjusted data, not calendar adjusted data": "SA",
                                 "Trend cycle data": "TC"}).alias("seasonal_adjustment"))
    return out.select(list(schema)).cast(schema).sort("area_code", "geo_level", "period_start")


# -- writing ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicTable:
    name: str
    grain: str
    key: tuple[str, ...]
    may_be_empty: bool = False

    @property
    def relation(self) -> str:
        return f"{SCHEMA}.{self.name}"


TABLES = (
    PublicTable("release", "one row: the published snapshot and the thresholds applied", ()),
    PublicTable("regions", "one row per region", ("region_code",)),
    PublicTable("occupation_groups", "one row per ISCO-08 major group and unit group with vacancies",
                ("isco_code",)),
    PublicTable("factsheet_region_monthly", "one row per month x region (and ALL regions)",
                ("month", "region_code")),
    PublicTable("vacancies_region_occupation_monthly",
                "one row per month x region (and ALL) x ISCO-08 major group (and ALL)",
                ("month", "region_code", "isco_major_group")),
    PublicTable("vacancies_occupation_monthly",
                "one row per month x ISCO-08 unit group (all regions)",
                ("month", "isco_unit_group")),
    PublicTable("jobseekers_region_occupation_monthly",
                "one row per month x region (and ALL) x ISCO-08 major group sought (and ALL, "
                "and unknown)", ("month", "region_code", "isco_major_group")),
    PublicTable("unemployment_rate",
                "one row per factsheet area x Eurostat geo x period (official context)",
                ("area_code", "geo", "period"), may_be_empty=True),
)


def _write(con: duckdb.DuckDBPyConnection, table: PublicTable, frame: pl.DataFrame) -> int:
    con.register("_public_frame", frame)
    try:
        con.execute(f"create or replace table {table.relation} as select * from _public_frame")
    finally:
        con.unregister("_public_frame")
    n = con.execute(f"select count(*) from {table.relation}").fetchall()[0][0]
    if n == 0 and not table.may_be_empty:
        raise DisclosureError(f"{table.relation} is empty")
    if table.key:
        cols = ", ".join(table.key)
        dupes = con.execute(f"select {cols}, count(*) from {table.relation} group by all "
                            "having count(*) > 1 limit 3").fetchall()
        if dupes:
            raise DisclosureError(f"{table.relation}: key ({cols}) is not unique, e.g. {dupes}")
    return n


def build_public(con: duckdb.DuckDBPyConnection, t: DisclosureThresholds
                 ) -> list[tuple[PublicTable, int]]:
    """(Re)build every public.* mart from core; the caller holds the transaction."""
    first_month, last_month, _ = window(con)
    months = _frame(con, "select month from core.dim_month order by month")["month"].to_list()
    region_names = _frame(con, "select region_code, region_name from core.dim_region "
                               "where region_code is not null order by region_code")

    regions = all_regions(con)
    counts = people_counts(con, regions)
    jobseekers = protect_jobseekers(jobseeker_occupation_counts(con, regions), t)
    people = protect_people(counts, t, jobseekers)
    true_js = pl.concat([
        counts.select("month", "region_code", "n_jobseekers"),
        counts.group_by("month").agg(pl.lit(ALL).alias("region_code"),
                                     pl.col("n_jobseekers").sum()),
    ]).rename({"n_jobseekers": "_true_jobseekers"})

    contrib = vacancy_contributions(con)
    protected = protect_vacancies(vacancy_cells(contrib, months, regions), t)
    by_region = _vacancy_wide(protected, units=False)
    by_unit = _vacancy_wide(protected, units=True)

    factsheet = region_factsheet(people, by_region, t, true_js)
    js_by_occupation = jobseekers_by_occupation(jobseekers, by_region, t)
    units = by_unit["isco_unit_group"].unique().sort().to_list()
    region_frame = pl.DataFrame({"region_code": regions}).join(
        region_names, on="region_code", how="left").with_columns(
        pl.coalesce("region_name", "region_code").alias("region_name"),
        pl.col("region_code").str.head(2).alias("country_code"))

    meta = _frame(con, "select * from meta.dataset") if _has_table(con, "meta", "dataset") \
        else pl.DataFrame({"is_synthetic": [False]})
    complete = factsheet.filter(pl.col("rate_job_access_6m_status") != NOT_AVAILABLE)["month"]
    release = meta.head(1).with_columns(
        pl.lit(first_month).alias("data_from"), pl.lit(last_month).alias("data_to"),
        pl.lit(complete.max() if complete.len() else None, dtype=pl.Date)
        .alias("latest_cohort_month"),
        pl.lit(t.min_count).alias("min_count"), pl.lit(t.rounding_base).alias("rounding_base"),
        pl.lit(t.min_employers).alias("min_employers"),
        pl.lit(t.dominance_share).alias("dominance_share"),
        pl.lit(t.min_rate_denominator).alias("min_rate_denominator"))

    frames = {
        "release": release,
        "regions": region_frame,
        "occupation_groups": occupation_groups(con, units),
        "factsheet_region_monthly": factsheet,
        "vacancies_region_occupation_monthly": by_region,
        "vacancies_occupation_monthly": by_unit,
        "jobseekers_region_occupation_monthly": js_by_occupation,
        "unemployment_rate": unemployment_context(con, regions),
    }
    con.execute(f"create schema if not exists {SCHEMA}")
    return [(table, _write(con, table, frames[table.name])) for table in TABLES]

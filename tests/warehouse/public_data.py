"""A small warehouse holding only the core tables the disclosure step reads, plus meta.dataset.

Readable literal-ish data made with a seeded generator: regions of very different sizes (so
that small cells, dominant employers and secondary suppression all happen), ``n_months``
months of registrations and vacancies. ``build_public_warehouse`` then runs the real
disclosure step, so the public.* marts are exactly what a refresh would publish.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import duckdb
import polars as pl

from observatory.settings import DisclosureThresholds
from warehouse.disclosure import build_public

# code, name, weight: Corsica is tiny on purpose.
REGIONS = (("FR1", "Île-de-France", 12.0), ("FRK", "Auvergne-Rhône-Alpes", 8.0),
           ("FRL", "Provence-Alpes-Côte d'Azur", 5.0), ("FRM", "Corse", 0.3))
ISCO_UNITS = ("1120", "2512", "2221", "3313", "4110", "5120", "5223", "7115", "8322", "9112",
              "9329", "6111")
CORE_DDL = """
create schema if not exists core; create schema if not exists meta;
create table core.dim_month (month date, month_end date);
create table core.dim_region (region_code varchar, region_name varchar, n_agencies bigint);
create table core.dim_isco_major_group (isco_major_group varchar, isco_major_group_label varchar);
create table core.dim_jobseeker_spell (person_id varchar, registered_on date, exited_on date,
    exit_reason varchar, region_code varchar, sought_isco08 varchar,
    sought_isco_major_group varchar);
create table core.fct_vacancies (vacancy_id varchar, employer_id varchar, region_code varchar,
    posted_on date, closed_on date, isco08 varchar, isco_major_group varchar);
create table meta.dataset (is_synthetic boolean, data_from date, data_to date,
    published_at timestamptz, refresh_run_id varchar);
"""
ISCO_EN = ("Armed forces occupations", "Managers", "Professionals",
           "Technicians and associate professionals", "Clerical support workers",
           "Service and sales workers", "Skilled agricultural, forestry and fishery workers",
           "Craft and related trades workers", "Plant and machine operators, and assemblers",
           "Elementary occupations")


def all_region_codes() -> list[str]:
    return sorted(code for code, _, _ in REGIONS)


def _add_months(month: dt.date, n: int) -> dt.date:
    y, m = divmod(month.month - 1 + n, 12)
    return dt.date(month.year + y, m + 1, 1)


def _month_end(month: dt.date) -> dt.date:
    return _add_months(month, 1) - dt.timedelta(days=1)


def core_frames(*, seed: int = 3, n_months: int = 12, first_month=dt.date(2025, 1, 1),
                n_spells: int = 3000, n_employers: int = 150, n_vacancies: int = 2500
                ) -> dict[str, pl.DataFrame]:
    rng = random.Random(seed)
    # A stream of its own, so the occupation sought leaves the rest of the data as it was.
    sought_rng = random.Random(seed + 1)
    months = [_add_months(first_month, i) for i in range(n_months)]
    last_day = _month_end(months[-1])
    weights = [w for _, _, w in REGIONS]
    codes = [c for c, _, _ in REGIONS]
    spells = []
    for i in range(n_spells):
        registered = first_month - dt.timedelta(days=120) + dt.timedelta(
            days=rng.randrange((last_day - first_month).days + 120))
        exited, reason = None, None
        if rng.random() < 0.8:
            exited = registered + dt.timedelta(days=rng.randrange(10, 400))
            reason = rng.choice(("employment", "employment", "training", "no_renewal", "other"))
            if exited > last_day:
                exited, reason = None, None
        # Mostly a unit group; some only a major group, some not recorded.
        sought = sought_rng.choices([sought_rng.choice(ISCO_UNITS), None, "9"], [90, 6, 4])[0]
        spells.append((f"p{i}", registered, exited, reason,
                       rng.choices(codes, weights)[0], sought, sought and sought[0]))
    employers = [(f"e{i}", rng.choices(codes, weights)[0], rng.paretovariate(1.2))
                 for i in range(n_employers)]
    vacancies = []
    for i in range(n_vacancies):
        emp, region, _ = rng.choices(employers, [e[2] for e in employers])[0]
        posted = first_month - dt.timedelta(days=60) + dt.timedelta(
            days=rng.randrange((last_day - first_month).days + 60))
        closed = posted + dt.timedelta(days=rng.randrange(5, 150))
        unit = rng.choice(ISCO_UNITS)
        vacancies.append((f"v{i}", emp, region, posted, closed if closed <= last_day else None,
                          unit, unit[0]))
    return {
        "dim_month": pl.DataFrame({"month": months, "month_end": [_month_end(m) for m in months]}),
        "dim_region": pl.DataFrame([(c, n, 1) for c, n, _ in REGIONS],
                                   schema=("region_code", "region_name", "n_agencies"),
                                   orient="row"),
        "dim_isco_major_group": pl.DataFrame({"isco_major_group": [str(i) for i in range(10)],
                                              "isco_major_group_label": list(ISCO_EN)}),
        "dim_jobseeker_spell": pl.DataFrame(spells, schema=(
            "person_id", "registered_on", "exited_on", "exit_reason", "region_code",
            "sought_isco08", "sought_isco_major_group"), orient="row"),
        "fct_vacancies": pl.DataFrame(vacancies, schema=(
            "vacancy_id", "employer_id", "region_code", "posted_on", "closed_on", "isco08",
            "isco_major_group"), orient="row"),
    }


def load_core(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame],
              months: list[dt.date]) -> None:
    con.execute(CORE_DDL)
    for name, frame in frames.items():
        con.register("_f", frame)
        con.execute(f"insert into core.{name} by name select * from _f")
        con.unregister("_f")
    con.execute("insert into meta.dataset values (true, ?, ?, "
                "timestamptz '2026-01-05 08:30:00+00', 'test-run')", [months[0], months[-1]])


OFFICIAL_DDL = """
create schema if not exists official;
create table official.imports (file_name varchar, source_updated_on date, attribution varchar);
create table official.eurostat_observations (dataset varchar, dimensions json, geo varchar,
    geo_label varchar, period varchar, period_start date, freq varchar, value double,
    flags varchar, source_file varchar);
create table official.isco_groups (isco_code varchar, level tinyint, parent_code varchar,
    label_en varchar, label_fr varchar);
"""


def load_official(con: duckdb.DuckDBPyConnection) -> None:
    """A few official rows: France's monthly rate in the labels variant (two age groups, so the
    choice of series shows), an annual regional series for FR1 only (the NUTS 2010 file knows
    FR1 but not FRK), and French titles for one unit group."""
    con.execute(OFFICIAL_DDL)
    con.execute("""insert into official.imports values
        ('une_rt_m.csv', date '2026-03-04', 'Source: Eurostat'),
        ('lfst_r_lfu3rt.tsv', null, 'Source: Eurostat')""")
    rows = []
    for i in range(14):
        month = _add_months(dt.date(2024, 11, 1), i)
        for age, base in (("From 25 to 74 years", 6.5), ("Less than 25 years", 17.0)):
            dims = json.dumps({"age": age, "s_adj": "Seasonally adjusted data, not calendar "
                               "adjusted data", "sex": "Total",
                               "unit": "Percentage of population in the labour force"})
            rows.append(("une_rt_m", dims, "FR", "France", f"{month:%Y-%m}", month, "M",
                         round(base + 0.1 * (i % 4), 1), "b" if i == 3 else None,
                         "une_rt_m.csv"))
    for year, value in ((2011, 8.6), (2012, 8.9), (2013, 8.7)):
        for age, v in (("Y_GE15", value), ("Y15-24", value * 2)):
            rows.append(("lfst_r_lfu3rt", json.dumps({"age": age, "sex": "T"}), "FR1", None,
                         str(year), dt.date(year, 1, 1), "A", v, None, "lfst_r_lfu3rt.tsv"))
    con.executemany("insert into official.eurostat_observations values "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("""insert into official.isco_groups values
        ('2', 1, null, 'Professionals', 'Professions intellectuelles et scientifiques'),
        ('2512', 4, '251', 'Software developers', 'Développeurs de logiciels')""")


def build_public_warehouse(path: Path, thresholds: DisclosureThresholds | None = None,
                           official: bool = True, **kwargs) -> None:
    """Write a DuckDB file at ``path`` with core tables (and a few official rows) and the
    public marts built from them."""
    frames = core_frames(**kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        load_core(con, frames, frames["dim_month"]["month"].to_list())
        if official:
            load_official(con)
        con.begin()
        build_public(con, thresholds or DisclosureThresholds())
        con.commit()
    finally:
        con.close()

"""Statistical disclosure control of the public marts (warehouse/disclosure.py).

The property test plays the attacker: from the published cells alone it tries to work out every
suppressed cell by subtraction (any linear combination of the additive relations a reader
knows: regions add up to ALL, occupation groups to ALL, unit groups to their major group, the
job-seekers of the occupations sought to their region's), and checks the primary rules against
the true values it generated.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observatory.settings import DisclosureThresholds, load_settings
from warehouse import disclosure as sdc
from warehouse.build import build

sys.path.insert(0, str(Path(__file__).parent))
import public_data  # noqa: E402

ALL = sdc.ALL
T = DisclosureThresholds()


# -- the attacker ------------------------------------------------------------------------------

def recoverable(cells: dict, relations: list[tuple]) -> list:
    """Suppressed cells (value None) that the published ones pin down exactly.

    ``relations`` are (total_key, [part_keys]). A hidden cell is recoverable when its unit
    vector is in the row space of the equations restricted to hidden cells: checked by rank,
    independently of the projector the warehouse uses.
    """
    hidden = sorted(k for k, v in cells.items() if v is None)
    if not hidden:
        return []
    col = {k: j for j, k in enumerate(hidden)}
    rows = []
    for total, parts in relations:
        row = np.zeros(len(hidden))
        for key, sign in ((total, 1), *((p, -1) for p in parts)):
            if key in col:
                row[col[key]] += sign
        if row.any():
            rows.append(row)
    if not rows:
        return []
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    found = []
    for key, j in col.items():
        unit = np.zeros(len(hidden))
        unit[j] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            found.append(key)
    return found


def region_relations(keys) -> list[tuple]:
    regions = sorted({k for k in keys if k != ALL})
    return [(ALL, regions)]


def cube_relations(region_cells: dict, unit_cells: dict) -> list[tuple]:
    """Rows, columns and the unit-group hierarchy of one month and measure."""
    regions = sorted({r for r, _ in region_cells if r != ALL})
    groups = sorted({g for _, g in region_cells if g != ALL})
    rels = [((r, ALL), [(r, g) for g in groups]) for r in (*regions, ALL)]
    rels += [((ALL, g), [(r, g) for r in regions]) for g in (*groups, ALL)]
    by_group = defaultdict(list)
    for g, u in unit_cells:
        by_group[g].append(("unit", u))
    rels += [((ALL, g), units) for g, units in by_group.items()]
    return rels


def people_cube_relations(cells: dict) -> list[tuple]:
    """Rows and columns of region x occupation sought: ALL is the sum over each margin."""
    regions = sorted({r for r, _ in cells if r != ALL})
    groups = sorted({g for _, g in cells if g != ALL})
    rels = [((r, ALL), [(r, g) for g in groups]) for r in (*regions, ALL)]
    return rels + [((ALL, g), [(r, g) for r in regions]) for g in (*groups, ALL)]


def attack(factsheet: pl.DataFrame, by_region: pl.DataFrame, by_unit: pl.DataFrame,
           jobseekers: pl.DataFrame) -> list:
    """Every suppressed cell a reader of the public marts could work out."""
    leaks = []
    for (month,), part in jobseekers.group_by(["month"]):
        cells = {(r["region_code"], r["isco_major_group"]): r["n_jobseekers"]
                 for r in part.iter_rows(named=True)}
        # The region factsheet publishes the all-occupations column: the same cells, alike.
        regions = factsheet.filter(pl.col("month") == month)
        assert {(r, ALL): v for r, v in zip(regions["region_code"], regions["n_jobseekers"],
                                            strict=True)} == {
            k: v for k, v in cells.items() if k[1] == ALL}
        leaks += [("n_jobseekers", month, k)
                  for k in recoverable(cells, people_cube_relations(cells))]
    for measure in sdc.PEOPLE_MEASURES:
        for (month,), part in factsheet.group_by(["month"]):
            cells = dict(zip(part["region_code"], part[measure], strict=True))
            leaks += [(measure, month, k) for k in recoverable(cells, region_relations(cells))]
    for measure in sdc.VACANCY_MEASURES.values():
        for (month,), part in by_region.group_by(["month"]):
            cells = {(r["region_code"], r["isco_major_group"]): r[measure]
                     for r in part.iter_rows(named=True)}
            units = by_unit.filter(pl.col("month") == month)
            unit_cells = {(r["isco_major_group"], r["isco_unit_group"]): r[measure]
                          for r in units.iter_rows(named=True)}
            cells |= {("unit", u): v for (_, u), v in unit_cells.items()}
            leaks += [(measure, month, k)
                      for k in recoverable(cells, cube_relations(
                          {k: v for k, v in cells.items() if k[0] != "unit"}, unit_cells))]
    return leaks


def check_jobseekers(occupations: pl.DataFrame, jobseekers: pl.DataFrame, truth: dict,
                     t: DisclosureThresholds):
    """Job-seekers by occupation sought and their tension meet the rules, against the truth."""
    true = defaultdict(int)
    for r in occupations.iter_rows(named=True):
        for region in (r["region_code"], ALL):
            for group in (r["isco_major_group"], ALL):
                true[(r["month"], region, group)] += r["n_jobseekers"]
    assert jobseekers.height == len(true)
    for row in jobseekers.iter_rows(named=True):
        n = true[(row["month"], row["region_code"], row["isco_major_group"])]
        if row["n_jobseekers"] is not None:
            assert row["n_jobseekers_status"] == sdc.PUBLISHED
            assert n >= t.min_count and row["n_jobseekers"] % t.rounding_base == 0
            assert abs(row["n_jobseekers"] - n) <= t.rounding_base / 2, row
        else:
            assert row["n_jobseekers_status"] == sdc.SUPPRESSED
        if row["isco_major_group"] == sdc.UNKNOWN:
            assert row["rate_tension"] is None
            assert row["rate_tension_status"] == sdc.NOT_AVAILABLE
        elif row["rate_tension"] is not None:
            vacancies, n_emp, top = truth.get(
                (row["month"], "open", row["region_code"], row["isco_major_group"], ALL),
                (0, 0, 0))
            assert row["n_jobseekers"] is not None and n >= t.min_rate_denominator
            assert n_emp >= t.min_employers and top <= t.dominance_share * vacancies
            # From the published counts (never the true job-seekers, which it would reveal),
            # to 3 decimals: within half a unit of the last one.
            assert row["rate_tension"] == pytest.approx(vacancies / row["n_jobseekers"],
                                                        abs=5e-4 + 1e-9)
        else:
            assert row["rate_tension_status"] == sdc.SUPPRESSED


def check_primary(counts: pl.DataFrame, truth: dict, factsheet: pl.DataFrame,
                  by_region: pl.DataFrame, by_unit: pl.DataFrame, t: DisclosureThresholds):
    """Published cells meet the rules, against the true values."""
    true_people = {}
    for r in counts.iter_rows(named=True):
        true_people[(r["month"], r["region_code"])] = r
    numeric = [c for c, dtype in counts.schema.items() if dtype == pl.Int64]
    totals = counts.group_by("month").agg(pl.col(c).sum() for c in numeric)
    for r in totals.iter_rows(named=True):
        true_people[(r["month"], ALL)] = r
    for row in factsheet.iter_rows(named=True):
        true = true_people[(row["month"], row["region_code"])]
        for m in sdc.PEOPLE_MEASURES:
            if row[m] is not None:
                assert true[m] >= t.min_count, (row, m)
                assert row[m] % t.rounding_base == 0 and abs(row[m] - true[m]) <= t.rounding_base / 2
            else:
                assert row[f"{m}_status"] == sdc.SUPPRESSED
        if row["rate_job_access_6m"] is not None:
            num, den = true["n_job_access_6m"], true["n_new_registrations"]
            assert den >= t.min_rate_denominator and num >= t.min_count
            assert den - num >= t.min_count
            # Published to 3 decimals (half to even): within half a unit of the last one.
            assert row["rate_job_access_6m"] == pytest.approx(num / den, abs=5e-4 + 1e-9)
        if row["rate_tension"] is not None:
            assert row["n_jobseekers"] is not None and row["n_vacancies_open"] is not None
            assert true["n_jobseekers"] >= t.min_rate_denominator
            assert row["rate_tension"] == pytest.approx(
                row["n_vacancies_open"] / row["n_jobseekers"], abs=5e-4 + 1e-9)
    for frame, unit in ((by_region, False), (by_unit, True)):
        for row in frame.iter_rows(named=True):
            key = (ALL, row["isco_major_group"], row["isco_unit_group"]) if unit else \
                (row["region_code"], row["isco_major_group"], ALL)
            for measure, col in sdc.VACANCY_MEASURES.items():
                value, n_emp, top = truth.get((row["month"], measure, *key), (0, 0, 0))
                if row[col] is not None:
                    assert row[col] == value
                    assert n_emp >= t.min_employers and top <= t.dominance_share * value, row


def true_vacancy_cells(contrib: pl.DataFrame) -> dict:
    """(month, measure, region, group, unit) -> (value, n employers, largest employer),
    recomputed with plain Python for every cell and margin."""
    per = defaultdict(lambda: defaultdict(int))
    for r in contrib.iter_rows(named=True):
        for region in (r["region_code"], ALL):
            for group, unit in ((r["isco_major_group"], ALL), (ALL, ALL),
                                (r["isco_major_group"], r["isco_unit_group"])):
                if unit != ALL and region != ALL:
                    continue
                per[(r["month"], r["measure"], region, group, unit)][r["employer_id"]] += r["n"]
    return {k: (sum(v.values()), len(v), max(v.values())) for k, v in per.items()}


def publish(counts: pl.DataFrame, occupations: pl.DataFrame, contrib: pl.DataFrame, months,
            regions, t):
    """What build_public writes, from in-memory inputs: the region factsheet, vacancies by
    region x group and by unit group, job-seekers by region x occupation sought."""
    jobseekers = sdc.protect_jobseekers(occupations, t)
    people = sdc.protect_people(counts, t, jobseekers)
    protected = sdc.protect_vacancies(sdc.vacancy_cells(contrib, months, regions), t)
    by_region = sdc._vacancy_wide(protected, units=False)
    by_unit = sdc._vacancy_wide(protected, units=True)
    true_js = pl.concat([
        counts.select("month", "region_code", "n_jobseekers"),
        counts.group_by("month").agg(pl.lit(ALL).alias("region_code"),
                                     pl.col("n_jobseekers").sum())],
    ).rename({"n_jobseekers": "_true_jobseekers"})
    return (sdc.region_factsheet(people, by_region, t, true_js), by_region, by_unit,
            sdc.jobseekers_by_occupation(jobseekers, by_region, t))


# -- the property test ------------------------------------------------------------------------

UNITS = ("2512", "2221", "5120", "5223", "9112")
SOUGHT = ("2", "5", "9", sdc.UNKNOWN)  # major groups sought, and not recorded
small_or_large = st.one_of(st.integers(0, 14), st.integers(0, 400))


@st.composite
def datasets(draw):
    n_regions = draw(st.integers(2, 5))
    regions = [f"R{i}" for i in range(n_regions)]
    months = [dt.date(2025, 1 + i, 1) for i in range(draw(st.integers(1, 3)))]
    count_rows, occupation_rows = [], []
    for m in months:
        for r in regions:
            by_group = [draw(small_or_large) for _ in SOUGHT]
            occupation_rows += [(m, r, g, n) for g, n in zip(SOUGHT, by_group, strict=True)]
            new = draw(small_or_large)
            count_rows.append((m, r, sum(by_group), new, draw(small_or_large),
                               draw(st.integers(0, new)), draw(st.booleans())))
    occupations = pl.DataFrame(occupation_rows, schema={
        "month": pl.Date, "region_code": pl.String, "isco_major_group": pl.String,
        "n_jobseekers": pl.Int64}, orient="row")
    counts = pl.DataFrame(count_rows, schema={
        "month": pl.Date, "region_code": pl.String, "n_jobseekers": pl.Int64,
        "n_new_registrations": pl.Int64, "n_exits_employment": pl.Int64,
        "n_job_access_6m": pl.Int64, "is_cohort_complete": pl.Boolean}, orient="row")
    n_employers = draw(st.integers(1, 12))
    contributions = draw(st.lists(st.tuples(
        st.sampled_from(months), st.sampled_from(("open", "posted")), st.sampled_from(regions),
        st.sampled_from(UNITS), st.integers(0, n_employers - 1), st.integers(1, 25)),
        min_size=0, max_size=60))
    agg = defaultdict(int)
    for m, measure, r, u, e, n in contributions:
        agg[(m, measure, r, u[0], u, f"e{e}")] += n
    contrib = pl.DataFrame([(*k, v) for k, v in agg.items()], schema={
        "month": pl.Date, "measure": pl.String, "region_code": pl.String,
        "isco_major_group": pl.String, "isco_unit_group": pl.String, "employer_id": pl.String,
        "n": pl.Int64}, orient="row")
    t = DisclosureThresholds(min_count=draw(st.sampled_from((5, 10, 20))),
                             rounding_base=draw(st.sampled_from((1, 5, 10))),
                             min_employers=draw(st.sampled_from((2, 3))),
                             dominance_share=draw(st.sampled_from((0.7, 0.85))))
    return counts, occupations, contrib, months, regions, t


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_no_public_output_reveals_a_suppressed_cell(data):
    counts, occupations, contrib, months, regions, t = data
    factsheet, by_region, by_unit, jobseekers = publish(counts, occupations, contrib, months,
                                                        regions, t)
    assert attack(factsheet, by_region, by_unit, jobseekers) == []
    truth = true_vacancy_cells(contrib)
    check_primary(counts, truth, factsheet, by_region, by_unit, t)
    check_jobseekers(occupations, jobseekers, truth, t)


# -- the rules, one by one --------------------------------------------------------------------

def test_people_counts_under_ten_suppressed_others_rounded_to_five():
    values = np.array([0, 9, 10, 12, 13, 17, 18, 1234])
    assert sdc.people_primary(values, T).tolist() == [True, True] + [False] * 6
    assert sdc.round_people(values, 5).tolist() == [0, 10, 10, 10, 15, 15, 20, 1235]


def test_employer_cells_need_three_employers_and_no_dominant_one():
    values = np.array([10, 10, 100, 100, 0])
    n_employers = np.array([2, 3, 3, 3, 0])
    top = np.array([4, 4, 86, 85, 0])
    assert sdc.employer_primary(values, n_employers, top, T).tolist() == [
        True, False, True, False, True]


def test_rates_need_thirty_and_no_small_count_behind_them():
    num = np.array([10, 10, 9, 25, 20])
    den = np.array([29, 30, 40, 30, 40])
    assert sdc.rate_primary(num, den, T).tolist() == [True, False, True, True, False]


def test_one_suppressed_cell_in_a_relation_is_recoverable_two_are_not():
    rel = [sdc.Relation(0, (1, 2, 3))]
    assert sdc.determined(np.array([False, True, False, False]), rel).tolist() == [
        False, True, False, False]
    assert not sdc.determined(np.array([False, True, True, False]), rel).any()


def test_two_protected_blocks_joined_by_one_cell_still_reveal_that_cell():
    # Rows r0..r3, columns c0..c3 (cell = 4*r + c), totals of rows 16..19, of columns 20..23.
    # Suppressed: a 2x2 block in rows 0-1 x columns 0-1, another in rows 2-3 x columns 2-3,
    # and the bridge (1, 2). Every row and column has two hidden cells; the bridge is still
    # worked out: sum the rows 0-1 and subtract the columns 0-1.
    rels = [sdc.Relation(16 + r, tuple(4 * r + c for c in range(4))) for r in range(4)]
    rels += [sdc.Relation(20 + c, tuple(4 * r + c for r in range(4))) for c in range(4)]
    hidden = np.zeros(24, dtype=bool)
    for cell in (0, 1, 4, 5, 10, 11, 14, 15, 6):
        hidden[cell] = True
    assert np.flatnonzero(sdc.determined(hidden, rels)).tolist() == [6]
    extra = sdc.secondary_suppression(np.arange(24) + 50.0, hidden, rels)
    assert extra.any()
    assert not sdc.determined(hidden | extra, rels).any()


def test_secondary_suppression_prefers_small_detail_cells_over_totals():
    # total 0 = 1 + 2 + 3; cell 1 is primary: the complement is the smallest part, not the total.
    values = np.array([100.0, 5, 30, 65])
    primary = np.array([False, True, False, False])
    extra = sdc.secondary_suppression(values, primary, [sdc.Relation(0, (1, 2, 3))],
                                      level=np.array([1, 0, 0, 0]))
    assert extra.tolist() == [False, False, True, False]


# -- the public marts of a built warehouse ----------------------------------------------------

@pytest.fixture(scope="module")
def public_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("public") / "w.duckdb"
    public_data.build_public_warehouse(path)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def test_public_marts_leak_nothing_and_follow_the_rules(public_db):
    frames = {name: public_db.sql(f"select * from public.{name}").pl() for name in (
        "factsheet_region_monthly", "vacancies_region_occupation_monthly",
        "vacancies_occupation_monthly", "jobseekers_region_occupation_monthly")}
    factsheet = frames["factsheet_region_monthly"]
    jobseekers = frames["jobseekers_region_occupation_monthly"]
    assert attack(factsheet, frames["vacancies_region_occupation_monthly"],
                  frames["vacancies_occupation_monthly"], jobseekers) == []
    regions = public_data.all_region_codes()
    counts = sdc.people_counts(public_db, regions)
    contrib = sdc.vacancy_contributions(public_db)
    truth = true_vacancy_cells(contrib)
    check_primary(counts, truth, factsheet, frames["vacancies_region_occupation_monthly"],
                  frames["vacancies_occupation_monthly"], T)
    check_jobseekers(sdc.jobseeker_occupation_counts(public_db, regions), jobseekers, truth, T)
    # Every group and 'unknown' is a row; most are published, some tensions too.
    assert set(jobseekers["isco_major_group"]) == {*sdc.ISCO_MAJOR_GROUPS, sdc.UNKNOWN, ALL}
    assert set(jobseekers["n_jobseekers_status"]) == {sdc.PUBLISHED, sdc.SUPPRESSED}
    assert (jobseekers["rate_tension_status"] == sdc.PUBLISHED).sum() > 0
    statuses = factsheet["n_jobseekers_status"].value_counts()
    # The small region is suppressed in some months and the data is still mostly published.
    assert set(statuses["n_jobseekers_status"]) == {sdc.PUBLISHED, sdc.SUPPRESSED}
    assert factsheet.filter(pl.col("region_code") == ALL)["n_vacancies_open"].null_count() == 0


def test_published_counts_match_the_warehouse_definitions(public_db):
    """Published vacancy cells are the exact counts of core.fct_vacancies (open at the month's
    end); published people counts are the stock at the month's end, rounded."""
    got = public_db.sql("""
        select month, region_code, n_vacancies_open as v, n_jobseekers as js
        from public.factsheet_region_monthly where region_code = 'FR1'""").pl()
    true = public_db.sql("""
        select m.month,
               (select count(*) from core.fct_vacancies v where v.region_code = 'FR1'
                and v.posted_on <= m.month_end
                and (v.closed_on is null or v.closed_on > m.month_end)) as v,
               (select count(*) from core.dim_jobseeker_spell s where s.region_code = 'FR1'
                and s.registered_on <= m.month_end
                and (s.exited_on is null or s.exited_on > m.month_end)) as js
        from core.dim_month m order by m.month""").pl()
    joined = got.join(true, on="month", suffix="_true")
    published = joined.filter(pl.col("v").is_not_null())
    assert published.height > 0 and (published["v"] == published["v_true"]).all()
    js = joined.filter(pl.col("js").is_not_null())
    assert ((js["js"] - js["js_true"]).abs() <= 2).all()


def test_job_access_rate_only_for_cohorts_with_six_months_of_follow_up(public_db):
    rows = public_db.sql("""select month, rate_job_access_6m_status as status
                            from public.factsheet_region_monthly where region_code = 'ALL'
                            order by month""").pl()
    last = rows["month"].max()
    available = rows.filter(pl.col("status") != sdc.NOT_AVAILABLE)["month"]
    # Data ends in December: June's cohort (followed to the end of December) is the last.
    assert available.max() == dt.date(last.year, last.month - 6, 1)


def test_unemployment_context_uses_the_region_where_loaded_else_the_country(public_db):
    rows = public_db.sql("""select area_code, geo, geo_level, age_group, count(*) as n
                            from public.unemployment_rate group by all order by all""").pl()
    frk = rows.filter(pl.col("area_code") == "FRK")
    assert frk["geo"].to_list() == ["FR"] and frk["age_group"].to_list() == ["Y25-74"]
    fr1 = rows.filter(pl.col("area_code") == "FR1")
    assert sorted(fr1["geo_level"].to_list()) == ["country", "region"]
    labels = public_db.sql("select isco_code, label_fr from public.occupation_groups "
                           "where isco_code in ('2512', '9')").pl()
    assert dict(labels.iter_rows()) == {"2512": "Développeurs de logiciels",
                                        "9": "Professions élémentaires"}


def test_thresholds_come_from_the_settings(tmp_path):
    (tmp_path / "observatory.toml").write_text(
        "[disclosure]\nmin_count = 50\nrounding_base = 10\nmin_rate_denominator = 100\n")
    thresholds = load_settings(tmp_path).disclosure
    assert thresholds == replace(T, min_count=50, rounding_base=10, min_rate_denominator=100)
    path = tmp_path / "w.duckdb"
    public_data.build_public_warehouse(path, thresholds)
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.sql("select * from public.factsheet_region_monthly").pl()
        release = con.sql("select min_count, rounding_base from public.release").fetchall()
    finally:
        con.close()
    assert release == [(50, 10)]
    published = rows["n_new_registrations"].drop_nulls()
    assert (published % 10 == 0).all() and published.min() >= 50


def test_build_writes_the_public_marts_after_the_models(tmp_path, monkeypatch):
    """warehouse.build.build runs the disclosure step in its transaction, with the thresholds
    it is given (the flow passes Settings.disclosure)."""
    import warehouse.build as wh_build

    if hasattr(wh_build, "analytics"):  # Python models that need the real marts: not here
        monkeypatch.setattr(wh_build.analytics, "build", lambda con, progress=None: [])
    frames = public_data.core_frames(n_months=8)
    con = duckdb.connect(str(tmp_path / "b.duckdb"))
    try:
        con.execute("create schema seed; create schema meta; create table meta.loaded_files "
                    "(is_synthetic boolean)")
        models = tmp_path / "models" / "core"
        models.mkdir(parents=True)
        for name, frame in frames.items():
            con.register("_f", frame)
            con.execute(f"create table seed.{name} as select * from _f")
            con.unregister("_f")
            (models / f"{name}.sql").write_text(
                f"-- grain: test seed\n-- materialized: table\nselect * from seed.{name}\n")
        built = build(con, timezone="Europe/Paris", run_id="t", models_dir=tmp_path / "models",
                      thresholds=replace(T, min_count=20))
        names = [m.relation for m, _ in built]
        assert names[-len(sdc.TABLES):] == [t.relation for t in sdc.TABLES]
        assert con.execute("select min_count from public.release").fetchall() == [(20,)]
    finally:
        con.close()

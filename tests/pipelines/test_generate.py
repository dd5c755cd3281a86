"""The demo generator: files, determinism, contracts, and calibration recomputed from the files."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines import contracts as ct
from pipelines import generate as gen
from pipelines.generate import DemoConfig, generate_demo

SMALL = DemoConfig(seed=7, n_jobseekers=3_000, n_employers=200, months=24, end_month="2026-10")
TINY = DemoConfig(seed=3, n_jobseekers=300, n_employers=30, months=6, end_month="2025-06")
WINDOW_START, WINDOW_END = date(2024, 11, 1), date(2026, 10, 31)
MONTHS = [f"{y}-{m:02d}" for y, m in
          [(2024 + (10 + i) // 12, (10 + i) % 12 + 1) for i in range(24)]]
NATIVE = {"text": pl.String, "int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean,
          "date": pl.Date, "timestamp": pl.Datetime("us")}


# -- fixtures ---------------------------------------------------------------------------------


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _read(root: Path, source: str) -> pl.DataFrame:
    files = sorted((root / source).glob("*.*"))
    if files[0].suffix == ".parquet":
        return pl.concat([pl.read_parquet(f) for f in files])
    return pl.concat([_read_csv_typed(f, ct.CONTRACTS[source]) for f in files])


def _read_csv_typed(path: Path, contract: ct.Contract) -> pl.DataFrame:
    """Cast a CSV read as text to the contract's types; any badly formatted value raises."""
    casts = {
        "text": lambda c: c,
        "int": lambda c: c.cast(pl.Int64, strict=True),
        "float": lambda c: c.cast(pl.Float64, strict=True),
        "bool": lambda c: c.replace_strict({"true": True, "false": False},
                                           return_dtype=pl.Boolean),
        "date": lambda c: c.str.to_date("%Y-%m-%d", strict=True),
        "timestamp": lambda c: c.str.to_datetime("%Y-%m-%dT%H:%M:%S", time_unit="us",
                                                 strict=True),
    }
    raw = pl.read_csv(path, infer_schema=False)
    return raw.select(casts[c.dtype](pl.col(c.name)).alias(c.name) for c in contract.columns)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("small")
    written = generate_demo(root, SMALL)
    return root, written


@pytest.fixture(scope="module")
def data(run) -> dict[str, pl.DataFrame]:
    root, _ = run
    return {s: _read(root, s) for s in ct.LOAD_ORDER}


@pytest.fixture(scope="module")
def contacts(data) -> pl.DataFrame:
    """Job-seekers' interactions with the person's traits and age at the time."""
    persons = data["jobseekers"].unique("person_id").select(
        "person_id", "birth_year", "digital_skills", "support_tier")
    return (data["interactions"].filter(pl.col("party_type") == "jobseeker")
            .join(persons, left_on="party_id", right_on="person_id", how="inner")
            .with_columns(age=pl.col("occurred_at").dt.year() - pl.col("birth_year")))


# -- files, manifest, determinism -------------------------------------------------------------


def test_writes_the_documented_files_and_returns_them(run):
    root, written = run
    expected = {"agencies/agencies.csv", "jobseekers/jobseekers.parquet",
                "vacancies/vacancies.parquet", "_synthetic.json"}
    expected |= {f"interactions/interactions_{m}.parquet" for m in MONTHS}
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert on_disk == expected  # no temp files left behind either
    assert {p.relative_to(root).as_posix() for p in written} == expected


def test_manifest_vouches_for_every_file_without_a_clock(run):
    root, _ = run
    manifest = json.loads((root / "_synthetic.json").read_text(encoding="utf-8"))
    assert set(manifest) == {"generator", "seed", "config", "files"}
    assert manifest["generator"] == "pes-observatory demo"
    assert manifest["seed"] == SMALL.seed
    assert manifest["config"] == dataclasses.asdict(SMALL)
    hashes = _hashes(root)
    del hashes["_synthetic.json"]
    assert manifest["files"] == hashes


def test_same_seed_gives_identical_bytes(run, tmp_path):
    root, _ = run
    generate_demo(tmp_path, SMALL)
    assert _hashes(tmp_path) == _hashes(root)


def test_another_seed_gives_other_data(run, tmp_path):
    root, _ = run
    generate_demo(tmp_path, dataclasses.replace(SMALL, seed=8))
    before, after = _hashes(root), _hashes(tmp_path)
    data_files = [f for f in before if f.startswith(("jobseekers/", "vacancies/", "interactions/"))]
    assert data_files and all(before[f] != after.get(f) for f in data_files)
    # The agency list is reference data, the same whatever the seed.
    assert before["agencies/agencies.csv"] == after["agencies/agencies.csv"]


def test_n_interactions_is_exact(tmp_path):
    for n in (12_345, 300):  # above, then below, the contacts fixed by events alone
        root = tmp_path / str(n)
        generate_demo(root, dataclasses.replace(TINY, n_interactions=n))
        interactions = _read(root, "interactions")
        assert interactions.height == n
        assert interactions["interaction_id"].n_unique() == n


def test_rerun_in_another_format_removes_the_previous_demo_files(tmp_path):
    generate_demo(tmp_path, dataclasses.replace(TINY, file_format="csv"))
    (tmp_path / "interactions" / "real_export.csv").write_text("kept\n")
    generate_demo(tmp_path, TINY)
    left = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.csv")}
    assert left == {"agencies/agencies.csv", "interactions/real_export.csv"}


def test_rejects_an_unknown_file_format(tmp_path):
    with pytest.raises(ValueError, match="file_format"):
        generate_demo(tmp_path, dataclasses.replace(TINY, file_format="xlsx"))


def test_smallest_config_still_meets_the_contracts(tmp_path):
    generate_demo(tmp_path, DemoConfig(seed=1, n_jobseekers=1, n_employers=1, months=1))
    for source in ct.LOAD_ORDER:
        frame = _read(tmp_path, source)
        assert frame.columns == ct.CONTRACTS[source].names
        nulls = frame.select(pl.col(ct.CONTRACTS[source].required).null_count())
        assert sum(nulls.row(0)) == 0


# -- contracts --------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ct.LOAD_ORDER)
def test_columns_are_the_contract_columns_with_native_types(data, source):
    frame = data[source]
    contract = ct.CONTRACTS[source]
    assert frame.columns == contract.names
    # agencies.csv is read as text and cast strictly, so its types are checked too.
    assert dict(frame.schema) == {c.name: NATIVE[c.dtype] for c in contract.columns}
    assert frame.height > 0


@pytest.mark.parametrize("source", ct.LOAD_ORDER)
def test_values_meet_the_contract(data, source):
    frame = data[source]
    contract = ct.CONTRACTS[source]
    for col in contract.columns:
        values = frame[col.name]
        if col.required:
            assert values.null_count() == 0, col.name
        present = values.drop_nulls()
        if col.allowed is not None:
            assert set(present.unique()) <= set(col.allowed), col.name
        if col.min is not None:
            assert present.min() >= col.min, col.name
        if col.max is not None:
            assert present.max() <= col.max, col.name
        if col.pattern is not None:
            assert present.str.contains(col.pattern).all(), col.name
    if contract.unique_key:
        assert frame[contract.unique_key].is_unique().all()


def test_ids_look_like_raw_exports(data):
    patterns = {
        ("jobseekers", "person_id"): r"^P\d{7}$",
        ("vacancies", "vacancy_id"): r"^V\d{6}$",
        ("vacancies", "employer_id"): r"^E\d{7}$",
        ("interactions", "interaction_id"): r"^I\d{8}$",
        ("interactions", "counsellor_id"): r"^C\d{7}$",
        ("agencies", "agency_code"): r"^(\d{2}|2A|2B)\d{3}$",
    }
    for (source, column), pattern in patterns.items():
        assert data[source][column].drop_nulls().str.contains(pattern).all(), column
    party = data["interactions"].select("party_type", "party_id")
    assert party.filter(pl.col("party_type") == "employer")["party_id"].str.contains(
        r"^E\d{7}$").all()


def test_agencies_cover_the_thirteen_regions(data):
    agencies = data["agencies"]
    per_region = agencies.group_by("region_code").len()
    assert set(per_region["region_code"]) == {r[0] for r in gen.REGIONS}
    assert per_region["len"].min() >= 2 and per_region["len"].max() <= 6
    assert 40 <= agencies.height <= 50
    assert agencies["agency_name"].is_unique().all()
    # Latitude and longitude inside metropolitan France.
    assert agencies["latitude"].is_between(41.3, 51.1).all()
    assert agencies["longitude"].is_between(-5.2, 9.6).all()


def test_rows_agree_with_each_other(data):
    js, vac, it = data["jobseekers"], data["vacancies"], data["interactions"]
    codes = set(data["agencies"]["agency_code"])
    for frame in (js, vac, it):
        assert set(frame["agency_code"].unique()) <= codes
    assert js.select(["person_id", "registered_on"]).is_unique().all()
    assert js.filter(pl.col("exited_on") < pl.col("registered_on")).height == 0
    assert (js["exited_on"].is_null() == js["exit_reason"].is_null()).all()
    assert js.filter(pl.col("employed_3_months_after_exit").is_not_null()
                     & (pl.col("exit_reason") != "employment")).height == 0
    # A person's traits do not change between spells.
    traits = ["birth_year", "sex", "education_level", "digital_skills", "has_disability"]
    assert js.group_by("person_id").agg(pl.col(traits).n_unique()).select(
        pl.max_horizontal(traits).max()).item() == 1
    assert vac.filter(pl.col("closed_on") < pl.col("posted_on")).height == 0
    assert (vac["closed_on"].is_null() == vac["close_reason"].is_null()).all()
    assert vac.filter(pl.col("n_hires_from_proposed") > pl.col("n_candidates_proposed")).height == 0
    assert vac.filter(pl.col("n_hires_from_proposed") > pl.col("n_positions")).height == 0
    assert vac.filter(pl.col("closed_on").is_null() & (pl.col("n_hires_from_proposed") > 0))\
        .height == 0
    seekers = set(js["person_id"])
    parties = set(it.filter(pl.col("party_type") == "jobseeker")["party_id"])
    assert parties <= seekers


def test_interaction_files_hold_their_month_and_the_window(run):
    root, _ = run
    for month in MONTHS:
        frame = pl.read_parquet(root / "interactions" / f"interactions_{month}.parquet")
        assert (frame["occurred_at"].dt.strftime("%Y-%m") == month).all()
        assert frame["occurred_at"].is_sorted()
        assert frame["occurred_at"].dtype.time_zone is None


def test_job_seekers_contacts_fall_within_their_spells(data):
    spells = data["jobseekers"].select(
        "person_id", "registered_on", pl.col("exited_on").fill_null(WINDOW_END))
    it = data["interactions"].filter(pl.col("party_type") == "jobseeker").select(
        "interaction_id", "party_id", day=pl.col("occurred_at").dt.date())
    matched = it.join(spells, left_on="party_id", right_on="person_id").with_columns(
        gap=pl.max_horizontal((pl.col("registered_on") - pl.col("day")).dt.total_days(),
                              (pl.col("day") - pl.col("exited_on")).dt.total_days(), 0))
    nearest = matched.group_by("interaction_id").agg(pl.col("gap").min())
    assert nearest.height == it.height
    assert nearest["gap"].max() <= 3  # only weekend moves of staffed contacts on tiny spells
    assert (nearest["gap"] == 0).mean() > 0.995


def test_staff_contacts_name_a_counsellor_of_the_agency(data):
    it = data["interactions"]
    assert (it["counsellor_id"].is_not_null() == it["is_staff_assisted"]).all()
    per_counsellor = it.drop_nulls("counsellor_id").group_by("counsellor_id").agg(
        pl.col("agency_code").n_unique())
    assert per_counsellor["agency_code"].max() == 1


def test_outcome_columns_are_set_where_they_mean_something(data):
    it = data["interactions"]
    appointment = (pl.col("service") == "appointment_booking") | (
        (pl.col("service") == "counselling")
        & pl.col("channel").is_in(["agency", "phone", "video"]))
    assert (it.select(appointment).to_series() == it["appointment_status"].is_not_null()).all()
    assert it.filter(pl.col("wait_s").is_not_null()
                     & ~pl.col("channel").is_in(["phone", "agency", "chat"])).height == 0
    assert it.filter((pl.col("direction") == "outbound") & pl.col("is_resolved").is_not_null())\
        .height == 0
    missed = it.filter((pl.col("service") == "counselling")
                       & pl.col("appointment_status").is_in(["no_show", "cancelled"]))
    assert missed.height > 0
    assert missed.select(pl.col("duration_s", "wait_s", "satisfaction").null_count()).row(0) == (
        missed.height,) * 3
    assert it.filter(pl.col("channel").is_in(["letter", "sms", "email"])
                     & pl.col("duration_s").is_not_null()).height == 0
    assert it.filter((pl.col("channel") == "event") & (pl.col("service") != "recruitment_event"))\
        .height == 0
    employer = it.filter(pl.col("party_type") == "employer")
    assert "vacancy_management" in set(employer["service"])
    assert it.filter((pl.col("party_type") == "jobseeker")
                     & (pl.col("service") == "vacancy_management")).height == 0


def test_no_wall_clock_time_in_the_hour_clocks_change(data):
    at = data["interactions"]["occurred_at"]
    changes = [d for y in (2025, 2026) for d in (date(y, 3, 31), date(y, 10, 31))]
    changes = [d - timedelta(days=(d.weekday() - 6) % 7) for d in changes]
    on_change_day = at.filter(at.dt.date().is_in(changes))
    assert on_change_day.len() > 0
    assert (on_change_day.dt.hour() != 2).all()


def test_csv_export_holds_the_same_rows_as_parquet(data, tmp_path):
    generate_demo(tmp_path, dataclasses.replace(SMALL, file_format="csv"))
    for source in ("jobseekers", "vacancies", "interactions"):
        assert_frame_equal(_read(tmp_path, source), data[source])
    head = (tmp_path / "interactions" / f"interactions_{MONTHS[0]}.csv").read_text().splitlines()
    assert head[0] == ",".join(ct.INTERACTIONS.names)
    assert re.match(r"^I\d{8},\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2},", head[1])
    raw = pl.read_csv(tmp_path / "jobseekers" / "jobseekers.csv", infer_schema=False)
    assert raw["registered_on"].str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    assert set(raw["has_disability"]) == {"true", "false"}
    assert set(raw["employed_3_months_after_exit"].drop_nulls()) == {"true", "false"}
    agencies = (tmp_path / "agencies" / "agencies.csv").read_text(encoding="utf-8")
    assert "\n06001,Nice" in agencies and "\n2A001," in agencies  # codes keep their zeros
    isco = pl.read_csv(tmp_path / "vacancies" / "vacancies.csv", infer_schema=False)["isco08"]
    assert isco.str.contains(r"^\d{4}$").all() and isco.str.starts_with("0").any()


# -- counsellors (the plain functions) --------------------------------------------------------


def test_water_fill_lifts_the_lowest_caseloads_first():
    give = gen._water_fill(np.array([5, 0, 3]), 4)
    assert give.tolist() == [0, 4, 0]
    give = gen._water_fill(np.array([2, 2, 2]), 7)
    assert sorted(give.tolist()) == [2, 2, 3] and give.sum() == 7


def test_caseloads_keep_to_the_norms_at_scale():
    """With enough job-seekers to fill agencies, every portfolio stays under its norm."""
    rng = [np.random.default_rng(s) for s in range(3)]
    cal = gen.Calendar.ending("2026-10", 12)
    agencies = gen.build_agencies()
    persons, first = gen.build_persons(rng[0], 150_000, cal, agencies)
    spells = gen.build_spells(rng[1], persons, first, cal)
    counsellors, _ = gen.assign_counsellors(rng[2], persons, spells,
                                            np.zeros(10, dtype=np.int64), agencies.n, cal)
    end = np.where(spells.exited < 0, cal.end + 1, spells.exited)
    upper = {"autonomous": 350, "guided": 150, "intensive": 70, "global": 70}
    for m in range(cal.n):
        active = (spells.registered <= cal.month_end[m]) & (end > cal.month_end[m])
        load = np.bincount(spells.counsellor[active], minlength=counsellors.n)
        for p, tier in enumerate(ct.SUPPORT_TIERS):
            assert load[counsellors.portfolio == p].max() <= upper[tier], (m, tier)
    assert (np.bincount(spells.counsellor) > 0).sum() >= 0.9 * (counsellors.portfolio < 4).sum()


# -- calibration (docs/calibration.md), recomputed from the files -----------------------------


def test_digital_share_rises_over_the_window(data):
    it = data["interactions"].with_columns(
        month=pl.col("occurred_at").dt.strftime("%Y-%m"),
        digital=pl.col("channel").is_in(ct.DIGITAL_CHANNELS))
    first = it.filter(pl.col("month").is_in(MONTHS[:6]))["digital"].mean()
    last = it.filter(pl.col("month").is_in(MONTHS[-6:]))["digital"].mean()
    assert last - first > 0.03


def test_registration_is_mostly_online_with_some_agency_help(data):
    reg = data["interactions"].filter(pl.col("service") == "registration")
    assert reg["channel"].is_in(["web", "app"]).mean() > 0.70
    agency = reg.filter(pl.col("channel") == "agency")
    assert 0.05 < agency.height / reg.height < 0.25 and agency["is_staff_assisted"].all()


def test_benefit_claims_are_mostly_online_a_fifth_with_help(data):
    claims = data["interactions"].filter(pl.col("service") == "benefit_claim")
    online = claims["channel"].is_in(ct.DIGITAL_CHANNELS)
    assert 0.80 <= online.mean() <= 0.90
    assert 0.15 <= claims.filter(online)["is_staff_assisted"].mean() <= 0.28


def test_no_shows(contacts):
    appts = contacts.filter(pl.col("appointment_status").is_not_null()).with_columns(
        no_show=pl.col("appointment_status") == "no_show")
    assert 0.12 <= appts["no_show"].mean() <= 0.20
    assert 0.01 <= (appts["appointment_status"] == "cancelled").mean() <= 0.06
    young = appts.filter(pl.col("age") < 25)["no_show"].mean()
    others = appts.filter(pl.col("age") >= 25)["no_show"].mean()
    assert young > others * 1.2
    low = appts.filter(pl.col("digital_skills").is_in(["none", "basic"]))["no_show"].mean()
    high = appts.filter(pl.col("digital_skills") == "above_basic")["no_show"].mean()
    assert low > high * 1.1


def _monthly_exit_rates(js: pl.DataFrame) -> pl.DataFrame:
    """Dares definition: registered at the end of M-1, left for a job in M."""
    rows = []
    for month in MONTHS:
        start = date.fromisoformat(month + "-01")
        nxt = (start + timedelta(days=32)).replace(day=1)
        stock = js.filter((pl.col("registered_on") < start)
                          & (pl.col("exited_on").is_null() | (pl.col("exited_on") >= start)))
        stock = stock.with_columns(
            band=pl.when(start.year - pl.col("birth_year") < 25).then(pl.lit("<25"))
            .when(start.year - pl.col("birth_year") < 50).then(pl.lit("25-49"))
            .otherwise(pl.lit("50+")),
            to_job=((pl.col("exit_reason") == "employment") & (pl.col("exited_on") < nxt))
            .fill_null(False),
            quarter=pl.lit((start.month - 1) // 3 + 1))
        rows.append(stock.select("band", "to_job", "quarter"))
    return pl.concat(rows)


def test_monthly_exit_to_employment(data):
    rates = _monthly_exit_rates(data["jobseekers"])
    assert 0.03 <= rates["to_job"].mean() <= 0.06
    by_age = dict(rates.group_by("band").agg(pl.col("to_job").mean()).iter_rows())
    assert by_age["<25"] > by_age["25-49"] > by_age["50+"]
    assert 0.045 <= by_age["<25"] <= 0.075 and 0.010 <= by_age["50+"] <= 0.025
    by_quarter = dict(rates.group_by("quarter").agg(pl.col("to_job").mean()).iter_rows())
    assert by_quarter[3] > by_quarter[4] * 1.1


def test_exit_to_employment_falls_with_time_registered(data):
    js = data["jobseekers"].filter(pl.col("registered_on") >= WINDOW_START)
    left_for_job = (pl.col("exit_reason") == "employment")
    early = js.filter(left_for_job & ((pl.col("exited_on") - pl.col("registered_on"))
                                      .dt.total_days() < 90)).height
    # Among spells that reached 9 months, fewer leave for a job in the next 3 months.
    reached = js.filter(pl.col("exited_on").is_null()
                        | ((pl.col("exited_on") - pl.col("registered_on")).dt.total_days() >= 270))
    reached = reached.filter(pl.col("registered_on") <= WINDOW_END - timedelta(days=360))
    late = reached.filter(left_for_job & ((pl.col("exited_on") - pl.col("registered_on"))
                                          .dt.total_days() < 360)).height
    all_early = js.filter(pl.col("registered_on") <= WINDOW_END - timedelta(days=90)).height
    assert early / all_early > 1.3 * late / reached.height


def test_exit_reasons_follow_the_dares_split(data):
    exits = data["jobseekers"].drop_nulls("exit_reason")
    share = dict(exits["exit_reason"].value_counts(normalize=True).iter_rows())
    assert 0.37 <= share["employment"] <= 0.48
    assert 0.09 <= share["training"] <= 0.15
    assert 0.16 <= share["no_renewal"] <= 0.24
    jobs = exits.filter(pl.col("exit_reason") == "employment")
    assert 0.78 <= jobs["employed_3_months_after_exit"].drop_nulls().mean() <= 0.88
    # Not yet knowable for job exits of the last three months of the window.
    recent = jobs.filter(pl.col("exited_on") > WINDOW_END - timedelta(days=91))
    assert recent.height > 0 and recent["employed_3_months_after_exit"].is_null().all()


def test_some_persons_come_back(data):
    spells_per_person = data["jobseekers"].group_by("person_id").len()["len"]
    assert 0.08 <= (spells_per_person > 1).mean() <= 0.30
    assert spells_per_person.max() == 2


def test_satisfaction(data):
    it = data["interactions"]
    answers = it.drop_nulls("satisfaction")
    assert 0.08 <= answers.height / it.height <= 0.15
    assert 0.65 <= (answers["satisfaction"] >= 4).mean() <= 0.75
    by_agency = answers.group_by("agency_code").agg(
        n=pl.len(), satisfied=(pl.col("satisfaction") >= 4).mean()).filter(pl.col("n") >= 30)
    assert by_agency.height >= 40
    assert by_agency["satisfied"].min() < 0.58 and by_agency["satisfied"].max() > 0.76


def test_vacancies(data):
    vac = data["vacancies"]
    assert 0.62 <= vac["employer_size"].is_in(["micro", "small"]).mean() <= 0.78
    assert (vac["n_positions"] == 1).mean() > 0.6
    assert vac["isco08"].str.slice(0, 1).n_unique() == 10
    filled = vac.filter(pl.col("close_reason").is_in(["filled_pes", "filled_other"]))
    days = (filled["closed_on"] - filled["posted_on"]).dt.total_days()
    assert 21 <= days.median() <= 70
    assert days.mean() > days.median()  # skewed: a long tail of hard-to-fill jobs
    assert vac["closed_on"].is_null().any()
    posted = vac.filter(pl.col("posted_on") >= WINDOW_START).group_by(
        pl.col("posted_on").dt.month().alias("month")).len()
    per_month = dict(posted.iter_rows())
    spring = np.mean([per_month[m] for m in (3, 4, 5, 6)])
    assert spring > 1.2 * np.mean([per_month[8], per_month[12]])


def test_occupation_sought_follows_the_vacancies_but_not_exactly(data):
    """Each person seeks one occupation (ISCO-08), some none; the mix leans on the vacancies'
    occupations so that tension differs by occupation: shortage and surplus groups."""
    js = data["jobseekers"]
    assert js.group_by("person_id").agg(pl.col("sought_isco08").n_unique()).select(
        pl.col("sought_isco08").max()).item() == 1
    persons = js.unique("person_id")
    sought = persons["sought_isco08"]
    assert 0.02 <= sought.is_null().mean() <= 0.045
    assert 0.004 <= (sought.str.len_chars() == 1).mean() <= 0.02  # major group only
    vacancy_codes = set(data["vacancies"]["isco08"])
    sought_codes = set(sought.drop_nulls().filter(sought.drop_nulls().str.len_chars() == 4))
    assert vacancy_codes <= sought_codes and sought_codes - vacancy_codes  # sought-only ones
    # The better educated seek professional and managerial jobs far more often.
    top = pl.col("sought_isco08").str.slice(0, 1).is_in(["1", "2", "3"]).mean()
    by_edu = dict(persons.group_by("education_level").agg(top).iter_rows())
    assert by_edu["high"] > 3 * by_edu["low"]
    # Tension at the window's last month end, by major group: open vacancies / job-seekers.
    end = WINDOW_END
    stock = js.filter((pl.col("registered_on") <= end)
                      & (pl.col("exited_on").is_null() | (pl.col("exited_on") > end)))
    vac = data["vacancies"].filter((pl.col("posted_on") <= end)
                                   & (pl.col("closed_on").is_null()
                                      | (pl.col("closed_on") > end)))
    per_group = (stock.group_by(pl.col("sought_isco08").str.slice(0, 1).alias("g")).len("js")
                 .join(vac.group_by(pl.col("isco08").str.slice(0, 1).alias("g")).len("v"),
                       on="g").filter(pl.col("js") >= 40)
                 .with_columns(tension=pl.col("v") / pl.col("js")))
    tension = dict(per_group.select("g", "tension").iter_rows())
    assert tension["4"] < tension["7"] and tension["4"] < tension["8"]
    assert per_group["tension"].max() > 3 * per_group["tension"].min()


def test_occupation_sought_draws_from_a_stream_of_its_own(tmp_path, monkeypatch):
    """Drawing the occupation sought changes no other value of any file."""
    with_occupation = tmp_path / "with"
    generate_demo(with_occupation, TINY)
    monkeypatch.setattr(gen, "draw_sought", lambda rng, education: np.full(len(education), -1))
    without = tmp_path / "without"
    generate_demo(without, TINY)
    for source in ct.LOAD_ORDER:
        a, b = _read(with_occupation, source), _read(without, source)
        if source == "jobseekers":
            assert b["sought_isco08"].null_count() == b.height
            assert a["sought_isco08"].null_count() < a.height
            a, b = a.drop("sought_isco08"), b.drop("sought_isco08")
        assert_frame_equal(a, b)


def test_persons(data):
    persons = data["jobseekers"].unique("person_id")
    skills = dict(persons["digital_skills"].value_counts(normalize=True).iter_rows())
    assert 0.03 <= skills["none"] <= 0.07 and 0.10 <= skills["basic"] <= 0.16
    assert 0.0 < skills["unknown"] < 0.03
    tiers = dict(persons["support_tier"].value_counts(normalize=True).iter_rows())
    assert 0.35 <= tiers["autonomous"] <= 0.45 and 0.35 <= tiers["guided"] <= 0.45
    assert 0.11 <= tiers["intensive"] <= 0.19 and 0.03 <= tiers["global"] <= 0.08
    assert 0.06 <= persons["has_disability"].mean() <= 0.10
    assert 0 < (persons["sex"] == "X").mean() < 0.01
    ages = data["jobseekers"]["registered_on"].dt.year() - data["jobseekers"]["birth_year"]
    assert ages.min() >= 16 and (WINDOW_END.year - persons["birth_year"]).max() <= 66
    # Low skills are commoner among older and less educated people.
    older = persons.filter(WINDOW_END.year - pl.col("birth_year") >= 50)
    younger = persons.filter(WINDOW_END.year - pl.col("birth_year") < 35)
    low = pl.col("digital_skills").is_in(["none", "basic"])
    assert older.select(low.mean()).item() > 2 * younger.select(low.mean()).item()
    assert (persons.filter(pl.col("education_level") == "low").select(low.mean()).item()
            > 2 * persons.filter(pl.col("education_level") == "high").select(low.mean()).item())


def test_older_and_low_skill_users_use_agency_and_phone_more(contacts):
    staffed = pl.col("channel").is_in(["agency", "phone"]).mean()
    older = contacts.filter(pl.col("age") >= 50).select(staffed).item()
    younger = contacts.filter(pl.col("age") < 50).select(staffed).item()
    assert older > 1.3 * younger
    low = contacts.filter(pl.col("digital_skills").is_in(["none", "basic"])).select(staffed).item()
    high = contacts.filter(pl.col("digital_skills") == "above_basic").select(staffed).item()
    assert low > 1.5 * high


def test_intensive_users_see_counsellors_far_more(data, contacts):
    spells = data["jobseekers"].with_columns(
        start=pl.max_horizontal("registered_on", pl.lit(WINDOW_START)),
        end=pl.col("exited_on").fill_null(WINDOW_END))
    months = spells.group_by("support_tier").agg(
        person_months=((pl.col("end") - pl.col("start")).dt.total_days().clip(0) + 1).sum() / 30.4)
    seen = contacts.filter(pl.col("counsellor_id").is_not_null()).group_by("support_tier").len()
    rate = dict(months.join(seen, on="support_tier").select(
        "support_tier", pl.col("len") / pl.col("person_months")).iter_rows())
    assert rate["intensive"] > 3 * rate["autonomous"]
    assert rate["global"] > rate["guided"] > rate["autonomous"]

"""Each landed table's GX suite: a good file passes, bad files fail with the exact reasons."""

from pathlib import Path

import pytest

from pipelines.ingest import LandedFile, check_file

KEY = b"test-key"


@pytest.fixture
def settings(tmp_path):
    from observatory.settings import load_settings

    return load_settings(tmp_path / "home")


def check(landed_file, settings):
    c = check_file(landed_file, settings, KEY)
    return c.frame, c.problems, c.outcomes

VACANCY_HEADER = ("vacancy_id,employer_id,employer_size,nace_section,isco08,agency_code,"
                  "contract_type,posted_on,n_positions,closed_on,close_reason,"
                  "n_candidates_proposed,n_hires_from_proposed")
GOOD_VACANCIES = [
    "V1,E1,micro,I,5120,A1,permanent,2024-01-02,1,2024-02-20,filled_pes,4,1",
    "V2,E2,large,Q,2221,A1,fixed_term,2024-01-05,3,,,2,0",
]


def landed(tmp_path: Path, source: str, lines: list[str], header: str) -> LandedFile:
    path = tmp_path / f"{source}.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return LandedFile(source, path, "hash")


def reasons(problems):
    return sorted((p.check, p.column, p.n_rows, p.lines) for p in problems)


def test_good_vacancies_pass_every_expectation(settings, tmp_path):
    frame, problems, outcomes = check(landed(tmp_path, "vacancies", GOOD_VACANCIES, VACANCY_HEADER), settings)
    assert problems == []
    assert frame.height == 2
    assert outcomes and all(o["success"] for o in outcomes)
    # Not-null for the required columns, then sets, ranges, regex, the key and the pair
    # rules: 9 + 4 + 3 + 1 + 1 + 2 (types were checked value by value when typing).
    assert len(outcomes) == 20


@pytest.mark.parametrize(("bad_row", "expected"), [
    ("V3,E3,huge,I,5120,A1,permanent,2024-01-02,1,,,,",
     [("expect_column_values_to_be_in_set", "employer_size", 1, (4,))]),
    ("V3,E3,micro,Z,5120,A1,permanent,2024-01-02,1,,,,",
     [("expect_column_values_to_be_in_set", "nace_section", 1, (4,))]),
    ("V3,E3,micro,I,512,A1,permanent,2024-01-02,1,,,,",
     [("expect_column_values_to_match_regex", "isco08", 1, (4,))]),
    ("V3,E3,micro,I,5120,A1,permanent,2024-01-02,0,,,,",
     [("expect_column_values_to_be_between", "n_positions", 1, (4,))]),
    ("V3,E3,micro,I,5120,A1,permanent,2024-03-01,1,2024-02-01,expired,,",
     [("expect_column_pair_values_a_to_be_greater_than_b", "closed_on", 1, (4,))]),
    ("V3,E3,micro,I,5120,A1,permanent,2024-01-02,1,,,1,2",
     [("expect_column_pair_values_a_to_be_greater_than_b", "n_candidates_proposed", 1, (4,))]),
    ("V1,E3,micro,I,5120,A1,permanent,2024-01-02,1,,,,",
     [("expect_column_values_to_be_unique", "vacancy_id", 2, (2, 4))]),
    ("V3,,micro,I,5120,A1,permanent,2024-01-02,1,,,,",
     [("expect_column_values_to_not_be_null", "employer_id", 1, (4,))]),
    ("V3,E3,micro,I,5120,A1,permanent,2024-02-30,1,,,,",
     [("type", "posted_on", 1, (4,))]),
])
def test_bad_vacancies_fail_with_exact_reasons(settings, tmp_path, bad_row, expected):
    rows = [*GOOD_VACANCIES, bad_row]
    _, problems, outcomes = check(landed(tmp_path, "vacancies", rows, VACANCY_HEADER), settings)
    assert reasons(problems) == expected
    # What is reported is what GX stored as failed (a parse failure is reported once, as a type).
    failed = {(o["expectation"], o["column"]) for o in outcomes if not o["success"]}
    assert {(p.check, p.column) for p in problems if p.check != "type"} <= failed


def test_missing_required_column_fails_before_validation(settings, tmp_path):
    header = VACANCY_HEADER.replace("isco08,", "")
    rows = [r.replace(",5120", "").replace(",2221", "") for r in GOOD_VACANCIES]
    _, problems, outcomes = check(landed(tmp_path, "vacancies", rows, header), settings)
    assert [p.check for p in problems] == ["columns"]
    assert "required column(s) missing: isco08" in problems[0].detail
    assert outcomes == []


def test_jobseekers_exit_before_registration_and_duplicate_spell(settings, tmp_path):
    header = ("person_id,registered_on,birth_year,sex,education_level,agency_code,"
              "support_tier,digital_skills,has_disability,exited_on,exit_reason")
    rows = [
        "P1,2024-01-10,1990,F,low,A1,guided,basic,false,2024-05-01,employment",
        "P2,2024-01-10,1985,M,high,A1,intensive,none,true,2023-12-01,training",
        "P1,2024-01-10,1990,F,low,A1,guided,basic,false,,",
        "P3,2024-02-01,1970,Q,medium,A1,guided,basic,false,,",
    ]
    _, problems, _ = check(landed(tmp_path, "jobseekers", rows, header), settings)
    assert reasons(problems) == [
        ("expect_column_pair_values_a_to_be_greater_than_b", "exited_on", 1, (3,)),
        ("expect_column_values_to_be_in_set", "sex", 1, (5,)),
        ("expect_compound_columns_to_be_unique", "person_id,registered_on", 2, (2, 4)),
    ]


def test_jobseekers_occupation_sought_must_be_an_isco_08_code(settings, tmp_path):
    header = ("person_id,registered_on,birth_year,sex,education_level,agency_code,"
              "support_tier,digital_skills,has_disability,sought_isco08")
    rows = [
        "P1,2024-01-10,1990,F,low,A1,guided,basic,false,2512",  # a unit group
        "P2,2024-01-10,1985,M,high,A1,guided,basic,false,25",  # a sub-major group
        "P3,2024-01-10,1970,F,medium,A1,guided,basic,false,",  # not recorded
        "P4,2024-01-10,1970,F,medium,A1,guided,basic,false,2599",  # no such unit group
        "P5,2024-01-10,1970,F,medium,A1,guided,basic,false,25120",
    ]
    c = check_file(landed(tmp_path, "jobseekers", rows, header), settings, KEY)
    assert reasons(c.problems) == [("expect_column_values_to_be_in_set", "sought_isco08", 2,
                                    (5, 6))]
    assert c.row_reasons == {5: ["sought_isco08: 2599 is not an allowed code"],
                             6: ["sought_isco08: 25120 is not an allowed code"]}
    # The report names the classification's size instead of listing its 619 codes.
    assert c.problems[0].detail == ("value not allowed (25120, 2599); allowed: one of 619 "
                                    "codes (docs/data-contracts.md)")
    assert c.frame.filter(c.frame["_line"] <= 4)["sought_isco08"].to_list() == [
        "2512", "25", None]


def test_interactions_bad_codes_and_ranges(settings, tmp_path):
    header = ("interaction_id,occurred_at,party_type,party_id,channel,direction,service,"
              "agency_code,is_staff_assisted,duration_s,satisfaction")
    rows = [
        "I1,2024-01-10T09:00:00,jobseeker,P1,web,inbound,registration,A1,false,120,5",
        "I2,2024-01-10T09:00:00,jobseeker,P1,pigeon,inbound,registration,A1,false,,",
        "I3,2024-01-10T09:00:00,jobseeker,P1,phone,inbound,registration,A1,true,-5,6",
    ]
    _, problems, _ = check(landed(tmp_path, "interactions", rows, header), settings)
    assert reasons(problems) == [
        ("expect_column_values_to_be_between", "duration_s", 1, (4,)),
        ("expect_column_values_to_be_between", "satisfaction", 1, (4,)),
        ("expect_column_values_to_be_in_set", "channel", 1, (3,)),
    ]

"""Reading landed files and casting them to their contract."""

from datetime import UTC, date, datetime

import polars as pl
import pytest

from pipelines.contracts import AGENCIES, INTERACTIONS, JOBSEEKERS
from pipelines.parse import LINE, UnreadableFileError, coerce, missing_columns, read_landed


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_lines_are_file_line_numbers(tmp_path):
    path = write(tmp_path, "a.csv", "agency_code,agency_name,region_code,region_name\n"
                                    "A1,One,FR1,IdF\nA2,Two,FRK,AURA\n")
    frame, _ = read_landed(path)
    assert frame[LINE].to_list() == [2, 3]
    assert missing_columns(frame, AGENCIES) == []


def test_missing_required_column_is_named(tmp_path):
    path = write(tmp_path, "a.csv", "agency_code,agency_name,region_name\nA1,One,IdF\n")
    assert missing_columns(read_landed(path)[0], AGENCIES) == ["region_code"]


def test_unreadable_file_says_which_and_why(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(UnreadableFileError, match="cannot be read as parquet"):
        read_landed(path)


def test_types_and_failures_are_reported_by_line(tmp_path):
    path = write(tmp_path, "j.csv",
                 "person_id,registered_on,birth_year,sex,education_level,agency_code,"
                 "support_tier,digital_skills,has_disability,exited_on\n"
                 "P1,2024-01-31,1990,F,low,A1,guided,basic,false,\n"
                 "P2,2024-02-30,19x0,M,high,A1,guided,basic,maybe,2024-03-01\n")
    typed, problems, _ = coerce(read_landed(path)[0], JOBSEEKERS, "Europe/Paris")
    first = typed.row(0, named=True)
    assert first["registered_on"] == date(2024, 1, 31)
    assert first["birth_year"] == 1990 and first["has_disability"] is False
    assert first["exited_on"] is None and first["exit_reason"] is None  # absent optional column
    found = {(p.column, p.detail, p.lines) for p in problems}
    assert found == {
        ("registered_on", "not a valid date", (3,)),
        ("birth_year", "not a valid int", (3,)),
        ("has_disability", "not a valid bool", (3,)),
    }


@pytest.mark.parametrize("last", ["Oui", "maybe"])
def test_booleans_are_read_in_any_spelling_and_case(tmp_path, last):
    """Clean columns take the fast path (their few spellings), a column with one bad value the
    tolerant one: both read the same words, and only the bad value fails."""
    spellings = ["TRUE", "false", "Vrai", "non", "1", "0", "y", "N", last]
    header = ("person_id,registered_on,birth_year,sex,education_level,agency_code,"
              "support_tier,digital_skills,has_disability")
    path = write(tmp_path, "j.csv", "\n".join(
        [header] + [f"P{i},2024-01-31,1990,F,low,A1,guided,basic,{v}"
                    for i, v in enumerate(spellings)]) + "\n")
    typed, problems, _ = coerce(read_landed(path)[0], JOBSEEKERS, "Europe/Paris")
    expected = [True, False, True, False, True, False, True, False]
    assert typed["has_disability"].to_list() == expected + [True if last == "Oui" else None]
    assert [(p.column, p.lines) for p in problems] == (
        [] if last == "Oui" else [("has_disability", (10,))])


def test_naive_times_are_local_to_the_pes_and_offsets_are_respected(tmp_path):
    header = ",".join(c.name for c in INTERACTIONS.columns if c.required)
    rows = [
        "I1,2024-07-01T10:00:00,jobseeker,P1,web,inbound,registration,A1,false",  # CEST, UTC+2
        "I2,2024-01-15 10:00:00,jobseeker,P1,web,inbound,registration,A1,false",  # CET, UTC+1
        "I3,2024-01-15T10:00:00Z,jobseeker,P1,web,inbound,registration,A1,false",
        "I4,2024-03-31T02:30:00,jobseeker,P1,web,inbound,registration,A1,false",  # skipped hour
    ]
    path = write(tmp_path, "i.csv", header + "\n" + "\n".join(rows) + "\n")
    typed, problems, _ = coerce(read_landed(path)[0], INTERACTIONS, "Europe/Paris")
    assert problems == []
    assert typed["occurred_at"].to_list() == [
        datetime(2024, 7, 1, 8, tzinfo=UTC),
        datetime(2024, 1, 15, 9, tzinfo=UTC),
        datetime(2024, 1, 15, 10, tzinfo=UTC),
        datetime(2024, 3, 31, 1, 30, tzinfo=UTC),  # read as 03:30 CEST
    ]


def test_parquet_native_types_pass_through(tmp_path):
    path = tmp_path / "a.parquet"
    pl.DataFrame({"agency_code": ["A1"], "agency_name": ["One"], "region_code": ["FR1"],
                  "region_name": ["IdF"], "latitude": [48.85], "longitude": [2]}).write_parquet(path)
    typed, problems, _ = coerce(read_landed(path)[0], AGENCIES, "Europe/Paris")
    assert problems == []
    assert typed[LINE].to_list() == [1]
    assert typed.schema["longitude"] == pl.Float64 and typed["longitude"][0] == 2.0

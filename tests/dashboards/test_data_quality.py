"""The Data quality page: its queries against the meta tables, its callbacks, and the browser.

Two snapshots: the demo built through the real pipeline (``demo_home``), and a copy of its build
database with a few meta rows written by hand (a second run with a rejected file, quarantined
rows, a duplicate, a replay, a failed run, an import-only run) so that every count is known.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from dash import no_update
from polars.testing import assert_frame_equal

from dashboards import quality_figures as qf
from dashboards import quality_queries as qq
from dashboards.app import create_app
from dashboards.db import open_read_only, warehouse_for
from dashboards.pages import data_quality as dq
from observatory.settings import Settings
from tests.dashboards.layout import by_id, walk
from warehouse.build import publish

ROOT = Path(__file__).resolve().parents[2]

# The meta tables as the row-level quarantine change defines them; created here only where the
# demo build predates them, so these tests hold before and after that change.
NEW_META_DDL = """
alter table meta.file_events add column if not exists n_quarantined bigint default 0;
alter table meta.file_events add column if not exists n_duplicates bigint default 0;
create table if not exists meta.quarantined_rows (
    quarantine_id varchar primary key, source varchar not null, file_name varchar not null,
    content_hash varchar not null, line bigint not null, reasons varchar[] not null,
    quarantine_file varchar not null, run_id varchar not null,
    quarantined_at timestamptz not null, status varchar not null, resolved_run_id varchar,
    resolved_at timestamptz);
create table if not exists meta.duplicate_rows (
    run_id varchar not null, source varchar not null, file_name varchar not null,
    line bigint not null, key varchar not null, kept_file varchar not null,
    detected_at timestamptz not null);
"""
EVENT_COLUMNS = ("run_id, source, file_name, content_hash, outcome, n_rows, detail, occurred_at, "
                 "n_quarantined, n_duplicates")
REJECTION = json.dumps([{"check": "columns", "column": "channel", "n_rows": 0, "lines": [],
                         "detail": "required column is missing"}])
CHANNEL = "channel: unknown code"


# -- snapshots -------------------------------------------------------------------------------

def _copy_build(demo_home: Settings, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(demo_home.build_db, target)
    wal = demo_home.build_db.with_name(demo_home.build_db.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target


def _publish(build: Path, home: Path) -> Settings:
    settings = Settings(home=home)
    publish(build, settings.published_db)
    return settings


def _write_meta(con: duckdb.DuckDBPyConnection, t0: datetime) -> None:
    """Meta rows of four later runs; each count the tests expect follows from these lines."""
    hashes = dict(con.execute("select source || '/' || file_name, content_hash "
                              "from meta.file_events").fetchall())

    def at(hours: float) -> datetime:
        return t0 + timedelta(hours=hours)

    runs = [("run-dq-2", at(2), at(2.1), "completed", 2, 2, 1, 350, None),
            ("run-dq-3", at(3), at(3.1), "completed", 0, 0, 0, 1, None),
            ("run-dq-4", at(4), at(4.01), "failed", 0, 0, 0, 0, "AuditError: mart is empty")]
    con.executemany("insert into meta.refresh_runs (run_id, started_at, finished_at, status, "
                    "n_files_loaded, n_files_skipped, n_files_rejected, n_rows_loaded, message) "
                    "values (?, ?, ?, ?, ?, ?, ?, ?, ?)", runs)
    events = [
        ("import-1", "official", "une_rt_m.csv", "h-official", "loaded", 10, None, at(1), 0, 0),
        ("run-dq-2", "agencies", "agencies.csv", hashes["agencies/agencies.csv"],
         "skipped_duplicate", 0, "same content already loaded as agencies/agencies.csv",
         at(2.01), 0, 0),
        ("run-dq-2", "interactions", "copy_of_2026-06.parquet",
         hashes["interactions/interactions_2026-06.parquet"], "skipped_duplicate", 0,
         "same content already loaded as interactions/interactions_2026-06.parquet",
         at(2.02), 0, 0),
        ("run-dq-2", "jobseekers", "jobseekers_extra.csv", "h-js", "loaded", 50, None, at(2.03),
         2, 0),
        ("run-dq-2", "interactions", "interactions_2026-07.csv", "h-07", "loaded", 300, None,
         at(2.04), 4, 1),
        ("run-dq-2", "interactions", "interactions_bad.csv", "h-bad", "rejected", 0, REJECTION,
         at(2.05), 0, 0),
        ("run-dq-3", "interactions", "interactions_2026-07.csv", "h-07", "replayed", 1, None,
         at(3.01), 0, 0),
    ]
    con.executemany(f"insert into meta.file_events ({EVENT_COLUMNS}) "
                    "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", events)
    q_07 = ("interactions", "interactions_2026-07.csv", "h-07")
    quarantined = [
        ("q1", *q_07, 3, [CHANNEL, "duration_minutes: negative duration"], "run-dq-2", "open",
         None),
        ("q2", *q_07, 7, [CHANNEL], "run-dq-2", "open", None),
        ("q3", *q_07, 9, [CHANNEL, CHANNEL], "run-dq-2", "open", None),  # counted once
        ("q4", *q_07, 12, ["occurred_at: not a valid timestamp"], "run-dq-2", "replayed",
         "run-dq-3"),
        ("q5", "jobseekers", "jobseekers_extra.csv", "h-js", 5, ["birth_year: not a valid int"],
         "run-dq-2", "open", None),
        ("q6", "jobseekers", "jobseekers_extra.csv", "h-js", 6, ["birth_year: not a valid int"],
         "run-dq-2", "superseded", "run-dq-3"),
    ]
    con.executemany(
        "insert into meta.quarantined_rows (quarantine_id, source, file_name, content_hash, line, "
        "reasons, quarantine_file, run_id, quarantined_at, status, resolved_run_id, resolved_at) "
        "values (?, ?, ?, ?, ?, ?, 'rows/x.jsonl', ?, ?, ?, ?, ?)",
        [(q, s, f, h, line, reasons, run, at(2.04), status, resolved,
          at(3.01) if resolved else None)
         for q, s, f, h, line, reasons, run, status, resolved in quarantined])
    con.execute("insert into meta.duplicate_rows (run_id, source, file_name, line, key, "
                "kept_file, detected_at) values ('run-dq-2', 'interactions', "
                "'interactions_2026-07.csv', 15, 'i-123', 'interactions_2026-06.parquet', ?)",
                [at(2.04)])
    validations = [
        ("interactions", "interactions_2026-07.csv", "h-07", "expect_column_to_exist",
         "channel", True, 0, at(2.04)),
        ("interactions", "interactions_2026-07.csv", "h-07",
         "expect_column_values_to_not_be_null", "person_id", True, 0, at(2.04)),
        ("interactions", "interactions_2026-07.csv", "h-07", "expect_column_values_to_be_in_set",
         "channel", False, 3, at(2.04)),
        ("interactions", "interactions_bad.csv", "h-bad", "expect_column_to_exist", "channel",
         False, None, at(2.05)),
        ("interactions", "interactions_bad.csv", "h-bad", "expect_column_to_exist", "person_id",
         True, None, at(2.05)),
        # A later validation of a demo file: only this one is its latest.
        ("vacancies", "vacancies.parquet", hashes["vacancies/vacancies.parquet"],
         "expect_column_values_to_be_unique", "vacancy_id", True, 0, at(2.06)),
    ]
    con.executemany("insert into meta.validation_results (run_id, source, file_name, "
                    "content_hash, suite, expectation, column_name, success, unexpected_count, "
                    "validated_at) values ('run-dq-2', ?, ?, ?, 'landed_' || ?, ?, ?, ?, ?, ?)",
                    [(s, f, h, s, e, c, ok, n, when) for s, f, h, e, c, ok, n, when in validations])


@pytest.fixture(scope="module")
def demo_wh(demo_home):
    return warehouse_for(demo_home.published_db)


@pytest.fixture(scope="module")
def demo_meta(demo_home) -> dict[str, pl.DataFrame]:
    """Every row of the demo's meta tables, read once, for independent recomputation."""
    con = open_read_only(demo_home.published_db)
    try:
        return {t: con.sql(f"select * from meta.{t}").pl()
                for t in ("refresh_runs", "file_events", "validation_results", "dataset")}
    finally:
        con.close()


@pytest.fixture(scope="module")
def dq_home(demo_home, demo_meta, tmp_path_factory) -> Settings:
    """The demo snapshot plus the hand-written runs of ``_write_meta``."""
    home = tmp_path_factory.mktemp("dq-home")
    build = _copy_build(demo_home, home / "build-copy" / "build.duckdb")
    # Every hand-written run comes after the demo's own runs.
    latest = demo_meta["refresh_runs"]["started_at"].max()
    con = duckdb.connect(str(build))
    try:
        con.execute(NEW_META_DDL)
        # Only the rows below are in quarantine, whatever the demo sets aside.
        con.execute("delete from meta.quarantined_rows; delete from meta.duplicate_rows")
        _write_meta(con, latest)
        con.execute("checkpoint")
    finally:
        con.close()
    return _publish(build, home)


@pytest.fixture(scope="module")
def dq_wh(dq_home):
    return warehouse_for(dq_home.published_db)


@pytest.fixture(scope="module")
def old_schema_home(demo_home, tmp_path_factory) -> Settings:
    """The demo snapshot as published before row-level quarantine existed."""
    home = tmp_path_factory.mktemp("dq-old-home")
    build = _copy_build(demo_home, home / "build-copy" / "build.duckdb")
    con = duckdb.connect(str(build))
    try:
        con.execute("drop table if exists meta.quarantined_rows; "
                    "drop table if exists meta.duplicate_rows; "
                    "alter table meta.file_events drop column if exists n_quarantined; "
                    "alter table meta.file_events drop column if exists n_duplicates")
        con.execute("checkpoint")
    finally:
        con.close()
    return _publish(build, home)


# -- queries against the demo, recomputed with Polars ----------------------------------------

def test_recent_runs_of_the_demo(demo_wh, demo_meta):
    got = qq.recent_runs(demo_wh, 10)
    runs = demo_meta["refresh_runs"].sort("started_at", descending=True)
    assert got["run_id"].to_list() == runs["run_id"].to_list()
    assert got["status"].to_list() == ["completed"] * runs.height
    events = demo_meta["file_events"]
    for row in got.iter_rows(named=True):
        mine = events.filter(pl.col("run_id") == row["run_id"])
        assert row["n_rows_quarantined"] == mine["n_quarantined"].sum()
        assert row["n_duplicates"] == mine["n_duplicates"].sum()
        assert row["n_rows_loaded"] == runs.filter(pl.col("run_id") == row["run_id"])[
            "n_rows_loaded"].item()
    assert qq.recent_runs(demo_wh, 0).is_empty()


def latest_outcomes(events: pl.DataFrame) -> pl.DataFrame:
    """Each file's latest event, leaving out replays and a file seen again after its load."""
    keys = ["source", "file_name", "content_hash"]
    loaded = (events.filter(pl.col("outcome").is_in(["loaded", "replaced"])).select(keys)
              .unique().with_columns(was_loaded=pl.lit(True)))
    return (events.filter(pl.col("outcome") != "replayed")
            .join(loaded, on=keys, how="left", nulls_equal=False)
            .filter(~((pl.col("outcome") == "skipped_duplicate")
                      & pl.col("was_loaded").fill_null(False)))
            .sort("occurred_at", descending=True)
            .unique(["source", "file_name"], keep="first", maintain_order=True)
            .sort("source", "file_name"))


def test_file_outcomes_of_the_demo(demo_wh, demo_meta):
    events = demo_meta["file_events"]
    columns = ["source", "file_name", "run_id", "outcome", "n_rows", "n_quarantined"]
    got = qq.file_outcomes(demo_wh)
    assert got["occurred_at"].is_sorted(descending=True)
    assert_frame_equal(got.sort("source", "file_name").select(columns),
                       latest_outcomes(events).select(columns))
    run_id = demo_meta["refresh_runs"]["run_id"][0]
    interactions = qq.file_outcomes(demo_wh, run_id=run_id, source="interactions")
    assert interactions.height == events.filter(
        (pl.col("run_id") == run_id) & (pl.col("source") == "interactions")).height > 0
    assert set(interactions["outcome"]) == {"loaded"}


def test_validation_summary_of_the_demo(demo_wh, demo_meta):
    v = demo_meta["validation_results"]
    latest = v.filter(pl.col("validated_at")
                      == pl.col("validated_at").max().over("source", "file_name"))
    expected = (latest.group_by("source", "file_name")
                .agg(n_expectations=pl.len().cast(pl.Int64),
                     n_failed=(~pl.col("success")).sum().cast(pl.Int64))
                .sort("n_failed", "source", "file_name", descending=[True, False, False]))
    got = qq.validation_summary(demo_wh)
    assert_frame_equal(got.select(expected.columns), expected)
    assert got.filter(pl.col("n_failed") == 0)["failed"].to_list() == \
        [[]] * int((got["n_failed"] == 0).sum())


def test_quarantine_questions_of_the_demo(demo_wh, demo_home):
    con = open_read_only(demo_home.published_db)
    try:
        rows = con.sql("select * from meta.quarantined_rows").pl()
    finally:
        con.close()
    expected = (rows.filter(pl.col("status") == "open")
                .with_columns(pl.col("reasons").list.unique()).explode("reasons")
                .group_by("source", pl.col("reasons").alias("reason"))
                .agg(n_rows=pl.len().cast(pl.Int64),
                     n_files=pl.col("file_name").n_unique().cast(pl.Int64))
                .sort("n_rows", "source", "reason", descending=[True, False, False]).head(10))
    assert_frame_equal(qq.top_quarantine_reasons(demo_wh), expected)
    totals = qq.quarantine_totals(demo_wh)
    assert int(totals["n_rows_open"].sum()) == rows.filter(pl.col("status") == "open").height


# -- queries against the hand-written snapshot: exact answers --------------------------------

def test_recent_runs_newest_first_with_their_quarantined_rows(dq_wh, demo_meta):
    got = qq.recent_runs(dq_wh, 10)
    demo_runs = demo_meta["refresh_runs"].sort("started_at", descending=True)["run_id"]
    assert got["run_id"].to_list() == ["run-dq-4", "run-dq-3", "run-dq-2", *demo_runs][:10]
    assert got["status"].to_list()[:3] == ["failed", "completed", "completed"]
    assert got["n_rows_quarantined"].to_list()[:3] == [0, 0, 6]
    assert got["n_duplicates"].to_list()[:3] == [0, 0, 1]
    assert got["message"][0] == "AuditError: mart is empty"
    assert qq.recent_runs(dq_wh, 2)["run_id"].to_list() == ["run-dq-4", "run-dq-3"]


def test_run_choices_and_sources_include_import_only_runs(dq_wh):
    runs = qq.run_choices(dq_wh)
    assert runs["run_id"].to_list()[:3] == ["run-dq-4", "run-dq-3", "run-dq-2"]
    assert "import-1" in runs["run_id"].to_list()
    assert runs.filter(pl.col("run_id") == "import-1")["status"].item() is None
    assert qq.sources(dq_wh) == ["agencies", "jobseekers", "vacancies", "interactions",
                                 "official"]


def test_each_file_latest_outcome_ignores_re_seen_files_and_replays(dq_wh, demo_meta):
    got = qq.file_outcomes(dq_wh)
    assert got.height == latest_outcomes(demo_meta["file_events"]).height + 5
    outcome = dict(zip(got["file_name"], got["outcome"], strict=True))
    assert outcome["agencies.csv"] == "loaded"  # seen again in run-dq-2: not a new outcome
    assert outcome["interactions_2026-07.csv"] == "loaded"  # replayed in run-dq-3
    assert outcome["copy_of_2026-06.parquet"] == "skipped_duplicate"  # a copy is
    assert outcome["interactions_bad.csv"] == "rejected"
    assert outcome["une_rt_m.csv"] == "loaded"
    row = got.filter(pl.col("file_name") == "interactions_2026-07.csv").row(0, named=True)
    assert (row["run_id"], row["n_rows"], row["n_quarantined"], row["n_duplicates"]) == \
        ("run-dq-2", 300, 4, 1)
    assert got["file_name"][0] == "interactions_bad.csv"  # newest first


def test_file_outcomes_of_one_run_and_source(dq_wh):
    run = qq.file_outcomes(dq_wh, run_id="run-dq-2")
    assert run["file_name"].to_list() == [
        "interactions_bad.csv", "interactions_2026-07.csv", "jobseekers_extra.csv",
        "copy_of_2026-06.parquet", "agencies.csv"]
    only = qq.file_outcomes(dq_wh, run_id="run-dq-2", source="interactions")
    assert only["file_name"].to_list() == ["interactions_bad.csv", "interactions_2026-07.csv",
                                           "copy_of_2026-06.parquet"]
    assert qq.file_outcomes(dq_wh, run_id="run-dq-3")["outcome"].to_list() == ["replayed"]
    assert qq.file_outcomes(dq_wh, run_id="no-such-run").is_empty()


def test_top_quarantine_reasons_count_open_rows_once_per_reason(dq_wh):
    expected = pl.DataFrame({
        "source": ["interactions", "interactions", "jobseekers"],
        "reason": [CHANNEL, "duration_minutes: negative duration", "birth_year: not a valid int"],
        "n_rows": [3, 1, 1], "n_files": [1, 1, 1]})
    assert_frame_equal(qq.top_quarantine_reasons(dq_wh), expected)
    assert_frame_equal(qq.top_quarantine_reasons(dq_wh, source="interactions"), expected.head(2))
    assert_frame_equal(qq.top_quarantine_reasons(dq_wh, limit=1), expected.head(1))
    assert_frame_equal(qq.top_quarantine_reasons(dq_wh, run_id="run-dq-2"), expected)
    assert qq.top_quarantine_reasons(dq_wh, run_id="run-dq-3").is_empty()
    assert qq.top_quarantine_reasons(dq_wh, source="agencies").is_empty()


def test_quarantine_totals_per_source_in_load_order(dq_wh):
    expected = pl.DataFrame({
        "source": ["jobseekers", "interactions"], "n_rows_open": [1, 3],
        "n_rows_replayed": [0, 1], "n_rows_superseded": [1, 0], "n_files_open": [1, 1],
        "n_duplicates": [0, 1]})
    assert_frame_equal(qq.quarantine_totals(dq_wh), expected)
    assert_frame_equal(qq.quarantine_totals(dq_wh, source="interactions"), expected.tail(1))


def test_validation_summary_keeps_each_file_latest_validation(dq_wh, demo_meta):
    got = qq.validation_summary(dq_wh)
    assert got.height == demo_meta["validation_results"].select(
        "source", "file_name").n_unique() + 2
    assert got["n_failed"].is_sorted(descending=True)  # files with failures first
    mine = got.filter(pl.col("file_name").is_in(["interactions_2026-07.csv",
                                                 "interactions_bad.csv"]))
    assert mine["file_name"].to_list() == ["interactions_2026-07.csv", "interactions_bad.csv"]
    assert mine["n_failed"].to_list() == [1, 1]
    first = mine.row(0, named=True)
    assert (first["n_expectations"], first["suite"]) == (3, "landed_interactions")
    assert first["failed"] == [{"expectation": "expect_column_values_to_be_in_set",
                                "column_name": "channel", "unexpected_count": 3}]
    vacancies = got.filter(pl.col("file_name") == "vacancies.parquet").row(0, named=True)
    assert (vacancies["n_expectations"], vacancies["n_failed"]) == (1, 0)
    run = qq.validation_summary(dq_wh, run_id="run-dq-2", source="interactions")
    assert run["file_name"].to_list() == ["interactions_2026-07.csv", "interactions_bad.csv"]


def test_a_snapshot_before_row_quarantine_answers_with_empty_frames(old_schema_home):
    wh = warehouse_for(old_schema_home.published_db)
    assert "quarantined_rows" not in qq.recorded(wh)
    assert qq.top_quarantine_reasons(wh).schema == pl.Schema(qq.REASONS_SCHEMA)
    assert qq.top_quarantine_reasons(wh).is_empty()
    assert qq.quarantine_totals(wh).is_empty()
    files = qq.file_outcomes(wh)
    assert files.height > 0 and files["n_quarantined"].null_count() == files.height
    runs = qq.recent_runs(wh)
    assert runs.height == 1 and runs["n_rows_quarantined"].to_list() == [None]


# -- pure builders ---------------------------------------------------------------------------

def test_reasons_figure_puts_the_most_frequent_on_top_with_a_text_alternative():
    df = pl.DataFrame({"source": ["interactions", "jobseekers"],
                       "reason": ["channel: unknown code", "birth_year: not a valid int"],
                       "n_rows": [1200, 3], "n_files": [2, 1]})
    fig = qf.reasons_figure(df)
    assert list(fig.data[0].y) == ["jobseekers · birth_year: not a valid int",
                                   "interactions · channel: unknown code"]
    assert list(fig.data[0].x) == [3, 1200]
    assert list(fig.data[0].text) == ["3", "1,200"]
    text = qf.describe_reasons(df, 1203)
    assert text.startswith("1,203 open quarantined row(s)")
    assert "interactions · channel: unknown code: 1,200 row(s) in 2 file(s)" in text
    one_source = qf.reasons_figure(df.head(1))
    assert list(one_source.data[0].y) == ["channel: unknown code"]
    empty = qf.reasons_figure(df.head(0))
    assert "No rows" in empty.layout.annotations[0].text


def test_details_and_expectations_read_as_sentences():
    assert qf.detail_text(REJECTION) == "column channel: required column is missing"
    assert qf.detail_text("same content already loaded as a/b.csv") == \
        "same content already loaded as a/b.csv"
    assert qf.detail_text(None) == ""
    assert qf.expectation_label("expect_column_values_to_not_be_null", "person_id") == \
        "person_id: column values to not be null"
    assert qf.failed_text([{"expectation": "expect_column_values_to_be_in_set",
                            "column_name": "channel", "unexpected_count": 1234}]) == \
        "channel: column values to be in set (1,234 unexpected)"


# -- the page and its callbacks --------------------------------------------------------------


def ids(layout) -> set:
    return {c.id for c in walk(layout) if isinstance(getattr(c, "id", None), str)}


def text_of(component) -> str:
    if isinstance(component, str | int | float):
        return str(component)
    children = getattr(component, "children", None)
    if children is None:
        return ""
    return "".join(text_of(c) for c in (children if isinstance(children, list | tuple)
                                        else [children]) if c is not None)


def table_rows(layout, table_id: str) -> list[list[str]]:
    table = by_id(layout, table_id)
    body = next(c for c in walk(table) if type(c).__name__ == "Tbody")
    return [[text_of(cell) for cell in row.children] for row in body.children]


@pytest.fixture
def dq_app(dq_home):
    return create_app(dq_home)  # pages read the settings of the app created last


def test_layout_restores_a_shared_view(dq_app):
    page = dq.layout(source="interactions", run="run-dq-2")
    assert by_id(page, dq.cid("source")).value == "interactions"
    assert by_id(page, dq.cid("run")).value == "run-dq-2"
    assert by_id(page, dq.VIEW_ID).data == "?source=interactions&run=run-dq-2"
    assert text_of(by_id(page, "data-freshness")).startswith("Data up to ")
    assert by_id(page, "synthetic-badge")
    runs = table_rows(page, "dq-runs")
    assert [r[0] for r in runs[:3]] == ["run-dq-4", "run-dq-3", "run-dq-2 (shown below)"]
    assert runs[2][3] == "Completed" and runs[2][8] == "6"
    files = table_rows(page, "dq-files")
    assert [r[0] for r in files] == ["interactions / interactions_bad.csv",
                                     "interactions / interactions_2026-07.csv",
                                     "interactions / copy_of_2026-06.parquet"]
    assert files[0][1] == "Rejected" and files[0][7] == "column channel: required column is missing"
    assert files[1][2:5] == ["300", "4", "1"]
    figure = by_id(page, "dq-reasons").figure
    assert list(figure.data[0].x) == [1, 3]
    assert "channel: unknown code: 3 row(s)" in text_of(by_id(page, "dq-reasons-summary"))
    assert table_rows(page, "dq-totals") == [["interactions", "3", "1", "1", "0", "1"]]
    validation = table_rows(page, "dq-validation")
    assert [r[0] for r in validation] == ["interactions / interactions_2026-07.csv",
                                          "interactions / interactions_bad.csv"]
    assert validation[0][5] == "channel: column values to be in set (3 unexpected)"
    # Tables are labelled and their headers scoped.
    for table_id in ("dq-runs", "dq-files", "dq-totals", "dq-validation"):
        table = by_id(page, table_id)
        assert any(type(c).__name__ == "Caption" for c in table.children)
        headers = [c for c in walk(table) if type(c).__name__ == "Th"]
        assert headers and all(h.scope in ("col", "row") for h in headers)


def test_layout_without_query_shows_every_source_and_run(dq_app, demo_meta):
    page = dq.layout()
    assert by_id(page, dq.cid("source")).value is None
    assert by_id(page, dq.cid("run")).value is None
    n_files = latest_outcomes(demo_meta["file_events"]).height + 5
    assert len(table_rows(page, "dq-files")) == n_files
    assert [o["value"] for o in by_id(page, dq.cid("source")).options][-1] == "official"
    assert text_of(by_id(page, "dq-view-status")) == "Showing all sources, all runs."


def test_layout_ignores_unknown_query_values(dq_app):
    page = dq.layout(source="'; drop table meta.file_events; --", run=["nope", "run-dq-3"])
    assert by_id(page, dq.cid("source")).value is None
    assert by_id(page, dq.cid("run")).value is None


CHOICES = dq.Choices(sources=("agencies", "interactions"),
                     runs=(("run-b", "b"), ("run-a", "a")))


def test_a_control_change_writes_a_shareable_query():
    search, view, values = dq.sync(dq.cid("source"), "", ["interactions", "run-a"], "", CHOICES)
    assert search == view == "?source=interactions&run=run-a"
    assert values == [no_update, no_update]
    # Choosing what the URL already says adds no history step and redraws nothing.
    assert dq.sync(dq.cid("run"), search, ["interactions", "run-a"], search, CHOICES) == \
        (no_update, no_update, [no_update, no_update])


def test_back_and_forward_set_the_controls_from_the_url():
    search, view, values = dq.sync(dq.URL_ID, "?run=run-b", ["interactions", None], "?source="
                                   "interactions", CHOICES)
    assert search is no_update  # never write the URL that was just followed
    assert view == "?run=run-b"
    assert values == [None, "run-b"]
    _, _, values = dq.sync(dq.URL_ID, "?source=evil&run=evil", [None, None], "", CHOICES)
    assert values == [no_update, no_update]


def test_update_content_follows_the_view(dq_app):
    content, status = dq.update_content("?source=jobseekers&run=run-dq-2")
    assert status.startswith("Showing source jobseekers, run of ")
    page = dq.html.Div(content)
    assert [r[0] for r in table_rows(page, "dq-files")] == ["jobseekers / jobseekers_extra.csv"]
    assert list(by_id(page, "dq-reasons").figure.data[0].y) == ["birth_year: not a valid int"]


def test_an_older_snapshot_says_what_is_not_recorded_yet(old_schema_home):
    create_app(old_schema_home)
    page = dq.layout()
    assert "dq-reasons-not-recorded" in ids(page)
    assert "meta.quarantined_rows" in text_of(by_id(page, "dq-reasons-not-recorded"))
    assert {"dq-runs", "dq-files", "dq-validation"} <= ids(page)
    assert table_rows(page, "dq-files")[0][3] == "–"  # quarantined rows: not counted then


def test_a_snapshot_without_meta_tables_still_shows_freshness(tiny_warehouse, tmp_path):
    settings = Settings(home=tmp_path)
    tiny_warehouse(settings.published_db)
    create_app(settings)
    page = dq.layout(source="interactions")
    assert text_of(by_id(page, "data-freshness")).startswith("Data up to ")
    assert {"dq-runs-not-recorded", "dq-files-not-recorded", "dq-reasons-not-recorded",
            "dq-validation-not-recorded"} <= ids(page)


def test_without_a_published_warehouse_the_page_says_what_to_do(empty_settings):
    create_app(empty_settings)
    assert "observatory refresh" in text_of(by_id(dq.layout(), "no-data"))
    assert by_id(dq.update_content("")[0], "no-data")


# -- in the browser --------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def dq_server(dq_home, serve_dashboard):
    """The dashboard on the hand-written snapshot, in its own process as in production."""
    return serve_dashboard(dq_home.home, dq.PATH)


@pytest.mark.browser
def test_the_page_in_chromium(dq_server, login, accounts):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.set_default_timeout(15_000)
            login(page, dq_server, accounts.admin)  # data quality is for administrators
            requests, errors = [], []
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            page.goto(dq_server + "/data-quality?source=interactions")
            page.wait_for_selector("#dq-reasons .main-svg")
            assert page.title() == "Data quality · PES Observatory"
            assert page.inner_text("#data-freshness").startswith("Data up to ")
            assert "(current page)" in page.inner_text("a.nav-link.active")
            n_runs = page.locator("#dq-runs tbody tr").count()
            assert n_runs >= 4
            assert page.locator("#dq-runs caption").inner_text().startswith(
                f"The {n_runs} latest run(s). The last one failed")
            files = page.locator("#dq-files tbody th").all_inner_texts()
            assert "interactions / interactions_bad.csv" in files
            assert all(f.startswith("interactions / ") for f in files)
            bars = page.evaluate("() => { const p = document.querySelector("
                                 "'#dq-reasons .js-plotly-plot');"
                                 " return {x: Array.from(p.data[0].x), y: Array.from(p.data[0].y)}; }")
            assert bars == {"x": [1, 3], "y": ["duration_minutes: negative duration", CHANNEL]}
            assert "channel: unknown code: 3 row(s)" in page.inner_text("#dq-reasons-summary")

            # Another source: the URL and the files follow; Back restores the first view.
            page.click(f"#{dq.cid('source')}")
            page.get_by_role("option", name="jobseekers").click()
            page.wait_for_function("() => new URLSearchParams(location.search).get('source')"
                                   " === 'jobseekers'")
            page.wait_for_function("() => [...document.querySelectorAll('#dq-files tbody th')]"
                                   ".every(e => e.innerText.startsWith('jobseekers / '))")
            assert page.inner_text("#dq-view-status") == "Showing source jobseekers, all runs."
            page.go_back()
            page.wait_for_function("() => new URLSearchParams(location.search).get('source')"
                                   " === 'interactions'")
            page.wait_for_function(f"() => document.querySelectorAll('#dq-files tbody tr')"
                                   f".length === {len(files)}")

            # A run from the runs table narrows the files; the URL keeps the source.
            page.locator("#dq-runs a", has_text="run-dq-3").click()
            page.wait_for_function("() => new URLSearchParams(location.search).get('run')"
                                   " === 'run-dq-3'")
            page.wait_for_function("() => document.querySelectorAll('#dq-files tbody tr')"
                                   ".length === 1")
            assert "source=interactions" in page.url
            assert page.inner_text("#dq-files tbody tr").startswith(
                "interactions / interactions_2026-07.csv")
            labels = page.eval_on_selector_all(
                "label[for]", "els => els.map(e => !!document.getElementById(e.htmlFor))")
            assert labels and all(labels)
            assert all(u.startswith(dq_server) for u in requests if not u.startswith("data:"))
            assert errors == []
        finally:
            browser.close()

"""Quarantined rows are kept, listed, shown and replayed once fixed, never loaded twice;
a load killed with SIGKILL leaves the warehouse as it was."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import polars as pl
import pytest

from observatory.cli import main
from pipelines.ingest import ingest_landing
from pipelines.quarantine import replay
from warehouse.db import BUILD_ROW_GROUP_SIZE, connect_build

HEADER = ("interaction_id,occurred_at,party_type,party_id,channel,direction,service,agency_code,"
          "is_staff_assisted")


def row(i: int, channel: str) -> str:
    return f"I{i},2024-03-04T10:00:00,jobseeker,P{i},{channel},inbound,registration,A1,false"


@pytest.fixture
def home(tmp_path, monkeypatch):
    from observatory.settings import load_settings

    monkeypatch.setenv("OBSERVATORY_PSEUDONYM_KEY", "replay-key")
    settings = load_settings(tmp_path / "home")
    settings.ensure_dirs()
    (settings.landing_dir / "interactions").mkdir()
    (settings.landing_dir / "interactions" / "day1.csv").write_text(
        "\n".join([HEADER, row(1, "web"), row(2, "GUICHET"), row(3, "VISIO"), row(4, "PIGEON")]))
    return settings


def raw_ids(settings) -> list[str]:
    con = connect_build(settings.build_db)
    try:
        return [r[0] for r in con.execute(
            "select interaction_id from raw.interactions order by 1").fetchall()]
    finally:
        con.close()


def statuses(settings) -> dict[int, str]:
    con = connect_build(settings.build_db)
    try:
        return dict(con.execute("select line, status from meta.quarantined_rows").fetchall())
    finally:
        con.close()


def test_replay_after_fixing_the_mapping_loads_each_row_once(home, capsys):
    con = connect_build(home.build_db)
    ingest_landing(con, home, "run-1")
    con.close()
    assert raw_ids(home) == ["I1"]
    assert statuses(home) == {3: "open", 4: "open", 5: "open"}

    assert main(["quarantine", "list", "--home", str(home.home), "--json"]) == 0
    [batch] = json.loads(capsys.readouterr().out)
    assert (batch["file"], batch["n_rows"]) == ("day1.csv", 3)
    assert main(["quarantine", "show", batch["quarantine_file"], "--home", str(home.home)]) == 0
    shown = capsys.readouterr().out
    assert "line 3: channel: GUICHET is not an allowed code" in shown and "party_id=P2" in shown

    # The PES's codes are mapped; PIGEON stays unknown.
    (home.home / "mappings.toml").write_text('[channel]\nGUICHET = "agency"\nVISIO = "video"\n')
    con = connect_build(home.build_db)
    try:
        report = replay(con, home, "replay-1")
        assert (report.n_replayed, report.n_still_open, report.n_already_loaded) == (2, 1, 0)
        lineage = con.execute("select interaction_id, channel, _source_file, _line from "
                              "raw.interactions order by 1").fetchall()
        assert lineage == [("I1", "web", "day1.csv", 2), ("I2", "agency", "day1.csv", 3),
                           ("I3", "video", "day1.csv", 4)]
        again = replay(con, home, "replay-2")
        assert (again.n_replayed, again.n_still_open) == (0, 1)
    finally:
        con.close()
    assert raw_ids(home) == ["I1", "I2", "I3"]
    assert statuses(home) == {3: "replayed", 4: "replayed", 5: "open"}


def test_replay_does_not_load_a_row_already_loaded_from_another_file(home):
    con = connect_build(home.build_db)
    try:
        ingest_landing(con, home, "run-1")
        # The export is corrected and re-landed under another name before anyone replays.
        (home.landing_dir / "interactions" / "day1_fixed.csv").write_text(
            "\n".join([HEADER, row(2, "agency")]))
        ingest_landing(con, home, "run-2")
        (home.home / "mappings.toml").write_text('[channel]\nGUICHET = "agency"\n')
        report = replay(con, home, "replay-1")
        assert (report.n_replayed, report.n_already_loaded) == (0, 1)
        assert con.execute("select count(*) from raw.interactions where interaction_id = 'I2'"
                           ).fetchall() == [(1,)]
    finally:
        con.close()


def snapshot(settings) -> dict:
    """Row count and a checksum of every table a load writes."""
    con = connect_build(settings.build_db)
    try:
        tables = {t: t for t in ("raw.interactions", "meta.loaded_files", "meta.quarantined_rows",
                                 "meta.duplicate_rows", "meta.validation_results")}
        # Skips are logged as they are seen, before any load: they change no data.
        tables["meta.file_events"] = ("(select * from meta.file_events "
                                      "where outcome <> 'skipped_duplicate')")
        return {name: con.execute(f"select count(*), coalesce(sum(hash(t)), 0) from {sql} as t"
                                  ).fetchall()[0]
                for name, sql in tables.items()}
    finally:
        con.close()


# A small file's rows pass through the write-ahead log; a big one's fill row groups that go
# straight into the database file before the commit. Both must vanish with the process.
@pytest.mark.parametrize("n_rows", [4990, int(2.5 * BUILD_ROW_GROUP_SIZE)],
                         ids=["through the log", "straight to the file"])
def test_sigkill_in_the_middle_of_a_load_leaves_the_warehouse_as_it_was(home, tmp_path, n_rows):
    con = connect_build(home.build_db)
    ingest_landing(con, home, "run-1")
    con.close()
    before = snapshot(home)
    (home.landing_dir / "interactions" / "day2.csv").write_text(
        "\n".join([HEADER, *[row(i, "app") for i in range(10, 10 + n_rows)]]))

    marker = tmp_path / "inside-the-transaction"
    script = ("import sys; from observatory.settings import load_settings; "
              "from pipelines.ingest import ingest_landing; from warehouse.db import connect_build; "
              "s = load_settings(sys.argv[1]); ingest_landing(connect_build(s.build_db), s, 'doomed')")
    env = os.environ | {"OBSERVATORY_TEST_HOLD_LOAD": str(marker)}
    proc = subprocess.Popen([sys.executable, "-c", script, str(home.home)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, "the loader ended before reaching the transaction"
            assert time.monotonic() < deadline, "the loader never reached the transaction"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    assert snapshot(home) == before
    con = connect_build(home.build_db)
    try:
        doomed = con.execute("select file_name, outcome from meta.file_events where run_id = 'doomed'"
                             ).fetchall()
        assert doomed == [("day1.csv", "skipped_duplicate")]
    finally:
        con.close()
    # The next run completes: the file is loaded, once.
    con = connect_build(home.build_db)
    try:
        report = ingest_landing(con, home, "run-2")
        assert [(o.file_name, o.outcome, o.n_rows) for o in report.outcomes
                if o.outcome != "skipped_duplicate"] == [("day2.csv", "loaded", n_rows)]
        assert con.execute("select count(*) from raw.interactions").fetchall() == [(n_rows + 1,)]
    finally:
        con.close()


def test_a_key_moving_between_two_corrected_files_is_kept_once_not_lost(home):
    """Both files are corrected in one run; an id moves from the second to the first. The old
    second file is about to be replaced, so it keeps nothing: the id loads from the first."""
    folder = home.landing_dir / "interactions"
    (folder / "day1.csv").write_text("\n".join([HEADER, row(1, "web")]))
    (folder / "day2.csv").write_text("\n".join([HEADER, row(2, "web"), row(3, "web")]))
    con = connect_build(home.build_db)
    try:
        ingest_landing(con, home, "run-1")
        (folder / "day1.csv").write_text("\n".join([HEADER, row(1, "web"), row(2, "app")]))
        (folder / "day2.csv").write_text("\n".join([HEADER, row(3, "web"), row(4, "web")]))
        report = ingest_landing(con, home, "run-2")
        assert [(o.file_name, o.outcome, o.n_rows, o.n_duplicates) for o in report.outcomes] == [
            ("day1.csv", "replaced", 2, 0), ("day2.csv", "replaced", 2, 0)]
        assert con.execute("select interaction_id, channel, _source_file from raw.interactions "
                           "order by 1").fetchall() == [
            ("I1", "web", "day1.csv"), ("I2", "app", "day1.csv"), ("I3", "web", "day2.csv"),
            ("I4", "web", "day2.csv")]
        # Once replaced, a corrected file's rows count again: a third correction repeating
        # I1 in day2 is a duplicate of day1's row.
        (folder / "day2.csv").write_text("\n".join([HEADER, row(1, "sms"), row(3, "web")]))
        report = ingest_landing(con, home, "run-3")
        assert [(o.file_name, o.outcome, o.n_rows, o.n_duplicates) for o in report.outcomes
                if o.outcome != "skipped_duplicate"] == [("day2.csv", "replaced", 1, 1)]
        assert con.execute("select kept_file from meta.duplicate_rows where run_id = 'run-3'"
                           ).fetchall() == [("day1.csv",)]
    finally:
        con.close()


AGENCIES = "agency_code,agency_name,region_code,region_name,latitude,longitude"


def test_a_row_naming_an_unknown_agency_waits_in_quarantine_until_the_agency_is_added(home):
    """Without an agency there is no region, and every figure is kept by region."""
    (home.landing_dir / "agencies").mkdir()
    agencies = home.landing_dir / "agencies" / "agencies.csv"
    agencies.write_text("\n".join([AGENCIES, "A1,Lyon Part-Dieu,FRK,Auvergne-Rhône-Alpes,45.76,4.86"]))
    (home.landing_dir / "interactions" / "day1.csv").write_text("\n".join([
        HEADER, row(1, "web"), row(2, "app").replace(",A1,", ",ZZ9,")]))
    con = connect_build(home.build_db)
    try:
        report = ingest_landing(con, home, "run-1")
        day1 = next(o for o in report.outcomes if o.file_name == "day1.csv")
        assert (day1.outcome, day1.n_rows, day1.n_quarantined) == ("loaded", 1, 1)
        assert con.execute("select line, reasons, status from meta.quarantined_rows").fetchall() == [
            (3, ["agency_code: ZZ9 is not a known agency (add it to agencies, then replay)"], "open")]
        assert replay(con, home, "replay-1").n_still_open == 1  # nothing changed yet

        agencies.write_text("\n".join([AGENCIES, "A1,Lyon Part-Dieu,FRK,Auvergne-Rhône-Alpes,45.76,4.86",
                                       "ZZ9,Grenoble,FRK,Auvergne-Rhône-Alpes,45.19,5.72"]))
        ingest_landing(con, home, "run-2")
        report = replay(con, home, "replay-2")
        assert (report.n_replayed, report.n_still_open) == (1, 0)
        assert con.execute("select interaction_id, agency_code from raw.interactions order by 1"
                           ).fetchall() == [("I1", "A1"), ("I2", "ZZ9")]
    finally:
        con.close()


def test_a_key_whose_first_row_waits_in_quarantine_loads_from_the_next_file(home):
    """Only a row that loads keeps its key: the same id in a later file with a known agency
    is loaded, not reported as a duplicate of a row that is not in the warehouse."""
    (home.landing_dir / "agencies").mkdir()
    (home.landing_dir / "agencies" / "agencies.csv").write_text(
        "\n".join([AGENCIES, "A1,Lyon Part-Dieu,FRK,Auvergne-Rhône-Alpes,45.76,4.86"]))
    folder = home.landing_dir / "interactions"
    (folder / "day1.csv").write_text("\n".join([HEADER, row(1, "web").replace(",A1,", ",ZZ9,")]))
    (folder / "day2.csv").write_text("\n".join([HEADER, row(1, "app"), row(2, "web")]))
    con = connect_build(home.build_db)
    try:
        report = ingest_landing(con, home, "run-1")
        assert [(o.file_name, o.n_rows, o.n_quarantined, o.n_duplicates)
                for o in report.outcomes if o.source == "interactions"] == [
            ("day1.csv", 0, 1, 0), ("day2.csv", 2, 0, 0)]
        assert con.execute("select interaction_id, channel from raw.interactions order by 1"
                           ).fetchall() == [("I1", "app"), ("I2", "web")]
        # A later run's file repeating an id loaded by an earlier run is a duplicate of it.
        (folder / "day3.csv").write_text("\n".join([HEADER, row(2, "sms"), row(3, "web")]))
        report = ingest_landing(con, home, "run-2")
        day3 = next(o for o in report.outcomes if o.file_name == "day3.csv")
        assert (day3.n_rows, day3.n_duplicates) == (1, 1)
        assert con.execute("select key, kept_file from meta.duplicate_rows").fetchall() == [
            ("I2", "day2.csv")]
    finally:
        con.close()


def test_a_warehouse_with_pseudonyms_of_an_earlier_form_is_refused_before_anything_loads(home):
    """New 12-character pseudonyms beside old 64-character ones would split every person."""
    from observatory.errors import user_facing
    from pipelines.pseudonymise import OutdatedPseudonymsError

    con = connect_build(home.build_db)
    try:
        ingest_landing(con, home, "run-1")
        con.execute("update raw.interactions set party_id = repeat('a', 64)")  # as before
        (home.landing_dir / "interactions" / "day2.csv").write_text(
            "\n".join([HEADER, row(9, "web")]))
        before = con.execute("select count(*), count(distinct _source_file) "
                             "from raw.interactions").fetchall()
        for attempt in (lambda: ingest_landing(con, home, "run-2"),
                        lambda: replay(con, home, "replay-1")):
            with pytest.raises(OutdatedPseudonymsError) as refused:
                attempt()
            message = user_facing(refused.value)  # what the CLI prints, on one line
            assert "interactions.party_id (64 characters)" in message
            assert "move the build database" in message
        assert con.execute("select count(*), count(distinct _source_file) "
                           "from raw.interactions").fetchall() == before
    finally:
        con.close()


def test_key_ranges_rule_out_only_batches_that_cannot_share_a_key():
    """The screen skips kept chunks by each key column's range; a shared key needs every
    column's ranges to meet (person_id + registered_on for job-seekers)."""
    from datetime import date

    from pipelines.ingest import _bounds, _overlap

    keys = ["person_id", "registered_on"]
    kept = _bounds(pl.DataFrame({"person_id": ["b", "d"],
                                 "registered_on": [date(2024, 1, 1), date(2024, 3, 1)]}), keys)
    assert kept == (("b", "d"), (date(2024, 1, 1), date(2024, 3, 1)))

    def batch(ids, days):
        return _bounds(pl.DataFrame({"person_id": ids, "registered_on": days}), keys)

    assert _overlap(kept, batch(["a", "d"], [date(2024, 3, 1)] * 2))      # ends touch
    assert not _overlap(kept, batch(["e", "f"], [date(2024, 2, 1)] * 2))  # ids all after
    assert not _overlap(kept, batch(["c", "c"], [date(2024, 4, 1)] * 2))  # dates all after
    assert not _overlap(kept, batch([None, None], [date(2024, 2, 1)] * 2))  # no key at all
    assert not _overlap(kept, _bounds(pl.DataFrame(schema={"person_id": pl.String,
                                                          "registered_on": pl.Date}), keys))

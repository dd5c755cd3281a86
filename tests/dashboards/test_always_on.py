"""Always on: the production server answers every request while a full refresh swaps the snapshot.

Real gunicorn (``observatory serve --prod``, two workers), real HTTP on loopback, real log-ins,
and ``observatory refresh`` in a subprocess over newly landed data (the demo generated again
with another seed, so every published figure changes). Simulated users (benchmarks/load.py, at
a small scale) load pages, run the pages' callbacks, export CSV, open factsheets and call the
API throughout. Afterwards the server must serve the new snapshot.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import load  # noqa: E402
from dashboards.db import open_read_only  # noqa: E402


def copy_home(source: Path, target: Path) -> Path:
    """A home of our own (users, new landed files, a new snapshot), without Prefect's state."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("prefect", "logs"))
    return target


def published(home: Path) -> tuple[str, list[tuple]]:
    """The published run id and the all-regions monthly figures, read from the file itself."""
    con = open_read_only(home / "warehouse" / "observatory.duckdb")
    try:
        run_id = con.sql("SELECT refresh_run_id FROM meta.dataset").fetchall()[0][0]
        rows = con.sql("SELECT strftime(month, '%Y-%m-%d'), n_jobseekers, "
                       "n_vacancies_open FROM public.factsheet_region_monthly "
                       "WHERE region_code = 'ALL' ORDER BY month").fetchall()
    finally:
        con.close()
    return run_id, rows


def served(url: str) -> list[tuple]:
    client = load.Client(url)
    try:
        body = client.get("/api/v1/region-monthly?region=ALL").json()
    finally:
        client.close()
    return [(r["month"], r["n_jobseekers"], r["n_vacancies_open"]) for r in body["data"]]


def prefect_env() -> dict:
    """The session's Prefect API for the refresh subprocess (saves starting another one)."""
    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ)
    if url := PREFECT_API_URL.value():
        env["PREFECT_API_URL"] = url
    return env


def test_no_request_fails_while_a_refresh_swaps_the_snapshot(demo_home, tmp_path):
    home = copy_home(demo_home.home, tmp_path / "home")
    old_run_id, old_rows = published(home)
    # New landed data: every file of the demo changes, so every published figure does.
    load.land_new_data(home, seed=8)
    regions, months = load.published_facts(home)
    accounts = load.create_accounts(home, regions[0], prefix="always-on")

    with load.production_server(home, workers=2, threads=4) as server:
        assert load.healthz(server.url)["refresh_run_id"] == old_run_id
        assert served(server.url) == old_rows
        run = load.load_during_refresh(
            home, server.url, accounts, n_users=3, duration=8, max_requests=3000,
            refresh_after=1, regions=regions, months=months, think=0.3, after_swap=3,
            refresh_env=prefect_env(), max_refresh=120)
        new_run_id, new_rows = published(home)
        health = load.healthz(server.url)
        after = served(server.url)
    assert server.returncode == 0, server.stderr_path.read_text()[-2000:]

    assert run.refresh.returncode == 0, run.refresh.output[-3000:]
    results = run.results
    failed = [(r.kind, r.what, r.status, r.error[:200]) for r in results if not r.ok]
    assert failed == []
    kinds = {r.kind for r in results}
    assert {"login", "page", "callback", "factsheet", "api"} <= kinds, kinds
    during = [r for r in results if run.refresh.started <= r.at <= run.refresh.ended]
    assert len(during) >= 20, "the users should have been busy while the refresh ran"

    # The server swapped to the new snapshot while serving, and serves its numbers.
    assert new_run_id != old_run_id and new_rows != old_rows
    assert run.swap.new_run_id == new_run_id
    assert [r for r in results if r.at > run.swap.swapped_at and r.ok], \
        "requests answered after the swap"
    assert health["refresh_run_id"] == new_run_id
    assert after == new_rows

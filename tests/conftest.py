"""Shared fixtures: an isolated Prefect API, and a small demo warehouse built for real."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Set before anything imports Prefect or GX: no telemetry, state kept out of ~/.prefect.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

SHARED_DATA_SKIP = "../shared/data is absent: the real public files are needed for this test"


def shared_data_dir() -> Path:
    """`<repo root>/../shared/data`, or OBSERVATORY_SHARED_DATA when set."""
    override = os.environ.get("OBSERVATORY_SHARED_DATA")
    if override:
        return Path(override).resolve()
    return (ROOT / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public files, read in place (never copied into the repo); skips when absent."""
    folder = shared_data_dir()
    if not folder.is_dir():
        pytest.skip(SHARED_DATA_SKIP)
    return folder


# The small demo used across the suite: big enough for every segment and mart cell to show.
SMALL_DEMO = dict(seed=7, n_jobseekers=1_500, n_employers=120, months=12, end_month="2026-06")


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """One temporary Prefect API server for every flow test of the session."""
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory, prefect_api):
    """A home holding a small generated demo, refreshed through the real flow: (settings, result)."""
    from observatory.settings import load_settings
    from pipelines.flows import refresh_flow
    from pipelines.generate import DemoConfig, generate_demo

    home = tmp_path_factory.mktemp("demo-home")
    settings = load_settings(home)
    settings.ensure_dirs()
    generate_demo(settings.landing_dir, DemoConfig(**SMALL_DEMO))
    result = refresh_flow(home=str(home))
    return settings, result


@pytest.fixture(scope="session")
def demo_home(demo_build):
    """Settings of the small demo home (landing files, build and published warehouse)."""
    return demo_build[0]


def make_settings(home: Path, **overrides):
    from dataclasses import replace

    from observatory.settings import load_settings

    settings = replace(load_settings(home), **overrides)
    settings.ensure_dirs()
    return settings


@pytest.fixture(autouse=True, scope="module")
def _release_published_snapshots():
    """Close the dashboards' cached connections after each module.

    DuckDB refuses a connection to a file that is already open in the process with another
    configuration (the analysts' `observatory sql` one, say), which separate processes never hit.
    """
    yield
    import sys

    db = sys.modules.get("dashboards.db")
    if db is not None:
        for warehouse in list(db._WAREHOUSES.values()):
            warehouse.close()

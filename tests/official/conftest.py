"""Fixtures for the parsers of official files: the real public files in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SKIP_REASON = "../shared/data is absent: the real public files are needed for this test"


def shared_data_dir() -> Path:
    """`<repo root>/../shared/data`, or OBSERVATORY_SHARED_DATA when set."""
    override = os.environ.get("OBSERVATORY_SHARED_DATA")
    if override:
        return Path(override).resolve()
    # parents[2] is the repository root: tests/official/conftest.py.
    return (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder; skips the test when it is not there (never copied into the repo)."""
    folder = shared_data_dir()
    if not folder.is_dir():
        pytest.skip(SKIP_REASON)
    return folder

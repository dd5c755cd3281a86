"""Read-only access to the published DuckDB snapshot.

The pipeline replaces the snapshot with ``os.replace`` while the dashboard runs. Opening a
connection costs ~15-30 ms, a cursor on an open one ~0.01 ms, so the snapshot is kept open and
a cheap ``os.stat`` before each query notices a new file. Then every connection to the old
file is closed before reopening: DuckDB caches one database instance per path, and a
``connect`` while any old connection is alive would silently return the old snapshot.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dash
import duckdb
import polars as pl

from observatory import access
from warehouse.db import OFFLINE

# No extension is ever fetched or loaded: the snapshot needs none, and there is no network.
READ_ONLY_CONFIG = OFFLINE  # the same config everywhere: DuckDB refuses a second one per file
log = logging.getLogger(__name__)


class NoDataYet(RuntimeError):
    """Nothing has been published yet."""


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A fresh read-only connection to ``path`` (the config must match every other one)."""
    if not path.exists():
        raise NoDataYet(f"{path} does not exist: run `observatory refresh`")
    return duckdb.connect(str(path), read_only=True, config=READ_ONLY_CONFIG)


def _identity(path: Path) -> tuple[int, int, int, int]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise NoDataYet(f"{path} does not exist: run `observatory refresh`") from None
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size


class Warehouse:
    """The published snapshot at one path, reopened when the file is replaced.

    Thread-safe: each query runs on its own cursor; a reopen waits until no query is running.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._cond = threading.Condition()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int, int, int] | None = None
        self._active = 0
        self.n_opens = 0  # how often the file was (re)opened; read by tests

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the current snapshot; raises NoDataYet when none is published."""
        identity = _identity(self.path)
        with self._cond:
            if identity != self._identity:
                self._cond.wait_for(lambda: self._active == 0)
                if identity != self._identity:  # another thread may have reopened meanwhile
                    self._close_locked()
                    self._con = open_read_only(self.path)
                    self._identity = identity
                    self.n_opens += 1
            self._active += 1
            cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    def frame(self, sql: str, params: Mapping[str, Any] | None = None, *,
              public: bool = False, totals: str | None = None) -> pl.DataFrame:
        """Run one SELECT with bound parameters and return it as a Polars frame.

        A result with a ``region_code`` column is checked against the current user's regions
        (``check_scope``); ``public=True`` skips that for reads of the public.* and official.*
        tables, whose regions are open data. ``totals`` names the region_code of rows that sum
        the rows the query's own WHERE kept (already cut to the scope), such as 'ALL'.
        """
        with self.cursor() as cur:
            df = cur.sql(sql, params=dict(params or {})).pl()
        if not public:
            declared = totals is not None and "region_code" in df.columns
            check_scope(df.filter(pl.col("region_code").is_null()
                                  | (pl.col("region_code") != totals)) if declared else df)
        return df

    def close(self) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._active == 0)
            self._close_locked()

    def _close_locked(self) -> None:
        if self._con is not None:
            self._con.close()
        self._con, self._identity = None, None


def check_scope(df: pl.DataFrame) -> None:
    """Fail closed if ``df`` holds a region the current user may not see.

    The query layer already cuts every read to the user's regions (queries.scoped_regions);
    this second line catches a query that forgot to, before its rows reach a page, a CSV or an
    API. A null region_code counts as outside: it may be a total over every region.
    """
    if "region_code" not in df.columns or df.is_empty():
        return
    allowed = access.allowed_regions()
    if allowed is None:
        return
    scope = pl.Series(sorted(allowed), dtype=pl.String)
    code = pl.col("region_code").cast(pl.String)
    outside = df.filter(code.is_null() | ~code.is_in(scope))
    if outside.height:
        log.error("a query returned %d row(s) outside the user's regions: refused",
                  outside.height)
        raise access.AccessDenied("these figures include regions outside your scope")


# DuckDB keeps one database instance per path for the whole process, so two Warehouse
# objects on one path would defeat each other's reopen; share one per path instead.
_WAREHOUSES: dict[Path, Warehouse] = {}
_WAREHOUSES_LOCK = threading.Lock()


def warehouse_for(path: Path) -> Warehouse:
    """The process-wide Warehouse of the snapshot at ``path``."""
    key = Path(path).resolve()
    with _WAREHOUSES_LOCK:
        if key not in _WAREHOUSES:
            _WAREHOUSES[key] = Warehouse(key)
        return _WAREHOUSES[key]


# -- the app's settings ----------------------------------------------------------------------
# Pages and callbacks find the settings through the app serving the request, never through a
# module global, so several apps (say, in one test process) can serve different homes.
SETTINGS_ATTRIBUTE = "observatory_settings"


def bind(app, settings) -> None:
    """Make ``settings`` the ones pages and callbacks of ``app`` read."""
    setattr(app, SETTINGS_ATTRIBUTE, settings)


def current_settings():
    """The Settings of the Dash app handling this request (the last one created, outside one)."""
    return getattr(dash.get_app(), SETTINGS_ATTRIBUTE)


def current_warehouse() -> Warehouse:
    return warehouse_for(current_settings().published_db)

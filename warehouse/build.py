"""Build staging -> core -> marts from the SQL files in warehouse/models, audit, publish."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from observatory.settings import DisclosureThresholds
from warehouse import analytics, disclosure

MODELS_DIR = Path(__file__).parent / "models"
LAYERS = ("staging", "core", "marts")


class AuditError(RuntimeError):
    """A built model broke its stated grain or came out empty."""


@dataclass(frozen=True)
class Model:
    layer: str
    name: str
    sql: str
    grain: str
    key: tuple[str, ...]
    materialized: str

    @property
    def relation(self) -> str:
        return f"{self.layer}.{self.name}"


def _header(sql: str, field: str) -> str | None:
    m = re.search(rf"^--\s*{field}:\s*(.+)$", sql, re.MULTILINE)
    return m.group(1).strip() if m else None


def discover_models(models_dir: Path = MODELS_DIR) -> list[Model]:
    """Every model in build order: by layer, then by name (dims before facts within core)."""
    models = []
    for layer in LAYERS:
        for path in sorted((models_dir / layer).glob("*.sql")):
            sql = path.read_text(encoding="utf-8")
            grain = _header(sql, "grain")
            if not grain:
                raise ValueError(f"{path}: every model states its grain ('-- grain: ...')")
            key = _header(sql, "key")
            models.append(Model(
                layer=layer, name=path.stem, sql=sql, grain=grain,
                key=tuple(k.strip() for k in key.split(",")) if key else (),
                materialized=_header(sql, "materialized") or "table",
            ))
    return models


def audit(con: duckdb.DuckDBPyConnection, model: Model) -> list[str]:
    """SQL audits: the model is not empty and its key is unique and not null."""
    failures = []
    n = con.execute(f"select count(*) from {model.relation}").fetchall()[0][0]
    if n == 0:
        failures.append(f"{model.relation} is empty")
    if model.key:
        cols = ", ".join(model.key)
        dupes = con.execute(
            f"select {cols}, count(*) from {model.relation} group by all having count(*) > 1 "
            "limit 3").fetchall()
        if dupes:
            failures.append(f"{model.relation}: key ({cols}) is not unique, e.g. {dupes}")
        nulls = " or ".join(f"{k} is null" for k in model.key)
        n_null = con.execute(
            f"select count(*) from {model.relation} where {nulls}").fetchall()[0][0]
        if n_null:
            failures.append(f"{model.relation}: {n_null} row(s) with a null key column")
    return failures


def build(con: duckdb.DuckDBPyConnection, *, timezone: str, run_id: str,
          progress=None, models_dir: Path = MODELS_DIR,
          thresholds: DisclosureThresholds | None = None) -> list[tuple[Model, int]]:
    """Rebuild every model in one transaction; any audit failure rolls all of it back.

    Last, the public.* marts (statistical disclosure control, warehouse/disclosure.py).
    """
    models = discover_models(models_dir)
    # The time zone was validated by the settings; it is a zoneinfo name, not free text.
    con.execute(f"set variable pes_timezone = '{timezone}'")
    built = []
    con.begin()
    try:
        for schema in LAYERS:
            con.execute(f"create schema if not exists {schema}")
        for model in models:
            if progress:
                progress(f"building {model.relation}")
            kind = "view" if model.materialized == "view" else "table"
            con.execute(f"create or replace {kind} {model.relation} as\n{model.sql}")
            failures = audit(con, model)
            if failures:
                raise AuditError("; ".join(failures))
            n = con.execute(f"select count(*) from {model.relation}").fetchall()[0][0]
            built.append((model, n))
        # Models computed in Python after the SQL ones (warehouse/analytics), audited alike.
        for model in analytics.build(con, progress):
            failures = audit(con, model)
            if failures:
                raise AuditError("; ".join(failures))
            built.append((model, con.execute(
                f"select count(*) from {model.relation}").fetchall()[0][0]))
        _write_dataset(con, run_id)
        if progress:
            progress("building public.* (disclosure control)")
        for table, n in disclosure.build_public(con, thresholds or DisclosureThresholds()):
            built.append((Model(layer=disclosure.SCHEMA, name=table.name, sql="",
                                grain=table.grain, key=table.key, materialized="table"), n))
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return built


def _write_dataset(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """One row describing what the snapshot holds: pages show it as freshness and badges."""
    con.execute("""
        create or replace table meta.dataset as
        select
            coalesce((select bool_or(is_synthetic) from meta.loaded_files), false) as is_synthetic,
            (select min(month) from core.dim_month) as data_from,
            (select max(month) from core.dim_month) as data_to,
            cast(? as timestamptz) as published_at,
            cast(? as varchar) as refresh_run_id
    """, [datetime.now(UTC), run_id])


def publish(build_db: Path, published_db: Path) -> None:
    """Copy the closed build database next to the published one, then swap it in atomically.

    Readers that have the old file open keep reading it; new connections see the new one.
    The caller must have checkpointed and closed its connection to ``build_db``.
    """
    published_db.parent.mkdir(parents=True, exist_ok=True)
    tmp = published_db.with_name(f".{published_db.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(build_db, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, published_db)
    finally:
        tmp.unlink(missing_ok=True)

"""Prefect flows: they orchestrate; tasks wrap; plain functions in pipelines/ and warehouse/ compute.

Each task opens the build database itself and closes it before returning, so only one
writer ever holds it and a crash in any task leaves the last committed state.
"""

from __future__ import annotations

import time
import uuid

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from observatory.settings import load_settings
from pipelines.ingest import ingest_landing
from warehouse import build as wh_build
from warehouse import loading
from warehouse.db import connect_build


def _run_id() -> str:
    return str(flow_run.id or uuid.uuid4())


@task(name="ingest-files", cache_policy=NO_CACHE)
def ingest_files(home: str | None, run_id: str) -> dict:
    settings = load_settings(home)
    settings.ensure_dirs()
    log = get_run_logger()
    started = time.perf_counter()
    con = connect_build(settings.build_db)
    try:
        report = ingest_landing(con, settings, run_id, progress=log.info)
    finally:
        con.close()
    return {
        "files_loaded": report.count("loaded", "replaced"),
        "files_skipped": report.count("skipped_duplicate"),
        "files_rejected": report.count("rejected"),
        "rows_loaded": report.n_rows_loaded,
        "rejected": [{"source": o.source, "file": o.file_name, "reasons": o.detail}
                     for o in report.outcomes if o.outcome == "rejected"],
        "seconds": round(time.perf_counter() - started, 3),
    }


@task(name="build-models", cache_policy=NO_CACHE)
def build_models(home: str | None, run_id: str) -> dict:
    settings = load_settings(home)
    log = get_run_logger()
    started = time.perf_counter()
    con = connect_build(settings.build_db)
    try:
        built = wh_build.build(con, timezone=settings.timezone, run_id=run_id, progress=log.info,
                               thresholds=settings.disclosure)
        con.execute("checkpoint")
    finally:
        con.close()
    return {"models": {m.relation: n for m, n in built},
            "seconds": round(time.perf_counter() - started, 3)}


@task(name="publish-snapshot", cache_policy=NO_CACHE)
def publish_snapshot(home: str | None) -> str:
    settings = load_settings(home)
    wh_build.publish(settings.build_db, settings.published_db)
    get_run_logger().info(f"published {settings.published_db}")
    return str(settings.published_db)


@task(name="record-run", cache_policy=NO_CACHE)
def record_run(home: str | None, run_id: str, status: str, ingest: dict | None = None,
               message: str | None = None, start: bool = False) -> None:
    settings = load_settings(home)
    settings.ensure_dirs()
    con = connect_build(settings.build_db)
    try:
        if start:
            loading.start_run(con, run_id, str(flow_run.id) if flow_run.id else None)
        else:
            ingest = ingest or {}
            loading.finish_run(
                con, run_id, status=status, n_files_loaded=ingest.get("files_loaded", 0),
                n_files_skipped=ingest.get("files_skipped", 0),
                n_files_rejected=ingest.get("files_rejected", 0),
                n_rows_loaded=ingest.get("rows_loaded", 0), message=message)
    finally:
        con.close()


@flow(name="ingest-landing", log_prints=True)
def ingest_landing_flow(home: str | None = None, run_id: str | None = None) -> dict:
    """Load new landed files into the raw layer, with lineage; set bad files aside."""
    return ingest_files(home, run_id or _run_id())


@flow(name="build-warehouse", log_prints=True)
def build_warehouse_flow(home: str | None = None, run_id: str | None = None,
                         publish: bool = True) -> dict:
    """Rebuild staging, core and marts from the raw layer, then publish the snapshot."""
    result = build_models(home, run_id or _run_id())
    if publish:
        result["published"] = publish_snapshot(home)
    return result


@flow(name="refresh", log_prints=True)
def refresh_flow(home: str | None = None) -> dict:
    """Ingest new landed files, rebuild the warehouse and publish it for the dashboard."""
    from pipelines.official import import_official_files  # it builds on this module's tasks

    run_id = _run_id()
    record_run(home, run_id, "running", start=True)
    ingest = None
    try:
        ingest = ingest_landing_flow(home, run_id)
        official = import_official_files(home, run_id, None, None)
        build = build_warehouse_flow(home, run_id, publish=False)
        # Record success before publishing, so the snapshot carries its own run's record.
        record_run(home, run_id, "completed", ingest)
        build["published"] = publish_snapshot(home)
    except BaseException as exc:
        record_run(home, run_id, "failed", ingest, message=f"{exc.__class__.__name__}: {exc}")
        raise
    return {"run_id": run_id, "ingest": ingest, "official": official, "build": build}

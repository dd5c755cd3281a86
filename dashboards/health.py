"""/healthz: is the server up, and which snapshot does it serve?

Reachable without login, for a load balancer or a monitoring probe. It answers 200 with the
published snapshot's refresh run and publication time, or 503 while nothing is published.
No figure and nothing personal: only what the public release note already says.
"""

from __future__ import annotations

import datetime as dt

import duckdb
from flask import jsonify

from dashboards import db
from dashboards.queries import dataset_meta

HEALTH_PATH = "/healthz"


def snapshot(settings) -> dict:
    """The published snapshot's run id, publication time and data period."""
    meta = dataset_meta(db.warehouse_for(settings.published_db)).row(0, named=True)
    return {
        "refresh_run_id": meta["refresh_run_id"],
        "published_at": meta["published_at"].astimezone(dt.UTC).isoformat()
        if meta["published_at"] else None,
        "data_from": meta["data_from"].isoformat() if meta["data_from"] else None,
        "data_to": meta["data_to"].isoformat() if meta["data_to"] else None,
    }


def register(app) -> None:
    """Add GET /healthz to ``app``'s Flask server."""

    @app.server.get(HEALTH_PATH, endpoint="healthz")
    def healthz():
        try:
            body, status = {"status": "ok", **snapshot(getattr(app, db.SETTINGS_ATTRIBUTE))}, 200
        except (db.NoDataYet, duckdb.CatalogException, IndexError):
            body, status = {"status": "no_data", "message": "nothing is published yet: run "
                                                            "`observatory refresh`"}, 503
        response = jsonify(body)
        response.status_code = status
        response.headers["Cache-Control"] = "no-store"
        return response

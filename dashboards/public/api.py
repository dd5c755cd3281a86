"""The read-only open-data API, /api/v1: the public marts as JSON, CSV or Parquet.

Every dataset is declared once in DATASETS (its table, its query parameters and their rules);
the parameter checks, the handlers and the OpenAPI description (/api/v1/openapi.json) are all
derived from it, so the documentation cannot drift from what is served. A malformed or unknown
parameter is answered 400 with a message naming the parameter and what it accepts.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import duckdb
import polars as pl
from flask import Blueprint, Response, jsonify, request, url_for

from dashboards import db
from dashboards.public import queries
from dashboards.public.i18n import LANGS

API_PREFIX = "/api/v1"
FORMATS = ("json", "csv", "parquet")
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
               "parquet": "application/vnd.apache.parquet"}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_CODE = re.compile(r"^[A-Za-z0-9]{1,10}$")


class BadParameter(ValueError):
    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter, self.message = parameter, message


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    kind: str  # regions | occupations | month | choice
    choices: tuple[str, ...] = ()
    example: str = ""


COMMON = (
    Param("format", "Response format: json (default), csv or parquet.", "choice", FORMATS, "csv"),
    Param("lang", "Language of the label columns added to the rows: en (default) or fr.",
          "choice", LANGS, "fr"),
)
REGION = Param("region", "Region codes (NUTS, as in /api/v1/regions) separated by commas; "
               "ALL is all regions together. Default: every region and ALL.", "regions",
               example="FRK,ALL")
OCCUPATION = Param("occupation", "ISCO-08 major groups (0 to 9) separated by commas; ALL is "
                   "all occupations together. Default: every group and ALL.", "occupations",
                   example="2")
ISCO_MAJOR_GROUPS = tuple(str(g) for g in range(10))
SOUGHT_OCCUPATION = Param(
    "occupation", "ISCO-08 major groups of the occupation sought (0 to 9), unknown (not "
    "recorded) or ALL (all occupations together), separated by commas. Default: every group, "
    "unknown and ALL.", "occupations", (*ISCO_MAJOR_GROUPS, "unknown", queries.ALL), "2")
MONTH_FROM = Param("from", "First month, YYYY-MM (inclusive).", "month", example="2025-01")
MONTH_TO = Param("to", "Last month, YYYY-MM (inclusive).", "month", example="2025-12")
AREA = Param("area", "Factsheet areas: region codes or ALL, separated by commas.", "regions",
             example="FRK")
LEVEL = Param("level", "1 for the ISCO-08 major groups, 4 for the unit groups.", "choice",
              ("1", "4"), "1")


@dataclass(frozen=True)
class Dataset:
    name: str
    table: str
    summary: str
    description: str
    key: tuple[str, ...]
    params: tuple[Param, ...]
    fetch: Callable[[db.Warehouse, dict], pl.DataFrame]


def _month(value: str | None) -> dt.date | None:
    return None if value is None else dt.date(int(value[:4]), int(value[5:7]), 1)


DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset("region-monthly", "public.factsheet_region_monthly",
            "Job-seekers, vacancies, tension and six-month job access by region and month",
            "One row per month and region (and ALL regions). Counts of people are rounded to "
            "the nearest 5; a suppressed value is null and its `<column>_status` says "
            "`suppressed`; a job-access rate whose cohort has not yet had six months of "
            "follow-up is `not_available`.",
            ("month", "region_code"), (REGION, MONTH_FROM, MONTH_TO),
            lambda wh, p: queries.region_monthly(wh, p.get("region"), _month(p.get("from")),
                                                 _month(p.get("to")))),
    Dataset("vacancies-by-occupation", "public.vacancies_region_occupation_monthly",
            "Open and new vacancies by region, ISCO-08 major group and month",
            "One row per month, region (and ALL) and ISCO-08 major group (and ALL). A cell is "
            "published only where at least the minimum number of employers contribute and "
            "none dominates; other cells are suppressed so that no hidden cell can be "
            "worked out from the totals.",
            ("month", "region_code", "isco_major_group"),
            (REGION, OCCUPATION, MONTH_FROM, MONTH_TO),
            lambda wh, p: queries.vacancies_by_occupation(
                wh, p.get("region"), p.get("occupation"), _month(p.get("from")),
                _month(p.get("to")))),
    Dataset("vacancies-by-unit-group", "public.vacancies_occupation_monthly",
            "Open and new vacancies by ISCO-08 unit group and month, all regions",
            "One row per month and ISCO-08 unit group (4 digits) for all regions together; "
            "the unit groups of a major group add up to its ALL-regions row in "
            "vacancies-by-occupation.",
            ("month", "isco_unit_group"), (OCCUPATION, MONTH_FROM, MONTH_TO),
            lambda wh, p: queries.vacancies_by_unit_group(
                wh, p.get("occupation"), _month(p.get("from")), _month(p.get("to")))),
    Dataset("jobseekers-by-occupation", "public.jobseekers_region_occupation_monthly",
            "Registered job-seekers and tension by region, occupation sought and month",
            "One row per month, region (and ALL) and ISCO-08 major group of the occupation "
            "the job-seekers seek (and ALL; `unknown` where the register records none). "
            "`n_jobseekers` is the count registered at the end of the month, rounded to the "
            "nearest 5 and protected against both totals; its ALL-occupations rows are "
            "region-monthly's `n_jobseekers`. `rate_tension` is the open vacancies of the same "
            "region and major group (vacancies-by-occupation) per registered job-seeker; it "
            "is `not_available` for `unknown`, since every vacancy has an occupation.",
            ("month", "region_code", "isco_major_group"),
            (REGION, SOUGHT_OCCUPATION, MONTH_FROM, MONTH_TO),
            lambda wh, p: queries.jobseekers_by_occupation(
                wh, p.get("region"), p.get("occupation"), _month(p.get("from")),
                _month(p.get("to")))),
    Dataset("unemployment-rate", "public.unemployment_rate",
            "Official context: Eurostat unemployment rates for each factsheet area",
            "For each region: its own Eurostat series where one with the same code is "
            "loaded (`geo_level` region), and its country's (`geo_level` country). Empty "
            "when no Eurostat data has been imported.",
            ("area_code", "geo", "period"), (AREA,),
            lambda wh, p: queries.unemployment_rate(wh, p.get("area"))),
    Dataset("regions", "public.regions", "Regions with a factsheet",
            "Region codes (NUTS) and names.", ("region_code",), (),
            lambda wh, p: queries.regions(wh)),
    Dataset("occupations", "public.occupation_groups",
            "ISCO-08 major groups and the unit groups with vacancies, in English and French",
            "Titles come from the imported ISCO/ESCO classification when loaded, else the "
            "built-in ILO titles of the major groups.", ("isco_code",), (LEVEL,),
            lambda wh, p: queries.occupation_groups(wh, int(p["level"]) if "level" in p else None)),
    Dataset("release", "public.release", "The published snapshot and the thresholds applied",
            "One row: data period, publication time, whether the data is synthetic, and the "
            "disclosure-control thresholds.", (), (),
            lambda wh, p: pl.DataFrame([queries.release(wh)])),
)}


# -- parameters ------------------------------------------------------------------------------

def parse_params(dataset: Dataset, args: Mapping[str, Sequence[str]],
                 known_regions: Sequence[str]) -> dict:
    """Checked parameter values for ``dataset``; raises BadParameter on the first problem."""
    allowed = {p.name: p for p in (*dataset.params, *COMMON)}
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise BadParameter(unknown[0], f"unknown parameter {unknown[0]!r}; {dataset.name} "
                                       f"accepts: {', '.join(sorted(allowed))}")
    out: dict = {}
    for name, values in args.items():
        param = allowed[name]
        if len(values) != 1:
            raise BadParameter(name, f"give {name!r} once (separate several values with commas)")
        raw = values[0].strip()
        if param.kind == "choice":
            if raw not in param.choices:
                raise BadParameter(name, f"{name} must be one of {', '.join(param.choices)}; "
                                         f"got {raw!r}")
            out[name] = raw
        elif param.kind == "month":
            m = _MONTH.match(raw)
            if not m or not 1 <= int(m.group(2)) <= 12:
                raise BadParameter(name, f"{name} must be a month written YYYY-MM, e.g. "
                                         f"2025-03; got {raw!r}")
            out[name] = raw
        else:
            codes = [c.strip() for c in raw.split(",")]
            if param.kind == "regions":
                options = [*known_regions, queries.ALL]
                what = "region codes"
            else:
                options = list(param.choices) or [*ISCO_MAJOR_GROUPS, queries.ALL]
                what = "ISCO-08 major groups"
            bad = [c for c in codes if not _CODE.match(c) or c not in options]
            if bad or not codes:
                raise BadParameter(name, f"{name} takes {what} separated by commas, among: "
                                         f"{', '.join(options)}; got {raw!r}")
            out[name] = codes
    if "from" in out and "to" in out and out["from"] > out["to"]:
        raise BadParameter("from", f"from ({out['from']}) is after to ({out['to']})")
    return out


# -- responses -------------------------------------------------------------------------------

def with_labels(frame: pl.DataFrame, wh: db.Warehouse, lang: str) -> pl.DataFrame:
    """Add the region name and occupation title, in ``lang``, beside the codes."""
    if "region_code" in frame.columns and "region_name" not in frame.columns:
        names = queries.regions(wh).select("region_code", "region_name")
        frame = frame.join(names, on="region_code", how="left").with_columns(
            pl.when(pl.col("region_code") == queries.ALL)
            .then(pl.lit("Toutes les régions" if lang == "fr" else "All regions"))
            .otherwise(pl.col("region_name")).alias("region_name"))
    groups = queries.occupation_groups(wh).select(
        "isco_code", pl.coalesce(f"label_{lang}", "label_en").alias("label"))
    unknown = pl.DataFrame({"isco_code": ["unknown"], "label": [
        "Métier recherché non renseigné" if lang == "fr" else "Occupation sought not recorded"]})
    groups = pl.concat([groups, unknown])
    for col in ("isco_major_group", "isco_unit_group"):
        if col in frame.columns:
            labels = groups.rename({"isco_code": col, "label": f"{col}_label"})
            frame = frame.join(labels, on=col, how="left").with_columns(
                pl.when(pl.col(col) == queries.ALL)
                .then(pl.lit("Tous les métiers" if lang == "fr" else "All occupations"))
                .otherwise(pl.col(f"{col}_label")).alias(f"{col}_label"))
    return frame


def _json_value(v):
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _error(status: int, message: str, parameter: str | None = None) -> Response:
    body = {"error": {"status": status, "message": message}}
    if parameter:
        body["error"]["parameter"] = parameter
    response = jsonify(body)
    response.status_code = status
    return response


def render(dataset: Dataset, frame: pl.DataFrame, params: dict, fmt: str) -> Response:
    filename = dataset.name + "".join(
        f"_{k}-{'-'.join(v) if isinstance(v, list) else v}" for k, v in sorted(params.items())
        if k not in ("format",))
    if fmt == "csv":
        # Dates as ISO text; the BOM lets spreadsheet software detect UTF-8 (accents in names).
        body = "\ufeff" + frame.write_csv()
        response = Response(body, mimetype="text/csv")
        response.headers["Content-Type"] = MEDIA_TYPES["csv"]
    elif fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        response = Response(buffer.getvalue(), mimetype=MEDIA_TYPES["parquet"])
    else:
        rows = [{k: _json_value(v) for k, v in r.items()} for r in frame.iter_rows(named=True)]
        response = jsonify({"dataset": dataset.name, "table": dataset.table,
                            "description": dataset.description,
                            "parameters": params, "columns": frame.columns,
                            "n_rows": frame.height, "data": rows})
        return response
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def blueprint(app) -> Blueprint:
    """The /api/v1 routes of ``app`` (a Dash app bound to its settings)."""
    bp = Blueprint("public_api", __name__, url_prefix=API_PREFIX)

    def warehouse() -> db.Warehouse:
        return db.warehouse_for(getattr(app, db.SETTINGS_ATTRIBUTE).published_db)

    @bp.after_request
    def open_data_headers(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Cache-Control", "public, max-age=300")
        return response

    @bp.get("/")
    def index():
        return jsonify({
            "title": "PES Observatory open data",
            "openapi": url_for("public_api.openapi_json", _external=True),
            "datasets": [{"name": d.name, "summary": d.summary,
                          "url": url_for("public_api.dataset", name=d.name, _external=True),
                          "parameters": [p.name for p in (*d.params, *COMMON)]}
                         for d in DATASETS.values()]})

    @bp.get("/openapi.json")
    def openapi_json():
        from dashboards.public.openapi import spec
        return jsonify(spec(server_url=request.host_url.rstrip("/")))

    @bp.get("/<name>")
    def dataset(name: str):
        if name not in DATASETS:
            return _error(404, f"no dataset {name!r}; datasets: {', '.join(DATASETS)}")
        ds = DATASETS[name]
        try:
            wh = warehouse()
            known = queries.regions(wh)["region_code"].to_list()
            params = parse_params(ds, request.args.to_dict(flat=False), known)
            frame = ds.fetch(wh, params)
            frame = with_labels(frame, wh, params.get("lang", "en"))
        except BadParameter as exc:
            return _error(400, exc.message, exc.parameter)
        except (db.NoDataYet, duckdb.CatalogException):
            return _error(503, "no public data has been published yet: run `observatory "
                               "refresh`")
        return render(ds, frame, params, params.get("format", "json"))

    return bp

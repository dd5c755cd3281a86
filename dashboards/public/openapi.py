"""The OpenAPI 3.1 description of /api/v1, generated from the dataset declarations in api.py."""

from __future__ import annotations

from dashboards.public.api import API_PREFIX, COMMON, DATASETS, FORMATS, MEDIA_TYPES, Param

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["status", "message"],
        "properties": {
            "status": {"type": "integer", "example": 400},
            "message": {"type": "string",
                        "example": "from must be a month written YYYY-MM, e.g. 2025-03; "
                                   "got '2025-13'"},
            "parameter": {"type": "string", "example": "from"},
        }}},
}
TABLE_SCHEMA = {
    "type": "object",
    "required": ["dataset", "table", "parameters", "columns", "n_rows", "data"],
    "properties": {
        "dataset": {"type": "string"},
        "table": {"type": "string", "description": "the public mart served"},
        "description": {"type": "string"},
        "parameters": {"type": "object", "description": "the parameters as understood"},
        "columns": {"type": "array", "items": {"type": "string"}},
        "n_rows": {"type": "integer"},
        "data": {"type": "array", "items": {"type": "object"},
                 "description": "one object per row; suppressed values are null, with "
                                "`<column>_status` = `suppressed`"},
    },
}


def _schema(param: Param) -> dict:
    if param.kind == "choice":
        return {"type": "string", "enum": list(param.choices)}
    if param.kind == "month":
        return {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"}
    if param.kind == "occupations":
        one = "|".join(sorted((c for c in param.choices if not c.isdigit()), reverse=True)
                       ) or "ALL"
        return {"type": "string", "pattern": rf"^({one}|[0-9])(,({one}|[0-9]))*$"}
    return {"type": "string", "pattern": r"^[A-Za-z0-9]+(,[A-Za-z0-9]+)*$"}


def _parameter(param: Param) -> dict:
    out = {"name": param.name, "in": "query", "required": False,
           "description": param.description, "schema": _schema(param)}
    if param.example:
        out["example"] = param.example
    return out


def spec(server_url: str = "") -> dict:
    """The OpenAPI document; ``server_url`` is the host serving it."""
    paths = {}
    for ds in DATASETS.values():
        paths[f"{API_PREFIX}/{ds.name}"] = {"get": {
            "operationId": ds.name.replace("-", "_"),
            "summary": ds.summary,
            "description": f"{ds.description}\n\nServes `{ds.table}`"
                           + (f"; key: {', '.join(ds.key)}." if ds.key else "."),
            "parameters": [_parameter(p) for p in (*ds.params, *COMMON)],
            "responses": {
                "200": {"description": "The rows, in the format asked for.", "content": {
                    MEDIA_TYPES["json"]: {"schema": TABLE_SCHEMA},
                    MEDIA_TYPES["csv"]: {"schema": {"type": "string"}},
                    MEDIA_TYPES["parquet"]: {"schema": {"type": "string",
                                                        "format": "binary"}},
                }},
                "400": {"description": "A malformed or unknown parameter.",
                        "content": {MEDIA_TYPES["json"]: {"schema": ERROR_SCHEMA}}},
                "503": {"description": "Nothing has been published yet.",
                        "content": {MEDIA_TYPES["json"]: {"schema": ERROR_SCHEMA}}},
            },
        }}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PES Observatory open data",
            "version": "1.0.0",
            "description": "Read-only labour-market figures of the public factsheets, with "
                           "statistical disclosure control applied in the warehouse (see "
                           "docs/disclosure-control.md). Formats: " + ", ".join(FORMATS) + ".",
            "license": {"name": "Apache-2.0"},
        },
        "servers": [{"url": server_url or "/"}],
        "paths": paths,
    }

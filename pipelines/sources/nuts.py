"""GISCO NUTS GeoJSON: a frame of regions plus the FeatureCollection for choropleths.

Plotly reads the returned dict with featureidkey="properties.NUTS_ID".
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.sources.detect import OfficialFileError

NUTS_SCHEMA = pl.Schema(
    {
        "nuts_id": pl.String,
        "level": pl.Int8,
        "country_code": pl.String,
        "name_latn": pl.String,
        "nuts_name": pl.String,
        "nuts_version": pl.String,
    }
)
# GISCO names files NUTS_<RG|LB|BN>_<scale>_<year>_<epsg>…; the features do not carry the year.
_VERSION_IN_NAME = re.compile(r"NUTS_[A-Z]{2}_(?:\d+M_)?(\d{4})_")
_NUTS_ID = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")


def _clean_name(name: Any) -> str | None:
    # GISCO ends some national names with a no-break space (Greece: "Ελλάδα\u00a0").
    return name.strip(" \u00a0\t\r\n") if isinstance(name, str) else None


def read_nuts(
    path: str | Path, nuts_version: str | None = None
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """(one row per NUTS region, the FeatureCollection) from a GISCO NUTS GeoJSON file.

    The FeatureCollection is the file as published except that NUTS_NAME is trimmed like the
    frame's nuts_name, so hover labels and the frame agree.
    """
    path = Path(path)
    expected = "a GISCO NUTS GeoJSON FeatureCollection with NUTS_ID and LEVL_CODE properties"
    try:
        geojson = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise OfficialFileError(path, expected, f"invalid JSON ({error})") from error
    if not isinstance(geojson, dict) or geojson.get("type") != "FeatureCollection":
        raise OfficialFileError(path, expected, "no FeatureCollection")
    if nuts_version is None:
        match = _VERSION_IN_NAME.search(path.name)
        if not match:
            raise OfficialFileError(
                path, "a GISCO file name like NUTS_RG_20M_2021_4326.geojson, or nuts_version"
            )
        nuts_version = match.group(1)

    rows = []
    for feature in geojson.get("features") or []:
        properties = feature.get("properties") or {}
        nuts_id, level = properties.get("NUTS_ID"), properties.get("LEVL_CODE")
        if not isinstance(nuts_id, str) or not _NUTS_ID.match(nuts_id) or level is None:
            raise OfficialFileError(path, expected, f"feature properties {properties}")
        if int(level) != len(nuts_id) - 2:
            raise OfficialFileError(
                path, "LEVL_CODE equal to the NUTS_ID length minus 2", f"{nuts_id} at {level}"
            )
        properties["NUTS_NAME"] = _clean_name(properties.get("NUTS_NAME"))
        rows.append(
            (
                nuts_id,
                int(level),
                properties.get("CNTR_CODE") or nuts_id[:2],
                _clean_name(properties.get("NAME_LATN")),
                properties["NUTS_NAME"],
                nuts_version,
            )
        )
    if not rows:
        raise OfficialFileError(path, expected, "no features")
    frame = pl.DataFrame(rows, schema=NUTS_SCHEMA, orient="row")
    duplicated = frame.filter(pl.col("nuts_id").is_duplicated())["nuts_id"].unique().to_list()
    if duplicated:
        raise OfficialFileError(path, "one feature per NUTS_ID", f"duplicates {duplicated[:5]}")
    return frame.sort("level", "nuts_id"), geojson


def match_nuts(codes: list[str], nuts_frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split geo codes into those present in `nuts_frame` and those that are not.

    Returns (matched: geo, nuts_id, level, name_latn; unmatched: geo, reason), one row per
    distinct code in first-seen order. Statistics coded in another NUTS version (NUTS 2010
    FR21) or aggregates (EU28, EA17) come back as unmatched with a reason, never dropped.
    """
    distinct = pl.DataFrame({"geo": list(dict.fromkeys(codes))}, schema={"geo": pl.String})
    regions = nuts_frame.select(pl.col("nuts_id").alias("geo"), "nuts_id", "level", "name_latn")
    countries = nuts_frame["country_code"].unique().implode()
    versions = ", ".join(sorted(nuts_frame["nuts_version"].unique().to_list()))
    joined = distinct.with_row_index("order").join(regions, on="geo", how="left")
    matched = joined.filter(pl.col("nuts_id").is_not_null()).sort("order").drop("order")
    unmatched = (
        joined.filter(pl.col("nuts_id").is_null())
        .sort("order")
        .select(
            "geo",
            pl.when(pl.col("geo").is_null())
            .then(pl.lit("empty geo code"))
            .when(~pl.col("geo").str.slice(0, 2).is_in(countries))
            .then(pl.lit(f"no such country in NUTS {versions} (an aggregate or another area)"))
            .otherwise(pl.lit(f"not a NUTS {versions} region (another NUTS version?)"))
            .alias("reason"),
        )
    )
    return matched, unmatched

"""Questions the "Labour market" page asks of the official tables in the published snapshot.

One function per question; every value from a user reaches DuckDB as a bound parameter and
column names in the SQL are constants. The official.* tables are already typed, so these read
them directly (no mart): see docs/official-statistics.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from dashboards.db import NoDataYet, warehouse_for

NUTS_VERSION = "2021"
_DIMENSION = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# One name per NUTS 2021 region whatever the file it came from (names agree across files).
_NUTS_NAMES = """
    nuts_names as (
        select nuts_id, min(level) as level, min(name_latn) as name_latn,
               min(nuts_name) as nuts_name
        from official.nuts_regions
        where nuts_version = $nuts_version
        group by nuts_id
    )"""


def _frame(published_db: Path | str, sql: str, params: Mapping[str, Any] | None = None
           ) -> pl.DataFrame:
    # Official statistics are public data: no region scope applies (issue 8).
    return warehouse_for(Path(published_db)).frame(sql, params, public=True)


def _dimension_path(name: str) -> str:
    if not _DIMENSION.match(name):
        raise ValueError(f"{name!r} is not a dimension name")
    return f"$.{name}"


def has_official_data(published_db: Path | str) -> bool:
    """Whether the published snapshot holds any imported official file."""
    try:
        exists = _frame(published_db, """
            select count(*) as n from information_schema.tables
            where table_schema = 'official' and table_name = 'imports'
        """)["n"][0]
        if not exists:
            return False
        return bool(_frame(published_db, "select count(*) as n from official.imports")["n"][0])
    except NoDataYet:
        return False


def official_sources(published_db: Path | str, table: str | None = None,
                     dataset: str | None = None) -> pl.DataFrame:
    """Imported files with their load time, publisher's update date and attribution line.

    `table` narrows to one official table (e.g. 'bmo'), `dataset` to the files holding that
    Eurostat dataset: the note under a chart.
    """
    clauses, params = [], {}
    if table is not None:
        clauses.append("list_contains(string_split(i.table_name, ','), $table)")
        params["table"] = table
    if dataset is not None:
        clauses.append("""i.file_name in (select distinct source_file
                          from official.eurostat_observations where dataset = $dataset)""")
        params["dataset"] = dataset
    where = f"where {' and '.join(clauses)}" if clauses else ""
    return _frame(published_db, f"""
        select i.file_name as source_file, i.companion_file, i.kind, i.table_name, i.n_rows,
               i.loaded_at, i.source_updated_on, i.attribution, i.content_hash
        from official.imports as i
        {where}
        order by i.table_name, i.file_name
    """, params)


def available_datasets(published_db: Path | str) -> pl.DataFrame:
    """Eurostat datasets loaded: observations, period span and frequencies."""
    return _frame(published_db, """
        select dataset, count(*) as n_observations, count(value) as n_values,
               min(period_start) as first_period_start, max(period_start) as last_period_start,
               string_agg(distinct freq, ',' order by freq) as freqs,
               string_agg(distinct source_file, ', ' order by source_file) as source_files
        from official.eurostat_observations
        group by dataset
        order by dataset
    """)


def dimension_values(published_db: Path | str, dataset: str, dimension: str) -> list[str]:
    """The values one dimension (e.g. 'age') takes in a dataset, sorted."""
    frame = _frame(published_db, """
        select distinct json_extract_string(dimensions, $path) as v
        from official.eurostat_observations
        where dataset = $dataset and json_extract_string(dimensions, $path) is not null
        order by v
    """, {"dataset": dataset, "path": _dimension_path(dimension)})
    return frame["v"].to_list()


def available_geos(published_db: Path | str, dataset: str = "une_rt_m") -> pl.DataFrame:
    """Geo codes of a dataset, with a name and whether they are NUTS 2021 regions."""
    return _frame(published_db, f"""
        with {_NUTS_NAMES}
        select o.geo, coalesce(min(o.geo_label), min(n.name_latn)) as geo_label,
               min(n.level) as nuts_level, min(n.nuts_id) is not null as is_nuts_2021,
               count(*) as n_observations, count(o.value) as n_values,
               min(o.period_start) as first_period_start,
               max(o.period_start) as last_period_start
        from official.eurostat_observations as o
        left join nuts_names as n on n.nuts_id = o.geo
        where o.dataset = $dataset
        group by o.geo
        order by o.geo nulls last
    """, {"dataset": dataset, "nuts_version": NUTS_VERSION})


def unemployment_series(published_db: Path | str, dataset: str = "une_rt_m",
                        geos: Sequence[str] | None = None, age: str | None = None,
                        sex: str | None = None) -> pl.DataFrame:
    """Observations of a Eurostat dataset over time, with flags and where they come from.

    `age` and `sex` match the dimension as published: a code ('Y15-24', 'T') in code files, an
    English label ('Less than 25 years', 'Total') in the une_rt_m labels file.
    A missing value stays null, with its flag. geo_label is the published label, else the
    NUTS 2021 name of the code.
    """
    clauses = ["o.dataset = $dataset"]
    params: dict[str, Any] = {"dataset": dataset, "nuts_version": NUTS_VERSION}
    if geos is not None:
        clauses.append("o.geo in (select unnest($geos))")
        params["geos"] = list(geos)
    if age is not None:
        clauses.append("json_extract_string(o.dimensions, '$.age') = $age")
        params["age"] = age
    if sex is not None:
        clauses.append("json_extract_string(o.dimensions, '$.sex') = $sex")
        params["sex"] = sex
    return _frame(published_db, f"""
        with {_NUTS_NAMES}
        select o.dataset, o.period, o.period_start, o.freq, o.geo,
               coalesce(o.geo_label, n.name_latn) as geo_label,
               json_extract_string(o.dimensions, '$.age') as age,
               json_extract_string(o.dimensions, '$.sex') as sex,
               cast(o.dimensions as varchar) as dimensions,
               o.value, o.flags, o.source_file,
               i.loaded_at, i.source_updated_on, i.attribution
        from official.eurostat_observations as o
        left join nuts_names as n on n.nuts_id = o.geo
        left join official.imports as i on i.file_name = o.source_file
        where {' and '.join(clauses)}
        order by o.geo nulls last, o.dimensions, o.period_start
    """, params)


def available_periods(published_db: Path | str, dataset: str, level: int | None = None
                      ) -> list[str]:
    """Periods of a dataset, latest first; with `level`, only those with data at that level."""
    clauses = ["o.dataset = $dataset"]
    params: dict[str, Any] = {"dataset": dataset}
    if level is not None:
        clauses.append("""o.geo in (select nuts_id from official.nuts_regions
                          where nuts_version = $nuts_version and level = $level)""")
        params |= {"level": level, "nuts_version": NUTS_VERSION}
    frame = _frame(published_db, f"""
        select o.period, min(o.period_start) as period_start
        from official.eurostat_observations as o
        where {' and '.join(clauses)}
        group by o.period
        order by period_start desc
    """, params)
    return frame["period"].to_list()


def nuts_choropleth_data(published_db: Path | str, dataset: str, period: str, level: int,
                         filters: Mapping[str, str] | None = None, scale: str | None = None
                         ) -> tuple[pl.DataFrame, dict[str, Any] | None]:
    """(one row per NUTS 2021 region of `level` with a value, its GeoJSON FeatureCollection).

    `filters` fixes the other dimensions ({'age': 'Y15-24', 'sex': 'T'}) so that each region
    has one value; a ValueError names the dimensions still varying. Codes of another NUTS
    version are not drawn: see `nuts_unmatched`. The GeoJSON is the most detailed 'regions'
    file loaded for the level (or the given `scale`, e.g. '60M'); None when none is loaded.
    Plotly: locations='nuts_id', featureidkey='properties.NUTS_ID'.
    """
    clauses = ["o.dataset = $dataset", "o.period = $period"]
    params: dict[str, Any] = {"dataset": dataset, "period": period, "level": level,
                              "nuts_version": NUTS_VERSION}
    for i, (name, value) in enumerate(sorted((filters or {}).items())):
        clauses.append(f"json_extract_string(o.dimensions, $path_{i}) = $value_{i}")
        params |= {f"path_{i}": _dimension_path(name), f"value_{i}": value}
    frame = _frame(published_db, f"""
        with {_NUTS_NAMES}
        select n.nuts_id, n.name_latn, n.nuts_name, n.level, o.period, o.value, o.flags,
               cast(o.dimensions as varchar) as dimensions, o.source_file
        from official.eurostat_observations as o
        join nuts_names as n on n.nuts_id = o.geo and n.level = $level
        where {' and '.join(clauses)}
        order by n.nuts_id, o.dimensions
    """, params)
    duplicated = frame.filter(pl.col("nuts_id").is_duplicated())
    if duplicated.height:
        dims = [json.loads(text) for text in duplicated["dimensions"].to_list()]
        varying = sorted({key for d in dims for key in d if len({x.get(key) for x in dims}) > 1})
        raise ValueError(
            f"{dataset} {period}: several values per region; fix the dimension(s) {varying} "
            "in filters")

    geo_params: dict[str, Any] = {"level": level, "nuts_version": NUTS_VERSION}
    scale_clause = ""
    if scale is not None:
        scale_clause = "and scale = $scale"
        geo_params["scale"] = scale
    geometry = _frame(published_db, f"""
        select cast(geojson as varchar) as geojson
        from official.nuts_geometry
        where level = $level and nuts_version = $nuts_version and geometry_kind = 'regions'
              {scale_clause}
        order by try_cast(regexp_extract(scale, '^(\\d+)', 1) as integer) nulls last,
                 source_file
        limit 1
    """, geo_params)
    geojson = json.loads(geometry["geojson"][0]) if geometry.height else None
    return frame, geojson


def nuts_unmatched(published_db: Path | str, dataset: str | None = None) -> pl.DataFrame:
    """Geo codes of loaded Eurostat files that are not NUTS 2021 regions, with the reason."""
    where, params = "", {}
    if dataset is not None:
        where, params = "where dataset = $dataset", {"dataset": dataset}
    return _frame(published_db, f"""
        select dataset, geo, geo_label, reason, n_observations, source_file
        from official.nuts_unmatched
        {where}
        order by dataset, source_file, geo nulls first
    """, params)


# BMO sums over published cells only; a share uses only cells where both counts are published.
_BMO_MEASURES = """
               cast(sum(n_projects) as bigint) as n_projects,
               count(*) filter (where is_secret_projects) as n_secret_projects,
               cast(sum(n_projects_difficult) as bigint) as n_projects_difficult,
               count(*) filter (where is_secret_difficult) as n_secret_difficult,
               cast(sum(n_projects_seasonal) as bigint) as n_projects_seasonal,
               count(*) filter (where is_secret_seasonal) as n_secret_seasonal,
               cast(sum(n_projects_difficult) filter (
                        where not is_secret_projects and not is_secret_difficult) as double)
                 / nullif(sum(n_projects) filter (
                        where not is_secret_projects and not is_secret_difficult), 0)
                 as share_difficult,
               cast(sum(n_projects_seasonal) filter (
                        where not is_secret_projects and not is_secret_seasonal) as double)
                 / nullif(sum(n_projects) filter (
                        where not is_secret_projects and not is_secret_seasonal), 0)
                 as share_seasonal"""


def bmo_by_occupation_region(published_db: Path | str, region_code: str | None = None,
                             family_code: str | None = None, year: int | None = None
                             ) -> pl.DataFrame:
    """BMO recruitment projects per region × occupation, aware of statistical secrecy.

    Counts are sums over the published (non-secret) employment-area cells, null when every
    cell is secret, and come with the number of secret cells: with n_secret_* > 0 a count is a
    lower bound. Shares use only the areas where both of their counts are published.
    """
    clauses, params = [], {}
    for column, value in (("region_code", region_code), ("family_code", family_code),
                          ("year", year)):
        if value is not None:
            clauses.append(f"{column} = ${column}")
            params[column] = value
    where = f"where {' and '.join(clauses)}" if clauses else ""
    return _frame(published_db, f"""
        select year, region_code, region_name, family_code, family_label, bmo_code, bmo_label,
               count(*) as n_basins,
               {_BMO_MEASURES},
               not bool_or(is_secret_projects or is_secret_difficult or is_secret_seasonal)
                 as is_complete,
               any_value(source_file) as source_file
        from official.bmo
        {where}
        group by year, region_code, region_name, family_code, family_label, bmo_code, bmo_label
        order by year, region_code, bmo_code
    """, params)


_BMO_GROUPS = {
    "family": ("family_code", "family_label"),
    "region": ("region_code", "region_name"),
    "occupation": ("family_code", "family_label", "bmo_code", "bmo_label"),
}


def bmo_totals(published_db: Path | str, by: str, region_code: str | None = None,
               year: int | None = None) -> pl.DataFrame:
    """BMO recruitment projects per occupation family, region or occupation, secrecy-aware.

    Same rules as `bmo_by_occupation_region`, applied to the cells of each group (the shares
    of a family cannot be recomputed from that function's per-occupation shares). n_cells
    counts the employment-area × occupation cells of the group.
    """
    if by not in _BMO_GROUPS:
        raise ValueError(f"by must be one of {sorted(_BMO_GROUPS)}, not {by!r}")
    columns = ", ".join(_BMO_GROUPS[by])
    clauses, params = [], {}
    for column, value in (("region_code", region_code), ("year", year)):
        if value is not None:
            clauses.append(f"{column} = ${column}")
            params[column] = value
    where = f"where {' and '.join(clauses)}" if clauses else ""
    return _frame(published_db, f"""
        select year, {columns},
               count(*) as n_cells,
               {_BMO_MEASURES},
               any_value(source_file) as source_file
        from official.bmo
        {where}
        group by year, {columns}
        order by year, {columns}
    """, params)


def nuts_boundaries(published_db: Path | str) -> pl.DataFrame:
    """NUTS 2021 'regions' boundaries loaded, per level, in the order `nuts_choropleth_data`
    prefers them (the first row of a level is the file its map draws), with their import."""
    return _frame(published_db, """
        select g.level, g.scale, g.n_features, g.source_file, i.loaded_at,
               i.source_updated_on, i.attribution
        from official.nuts_geometry as g
        left join official.imports as i on i.file_name = g.source_file
        where g.nuts_version = $nuts_version and g.geometry_kind = 'regions'
        order by g.level,
                 try_cast(regexp_extract(g.scale, '^(\\d+)', 1) as integer) nulls last,
                 g.source_file
    """, {"nuts_version": NUTS_VERSION})

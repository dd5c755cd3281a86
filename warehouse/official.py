"""Write parsed official statistics and classifications into the `official` schema.

One transaction per file: the rows, the file's `official.imports` record and its
`meta.file_events` event commit together or not at all. A new version of a file name replaces
the rows of the previous one; the same content under any name is skipped. Every row carries its
lineage: source_file, content_hash, loaded_at and run_id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import polars as pl

from pipelines.sources.nuts import match_nuts
from warehouse import loading

# meta.file_events.source of every official file.
EVENT_SOURCE = "official"
# The NUTS version Eurostat geo codes are matched against (the GISCO files are NUTS 2021).
REFERENCE_NUTS_VERSION = "2021"

_LINEAGE = """
    source_file varchar not null,
    content_hash varchar not null,
    loaded_at timestamptz not null,
    run_id varchar not null"""

# Parsed frame name -> table of the official schema.
TABLE_OF_FRAME = {
    "eurostat_observations": "eurostat_observations",
    "eurostat_flags": "eurostat_flags",
    "isco_groups": "isco_groups",
    "esco_occupations": "esco_occupations",
    "rome_codes": "rome_codes",
    "rome_appellations": "rome_appellations",
    "nace": "nace",
    "naf": "naf",
    "nuts": "nuts_regions",
    "bmo": "bmo",
}

# Shown under every chart drawn from these files (terms summarised in docs/official-statistics.md).
ATTRIBUTION = {
    "eurostat_sdmx_csv": "Source: Eurostat",
    "eurostat_tsv": "Source: Eurostat",
    "eurostat_flags": "Source: Eurostat",
    "nace": "Source: Eurostat (NACE Rev. 2)",
    "nuts_geojson": "© EuroGeographics for the administrative boundaries (Eurostat GISCO)",
    "esco_isco_groups": "Source: European Commission, ESCO (ISCO-08 is an ILO classification)",
    "esco_occupations": "Source: European Commission, ESCO",
    "rome_codes": "Source: France Travail, ROME (Licence Ouverte v2.0)",
    "rome_appellations": "Source: France Travail, ROME (Licence Ouverte v2.0)",
    "naf": "Source: INSEE, NAF rév. 2 (Licence Ouverte v2.0)",
    "bmo": "Source: France Travail, enquête BMO (Licence Ouverte v2.0)",
}

OFFICIAL_DDL = f"""
create schema if not exists official;

create table if not exists official.imports (
    file_name varchar primary key,
    kind varchar not null,
    table_name varchar not null,
    content_hash varchar not null,
    companion_file varchar,
    n_rows bigint not null,
    source_updated_on date,
    attribution varchar not null,
    loaded_at timestamptz not null,
    run_id varchar not null
);

create table if not exists official.eurostat_observations (
    dataset varchar not null,
    dimensions json not null,
    geo varchar,
    geo_label varchar,
    period varchar not null,
    period_start date not null,
    freq varchar not null,
    value double,
    flags varchar,{_LINEAGE}
);

create table if not exists official.eurostat_flags (
    flag varchar not null,
    label varchar not null,{_LINEAGE}
);

create table if not exists official.isco_groups (
    isco_code varchar not null,
    level tinyint not null,
    parent_code varchar,
    label_en varchar,
    label_fr varchar,
    description_en varchar,
    concept_uri varchar,{_LINEAGE}
);

create table if not exists official.esco_occupations (
    concept_uri varchar not null,
    isco_code varchar not null,
    label_en varchar,
    label_fr varchar,
    status varchar,
    modified_on date,{_LINEAGE}
);

create table if not exists official.rome_codes (
    rome_code varchar not null,
    label varchar,
    code_ogr varchar,
    fiche_metier_code varchar,
    parent_rome_code varchar,
    transition_eco varchar,
    is_transition_num boolean,
    is_transition_demo boolean,
    is_regulated boolean,
    is_cadre boolean,{_LINEAGE}
);

create table if not exists official.rome_appellations (
    code_ogr varchar not null,
    label_long varchar,
    label_short varchar,
    rome_code varchar not null,
    parent_rome_code varchar,
    classification varchar,
    transition_eco varchar,
    is_transition_num boolean,
    is_transition_demo boolean,
    is_regulated boolean,
    is_cadre boolean,
    is_rarely_used boolean,
    origin varchar,{_LINEAGE}
);

create table if not exists official.nace (
    nace_code varchar not null,
    level tinyint not null,
    parent_code varchar,
    section varchar not null,
    label_en varchar,
    isic_code varchar,
    sort_order bigint,{_LINEAGE}
);

create table if not exists official.naf (
    naf_code varchar not null,
    naf_code_compact varchar not null,
    nace_code varchar not null,
    label_fr varchar,{_LINEAGE}
);

create table if not exists official.nuts_regions (
    nuts_id varchar not null,
    level tinyint not null,
    country_code varchar not null,
    name_latn varchar,
    nuts_name varchar,
    nuts_version varchar not null,{_LINEAGE}
);

create table if not exists official.nuts_geometry (
    level tinyint not null,
    geometry_kind varchar not null,  -- regions | label_points
    scale varchar,                   -- 20M, 60M, ... (null when the file name has none)
    nuts_version varchar not null,
    n_features bigint not null,
    geojson json not null,{_LINEAGE}
);

create table if not exists official.bmo (
    year integer not null,
    bmo_code varchar not null,
    bmo_label varchar,
    family_code varchar,
    family_label varchar,
    region_code varchar,
    region_name varchar,
    departement_code varchar,
    departement_name varchar,
    basin_code varchar not null,
    basin_name varchar,
    n_projects bigint,
    n_projects_difficult bigint,
    n_projects_seasonal bigint,
    is_secret_projects boolean not null,
    is_secret_difficult boolean not null,
    is_secret_seasonal boolean not null,{_LINEAGE}
);

create table if not exists official.nuts_unmatched (
    dataset varchar not null,
    geo varchar,
    geo_label varchar,
    reason varchar not null,
    n_observations bigint not null,
    source_file varchar not null,
    computed_at timestamptz not null
);
"""

@dataclass(frozen=True)
class OfficialFile:
    """One parsed official file, ready to load."""

    file_name: str
    kind: str
    content_hash: str
    frames: dict[str, pl.DataFrame]
    # GeoJSON FeatureCollections of a NUTS file, one per level: {level: collection}.
    geometries: dict[int, dict[str, Any]] | None = None
    geometry_kind: str | None = None
    scale: str | None = None
    # An ESCO French export loaded with its English sibling, or None.
    companion_file: str | None = None
    source_updated_on: date | None = None

    @property
    def n_rows(self) -> int:
        return sum(frame.height for frame in self.frames.values())


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the official schema and its tables when absent."""
    con.execute(OFFICIAL_DDL)


def loaded_as(con: duckdb.DuckDBPyConnection, content_hash: str) -> str | None:
    """The file name under which this exact content was imported, if it was."""
    rows = con.execute(
        "select file_name from official.imports where content_hash = ?", [content_hash]
    ).fetchall()
    return rows[0][0] if rows else None


def _previous(con: duckdb.DuckDBPyConnection, file_name: str) -> tuple[str, str] | None:
    rows = con.execute(
        "select table_name, content_hash from official.imports where file_name = ?", [file_name]
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame,
            lineage: dict[str, Any]) -> None:
    incoming = frame.with_columns(
        pl.lit(lineage["source_file"]).alias("source_file"),
        pl.lit(lineage["content_hash"]).alias("content_hash"),
        pl.lit(lineage["loaded_at"]).cast(pl.Datetime("us", "UTC")).alias("loaded_at"),
        pl.lit(lineage["run_id"]).alias("run_id"),
    ).to_arrow()
    con.register("incoming_official", incoming)
    try:
        # `by name`: a parser column missing from the table fails here, inside the transaction.
        con.execute(f"insert into official.{table} by name select * from incoming_official")
    finally:
        con.unregister("incoming_official")


def load_official_file(con: duckdb.DuckDBPyConnection, parsed: OfficialFile, run_id: str) -> str:
    """Load one parsed file in one transaction; returns 'loaded' or 'replaced'.

    The caller has checked that this content is not loaded yet (see `loaded_as`).
    """
    now = datetime.now(UTC)
    lineage = {"source_file": parsed.file_name, "content_hash": parsed.content_hash,
               "loaded_at": now, "run_id": run_id}
    tables = [TABLE_OF_FRAME[name] for name in parsed.frames]
    con.begin()
    try:
        previous = _previous(con, parsed.file_name)
        if previous is not None:
            # The previous version may have been another kind of file under the same name.
            for table in {*previous[0].split(","), "nuts_geometry"}:
                con.execute(f"delete from official.{table} where source_file = ?",
                            [parsed.file_name])
            con.execute("delete from official.imports where file_name = ?", [parsed.file_name])
        for name, frame in parsed.frames.items():
            _insert(con, TABLE_OF_FRAME[name], frame, lineage)
        if parsed.geometries:
            geometry = pl.DataFrame(
                [(level, parsed.geometry_kind, parsed.scale,
                  parsed.frames["nuts"]["nuts_version"][0], len(collection["features"]),
                  json.dumps(collection, ensure_ascii=False, separators=(",", ":")))
                 for level, collection in sorted(parsed.geometries.items())],
                schema={"level": pl.Int8, "geometry_kind": pl.String, "scale": pl.String,
                        "nuts_version": pl.String, "n_features": pl.Int64, "geojson": pl.String},
                orient="row",
            )
            _insert(con, "nuts_geometry", geometry, lineage)
        con.execute(
            "insert into official.imports values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [parsed.file_name, parsed.kind, ",".join(tables), parsed.content_hash,
             parsed.companion_file, parsed.n_rows, parsed.source_updated_on,
             ATTRIBUTION[parsed.kind], now, run_id])
        outcome = "replaced" if previous else "loaded"
        loading.record_event(
            con, run_id=run_id, source=EVENT_SOURCE, file_name=parsed.file_name,
            content_hash=parsed.content_hash, outcome=outcome, n_rows=parsed.n_rows,
            detail=(f"{parsed.kind}; replaces content {previous[1][:12]}" if previous
                    else parsed.kind))
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return outcome


def record_skipped(con: duckdb.DuckDBPyConnection, *, run_id: str, file_name: str,
                   content_hash: str, detail: str) -> None:
    loading.record_event(con, run_id=run_id, source=EVENT_SOURCE, file_name=file_name,
                         content_hash=content_hash, outcome="skipped_duplicate", n_rows=0,
                         detail=detail)


def record_rejected(con: duckdb.DuckDBPyConnection, *, run_id: str, file_name: str,
                    content_hash: str | None, detail: str) -> None:
    loading.record_event(con, run_id=run_id, source=EVENT_SOURCE, file_name=file_name,
                         content_hash=content_hash, outcome="rejected", n_rows=0, detail=detail)


def refresh_nuts_unmatched(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute official.nuts_unmatched from every loaded Eurostat and NUTS file.

    Recomputing the whole report keeps it right whichever of the two arrives first. A geo code
    is unmatched when it is not a region of any loaded NUTS 2021 file; with no NUTS 2021 file
    loaded, every code is reported with that reason rather than left out.
    """
    geos = con.sql(
        "select dataset, source_file, geo, any_value(geo_label) as geo_label, "
        "count(*) as n_observations from official.eurostat_observations group by all "
        "order by source_file, dataset, geo nulls first"
    ).pl()
    nuts = con.sql(
        "select nuts_id, any_value(level) as level, any_value(country_code) as country_code, "
        "any_value(name_latn) as name_latn, any_value(nuts_version) as nuts_version "
        "from official.nuts_regions where nuts_version = $version group by nuts_id",
        params={"version": REFERENCE_NUTS_VERSION},
    ).pl()
    reports = []
    for (dataset, source_file), group in geos.group_by(
        ["dataset", "source_file"], maintain_order=True
    ):
        if nuts.height:
            _matched, unmatched = match_nuts(group["geo"].to_list(), nuts)
        else:
            unmatched = group.select(
                "geo",
                pl.lit(f"no NUTS {REFERENCE_NUTS_VERSION} boundaries loaded to match against")
                .alias("reason"),
            )
        reports.append(
            unmatched.join(group.select("geo", "geo_label", "n_observations"), on="geo",
                           how="left", nulls_equal=True)
            .with_columns(pl.lit(dataset).alias("dataset"),
                          pl.lit(source_file).alias("source_file"))
        )
    columns = ["dataset", "geo", "geo_label", "reason", "n_observations", "source_file"]
    report = (
        pl.concat(reports).select(columns) if reports
        else pl.DataFrame(schema={"dataset": pl.String, "geo": pl.String,
                                  "geo_label": pl.String, "reason": pl.String,
                                  "n_observations": pl.Int64, "source_file": pl.String})
    )
    incoming = report.with_columns(
        pl.lit(datetime.now(UTC)).cast(pl.Datetime("us", "UTC")).alias("computed_at")
    ).to_arrow()
    con.begin()
    try:
        con.execute("delete from official.nuts_unmatched")
        con.register("incoming_unmatched", incoming)
        con.execute("insert into official.nuts_unmatched by name select * from incoming_unmatched")
        con.unregister("incoming_unmatched")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return report.height


def has_pes_data(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any PES file is in the raw layer (the SQL models audit non-empty outputs)."""
    return bool(con.execute("select count(*) from meta.loaded_files").fetchall()[0][0])

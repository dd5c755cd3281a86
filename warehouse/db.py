"""Connections to the build database (read-write) and the published snapshot (read-only)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.contracts import CONTRACTS, Contract

# Extensions come from the wheel only: nothing may be downloaded at run time.
OFFLINE = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

_DUCK_TYPES = {
    "text": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
}

LINEAGE_COLUMNS = (
    "_line BIGINT NOT NULL",
    "_source_file VARCHAR NOT NULL",
    "_content_hash VARCHAR NOT NULL",
    "_loaded_at TIMESTAMPTZ NOT NULL",
    "_run_id VARCHAR NOT NULL",
)

META_DDL = """
create schema if not exists raw;
create schema if not exists meta;
create table if not exists meta.loaded_files (
    content_hash varchar primary key,
    source varchar not null,
    file_name varchar not null,
    n_rows bigint not null,
    is_synthetic boolean not null,
    loaded_at timestamptz not null,
    run_id varchar not null
);
create table if not exists meta.file_events (
    run_id varchar not null,
    source varchar not null,
    file_name varchar not null,
    content_hash varchar,
    outcome varchar not null,     -- loaded | replaced | skipped_duplicate | rejected
    n_rows bigint not null,
    detail varchar,
    occurred_at timestamptz not null
);
alter table meta.file_events add column if not exists n_quarantined bigint default 0;
alter table meta.file_events add column if not exists n_duplicates bigint default 0;
create table if not exists meta.validation_results (
    run_id varchar not null,
    source varchar not null,
    file_name varchar not null,
    content_hash varchar not null,
    suite varchar not null,
    expectation varchar not null,
    column_name varchar,
    success boolean not null,
    unexpected_count bigint,
    validated_at timestamptz not null
);
create table if not exists meta.quarantined_rows (
    quarantine_id varchar primary key,
    source varchar not null,
    file_name varchar not null,
    content_hash varchar not null,
    line bigint not null,
    reasons varchar[] not null,
    quarantine_file varchar not null,   -- under quarantine/: the raw row lives there, not here
    run_id varchar not null,
    quarantined_at timestamptz not null,
    status varchar not null,            -- open | replayed | superseded
    resolved_run_id varchar,
    resolved_at timestamptz
);
create table if not exists meta.duplicate_rows (
    run_id varchar not null,
    source varchar not null,
    file_name varchar not null,
    line bigint not null,
    key varchar not null,
    kept_file varchar not null,
    detected_at timestamptz not null
);
create table if not exists meta.refresh_runs (
    run_id varchar primary key,
    flow_run_id varchar,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,      -- running | completed | failed
    n_files_loaded bigint,
    n_files_skipped bigint,
    n_files_rejected bigint,
    n_rows_loaded bigint,
    message varchar
);
"""


def raw_table_ddl(contract: Contract) -> str:
    cols = [f"{c.name} {_DUCK_TYPES[c.dtype]}" for c in contract.columns]
    return (f"create table if not exists raw.{contract.source} (\n    "
            + ",\n    ".join(cols + list(LINEAGE_COLUMNS)) + "\n)")


def add_column_ddl(contract: Contract, existing: set[str]) -> list[str]:
    """What adds the contract's columns that ``raw.<source>`` lacks (``existing``)."""
    return [f"alter table raw.{contract.source} add column {c.name} {_DUCK_TYPES[c.dtype]}"
            for c in contract.columns if c.name not in existing]


BUILD_ROW_GROUP_SIZE = 16_384


def connect_build(path: Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the pipeline's read-write database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config=OFFLINE)
    # A transaction's rows go straight into the database file once they fill a row group,
    # instead of through the write-ahead log and again at the checkpoint. Row groups of 16,384
    # rows (not 122,880) let a monthly file of some 30,000 contacts take that path: loading a
    # million contacts costs half as much, the file about a third more.
    quoted = str(path).replace("'", "''")
    con.execute(f"attach '{quoted}' as warehouse (row_group_size {BUILD_ROW_GROUP_SIZE})")
    con.execute("use warehouse")
    con.execute("set TimeZone = 'UTC'")
    # Each file commits on its own; checkpointing after each would rewrite the database file
    # every time. Commits stay durable in the write-ahead log, checkpointed on close.
    con.execute("set checkpoint_threshold = '1GB'")
    con.execute(META_DDL)
    for contract in CONTRACTS.values():
        con.execute(raw_table_ddl(contract))
    # A warehouse built before a contract gained an optional column gets it, empty, so the
    # files loaded earlier keep their rows and new files load beside them.
    existing: dict[str, set[str]] = {}
    for table, column in con.execute("select table_name, column_name from "
                                     "information_schema.columns where table_schema = 'raw'"
                                     ).fetchall():
        existing.setdefault(table, set()).add(column)
    for contract in CONTRACTS.values():
        for ddl in add_column_ddl(contract, existing.get(contract.source, set())):
            con.execute(ddl)
    return con


def connect_published(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the published snapshot read-only (for `observatory sql` and `status`)."""
    if not path.exists():
        raise FileNotFoundError(
            f"No published warehouse at {path}: run `observatory refresh` first.")
    con = duckdb.connect(str(path), read_only=True, config=OFFLINE)
    con.execute("set TimeZone = 'UTC'")
    return con

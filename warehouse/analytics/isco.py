"""ISCO-08 labels for every level of the codes vacancies carry and job-seekers seek.

Labels come from ``official.isco_groups`` (ESCO's ISCO-08 groups) when it has been imported,
otherwise from the built-in major-group titles (``core.dim_isco_major_group``). A code with
neither keeps a null label; pages then show the code alone. Written in Python because the
official table may not exist, and SQL models cannot refer to a table that may be missing.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb


def has_official_isco(con: duckdb.DuckDBPyConnection) -> bool:
    exists = con.execute("""
        select count(*) from information_schema.tables
        where table_schema = 'official' and table_name = 'isco_groups'
    """).fetchall()[0][0]
    return bool(exists) and bool(
        con.execute("select count(*) from official.isco_groups").fetchall()[0][0])


def _has_sought_occupations(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("""
        select count(*) from information_schema.columns
        where table_schema = 'core' and table_name = 'dim_jobseeker_spell'
          and column_name = 'sought_isco08'
    """).fetchall()[0][0])


def build_table(con: duckdb.DuckDBPyConnection,
                progress: Callable[[str], None] | None = None) -> None:
    """Write core.dim_isco_group: isco_code, level, parent_code, label, label_source."""
    if progress:
        progress("building core.dim_isco_group (Python)")
    official = """
        official as (
            select isco_code, arg_max(label_en, loaded_at) as label
            from official.isco_groups
            where label_en is not null
            group by isco_code
        ),""" if has_official_isco(con) else """
        official as (
            select cast(null as varchar) as isco_code, cast(null as varchar) as label
            where false
        ),"""
    # Codes sought by job-seekers but never in a vacancy need their titles too (tension).
    sought = ("union select sought_isco08 from core.dim_jobseeker_spell"
              if _has_sought_occupations(con) else "")
    con.execute(f"""
        create or replace table core.dim_isco_group as
        with {official}
        used as (
            select isco08 from core.fct_vacancies
            {sought}
        ),
        codes as (
            select distinct left(isco08, level) as isco_code, level
            from used, range(1, 5) as l(level)
            where isco08 is not null and length(isco08) >= level
        )
        select
            c.isco_code,
            cast(c.level as tinyint) as level,
            case when c.level > 1 then left(c.isco_code, c.level - 1) end as parent_code,
            coalesce(o.label, m.isco_major_group_label) as label,
            case
                when o.label is not null then 'official.isco_groups'
                when m.isco_major_group_label is not null then 'built-in ISCO-08 major groups'
                else 'none'
            end as label_source
        from codes as c
        left join official as o using (isco_code)
        left join core.dim_isco_major_group as m on m.isco_major_group = c.isco_code
        order by c.isco_code
    """)

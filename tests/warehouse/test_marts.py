"""Every mart equals an independent Polars recomputation from the landed files."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

sys.path.insert(0, str(Path(__file__).parent))
import recompute  # noqa: E402

from warehouse.build import discover_models  # noqa: E402
from warehouse.db import connect_published  # noqa: E402


def mart(settings, name: str) -> pl.DataFrame:
    con = connect_published(settings.published_db)
    try:
        return con.sql(f"select * from marts.{name}").pl()
    finally:
        con.close()


def aligned(expected: pl.DataFrame, actual: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    assert sorted(expected.columns) == sorted(actual.columns)
    keys = [c for c in actual.columns if not c.startswith("n_")]
    expected = expected.select(actual.columns).cast(actual.schema).sort(keys, nulls_last=True)
    return expected, actual.sort(keys, nulls_last=True)


@pytest.mark.parametrize(("name", "recompute_fn"), [
    ("mart_contacts_monthly", recompute.contacts_monthly),
    ("mart_jobseeker_flows_monthly", recompute.jobseeker_flows_monthly),
])
def test_mart_matches_recomputation(demo_home, name, recompute_fn):
    actual = mart(demo_home, name)
    expected = recompute_fn(demo_home.landing_dir)
    assert actual.height > 100
    assert_frame_equal(*aligned(expected, actual))


def test_vacancies_mart_matches_recomputation(demo_home):
    actual = mart(demo_home, "mart_vacancies_monthly").drop("isco_major_group_label")
    expected = recompute.vacancies_monthly(demo_home.landing_dir)
    assert actual["n_open_end"].sum() > 0
    assert_frame_equal(*aligned(expected, actual))


def test_every_model_is_non_empty_and_keyed(demo_home):
    con = connect_published(demo_home.published_db)
    try:
        for model in discover_models():
            n = con.execute(f"select count(*) from {model.relation}").fetchall()[0][0]
            assert n > 0, model.relation
            if model.key:
                keys = ", ".join(model.key)
                distinct = con.execute(
                    f"select count(*) from (select distinct {keys} from {model.relation})"
                ).fetchall()[0][0]
                assert distinct == n, f"{model.relation} key ({keys}) not unique"
    finally:
        con.close()


def test_every_model_states_its_grain():
    models = discover_models()
    assert {m.layer for m in models} == {"staging", "core", "marts"}
    assert all(m.grain for m in models)
    assert all(m.key for m in models if m.layer != "staging")

"""The ISCO-08 code list the contracts check sought occupations against."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines import isco08


def test_four_levels_each_code_a_prefix_of_a_unit_group():
    by_level = {n: [c for c in isco08.CODES if len(c) == n] for n in (1, 2, 3, 4)}
    assert [len(by_level[n]) for n in (1, 2, 3, 4)] == [10, 43, 130, 436]
    assert by_level[1] == [str(g) for g in range(10)]
    assert {"0110", "2512", "5223", "9629"} <= set(isco08.UNIT_GROUPS)
    assert not {"10", "2599", "1000", "25120"} & set(isco08.CODES)  # not ISCO-08 groups


@pytest.mark.shared_data
def test_codes_are_those_of_the_esco_isco_groups_export(shared_data):
    esco = pl.read_csv(shared_data / "esco" / "ISCOGroups_en.csv", infer_schema=False)
    assert sorted(esco["code"].to_list()) == list(isco08.CODES)

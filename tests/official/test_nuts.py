"""NUTS GeoJSON parser and the NUTS-version join check."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from pipelines.sources.detect import OfficialFileError
from pipelines.sources.eurostat import read_eurostat_tsv
from pipelines.sources.nuts import NUTS_SCHEMA, match_nuts, read_nuts

LEVEL_COUNTS = {
    "NUTS_RG_20M_2021_4326_LEVL_0.geojson": {0: 37},
    "NUTS_RG_20M_2021_4326_LEVL_1.geojson": {1: 125},
    "NUTS_RG_20M_2021_4326_LEVL_2.geojson": {2: 333},
    "NUTS_RG_60M_2021_4326.geojson": {0: 37, 1: 125, 2: 334, 3: 1_514},
    "NUTS_LB_2021_4326_LEVL_2.geojson": {2: 334},
}


@pytest.fixture(scope="module")
def nuts_60m(shared_data: Path) -> pl.DataFrame:
    frame, _ = read_nuts(shared_data / "geo" / "NUTS_RG_60M_2021_4326.geojson")
    return frame


@pytest.mark.shared_data
@pytest.mark.parametrize("name", sorted(LEVEL_COUNTS))
def test_level_counts_and_feature_collection(shared_data: Path, name: str) -> None:
    frame, geojson = read_nuts(shared_data / "geo" / name)
    assert frame.schema == NUTS_SCHEMA
    assert dict(frame.group_by("level").len().iter_rows()) == LEVEL_COUNTS[name]
    assert frame["nuts_version"].unique().to_list() == ["2021"]
    assert (frame["country_code"] == frame["nuts_id"].str.slice(0, 2)).all()
    assert not frame["nuts_name"].str.contains("[\u00a0 ]$").any()

    # Plotly joins locations on properties.NUTS_ID: one feature per frame row, same ids.
    raw = json.loads((shared_data / "geo" / name).read_text(encoding="utf-8"))
    assert geojson["type"] == "FeatureCollection"
    ids = [feature["properties"]["NUTS_ID"] for feature in geojson["features"]]
    assert (
        sorted(ids)
        == sorted(frame["nuts_id"])
        == sorted(feature["properties"]["NUTS_ID"] for feature in raw["features"])
    )
    assert [f["geometry"] for f in geojson["features"]] == [f["geometry"] for f in raw["features"]]


@pytest.mark.shared_data
def test_greek_name_loses_its_no_break_space(shared_data: Path, nuts_60m: pl.DataFrame) -> None:
    raw = json.loads(
        (shared_data / "geo" / "NUTS_RG_20M_2021_4326_LEVL_0.geojson").read_text(encoding="utf-8")
    )
    published = next(f for f in raw["features"] if f["properties"]["NUTS_ID"] == "EL")
    assert published["properties"]["NUTS_NAME"] == "Ελλάδα\u00a0"

    frame, geojson = read_nuts(shared_data / "geo" / "NUTS_RG_20M_2021_4326_LEVL_0.geojson")
    greece = frame.filter(pl.col("nuts_id") == "EL").row(0, named=True)
    assert greece == {
        "nuts_id": "EL",
        "level": 0,
        "country_code": "EL",
        "name_latn": "Elláda",
        "nuts_name": "Ελλάδα",
        "nuts_version": "2021",
    }
    cleaned = next(f for f in geojson["features"] if f["properties"]["NUTS_ID"] == "EL")
    assert cleaned["properties"]["NUTS_NAME"] == "Ελλάδα"
    assert nuts_60m.filter(pl.col("nuts_id") == "EL")["nuts_name"].item() == "Ελλάδα"


@pytest.mark.shared_data
def test_nuts_2010_codes_of_lfst_r_lfu3rt_are_reported_not_dropped(
    shared_data: Path, nuts_60m: pl.DataFrame
) -> None:
    observations = read_eurostat_tsv(shared_data / "eurostat" / "lfst_r_lfu3rt.tsv")
    codes = observations["geo"].to_list()
    matched, unmatched = match_nuts(codes, nuts_60m)

    distinct = set(codes)
    assert len(distinct) == 467
    assert matched.height + unmatched.height == 467
    assert set(matched["geo"]) | set(unmatched["geo"]) == distinct
    assert set(matched["geo"]).isdisjoint(unmatched["geo"])
    reasons = dict(unmatched.iter_rows())
    assert "FR21" in reasons and "NUTS 2021" in reasons["FR21"]
    assert "no such country" in reasons["EU28"]
    assert reasons["EL11"].startswith("not a NUTS 2021 region")
    assert matched.filter(pl.col("geo") == "DE1").select("level", "name_latn").row(0) == (
        1,
        "Baden-Württemberg",
    )
    assert {"FR", "FR10", "DE", "AT13"} <= set(matched["geo"])


def test_match_nuts_on_a_tiny_frame() -> None:
    frame = pl.DataFrame(
        {
            "nuts_id": ["FR", "FR10", "FRB0"],
            "level": [0, 2, 2],
            "country_code": ["FR"] * 3,
            "name_latn": ["France", "Ile-de-France", "Centre — Val de Loire"],
            "nuts_name": ["France", "Ile-de-France", "Centre — Val de Loire"],
            "nuts_version": ["2021"] * 3,
        },
        schema=NUTS_SCHEMA,
    )
    matched, unmatched = match_nuts(["FR24", "FR10", "EA19", "FR10", "FR"], frame)
    assert matched["geo"].to_list() == ["FR10", "FR"]
    assert unmatched.rows() == [
        ("FR24", "not a NUTS 2021 region (another NUTS version?)"),
        ("EA19", "no such country in NUTS 2021 (an aggregate or another area)"),
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("not json", "invalid JSON"),
        ('{"type": "Feature"}', "no FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "no features"),
        (
            '{"type": "FeatureCollection", "features": [{"properties": {"NUTS_ID": "FR1", '
            '"LEVL_CODE": 2}}]}',
            "FR1 at 2",
        ),
    ],
)
def test_not_a_nuts_file_is_refused(tmp_path: Path, text: str, found: str) -> None:
    path = tmp_path / "NUTS_RG_20M_2021_4326_LEVL_2.geojson"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OfficialFileError) as caught:
        read_nuts(path)
    assert path.name in str(caught.value) and found in str(caught.value)

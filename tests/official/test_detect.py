"""Content sniffing of official files and dispatch to their parser."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from pipelines.sources.detect import (
    SUPPORTED_KINDS,
    OfficialFileError,
    detect_official,
    parse_official,
)

REAL_FILES = {
    "eurostat/une_rt_m.csv": "eurostat_sdmx_csv",
    "eurostat/jvs_q_nace2_page_linear_2_0.csv": "eurostat_sdmx_csv",
    "eurostat/lfst_r_lfu3rt.tsv": "eurostat_tsv",
    "eurostat/codelist_obs_flag.tsv": "eurostat_flags",
    "esco/ISCOGroups_en.csv": "esco_isco_groups",
    "esco/ISCOGroups_fr.csv": "esco_isco_groups",
    "esco/occupations_en.csv": "esco_occupations",
    "esco/occupations_fr.csv": "esco_occupations",
    "rome/unix_referentiel_code_rome_v460_utf8.csv": "rome_codes",
    "rome/unix_referentiel_appellation_v460_utf8.csv": "rome_appellations",
    "nace/NACE_REV2_20221103_144244.csv": "nace",
    "nace/naf2008_liste_n5.csv": "naf",
    "geo/NUTS_RG_20M_2021_4326_LEVL_0.geojson": "nuts_geojson",
    "geo/NUTS_RG_20M_2021_4326_LEVL_1.geojson": "nuts_geojson",
    "geo/NUTS_RG_20M_2021_4326_LEVL_2.geojson": "nuts_geojson",
    "geo/NUTS_RG_60M_2021_4326.geojson": "nuts_geojson",
    "geo/NUTS_LB_2021_4326_LEVL_2.geojson": "nuts_geojson",
    "france_travail/Base_open_data_BMO_2025.xlsx": "bmo",
}
# Real labour-market files that are none of the supported kinds.
UNRELATED_FILES = [
    "dares/tensions.csv",
    "dares/serie_demandeurs_emploi_A_ABC.csv",
    "france_travail/cities-tension-utf8.csv",
    "france_travail/lexique-bassins.csv",
    "france_travail/rome_naf_mapping.csv",
    "insee/quarterly_values.csv",
    "insee/dataset_CHOMAGE-TRIM-NATIONAL_16042023.zip",
]


@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "kind"), sorted(REAL_FILES.items()))
def test_every_real_file_is_detected(shared_data: Path, name: str, kind: str) -> None:
    assert detect_official(shared_data / name) == kind


@pytest.mark.shared_data
def test_detection_reads_content_not_the_file_name(shared_data: Path, tmp_path: Path) -> None:
    for name, kind in REAL_FILES.items():
        if kind == "bmo":
            continue  # 3 MB; the xlsx sniff only opens the zip directory anyway
        renamed = tmp_path / f"download_{len(name)}_{kind}.bin"
        shutil.copyfile(shared_data / name, renamed)
        assert detect_official(renamed) == kind, name
        renamed.unlink()


@pytest.mark.shared_data
@pytest.mark.parametrize("name", UNRELATED_FILES)
def test_unrelated_real_files_are_refused(shared_data: Path, name: str) -> None:
    with pytest.raises(OfficialFileError) as caught:
        detect_official(shared_data / name)
    message = str(caught.value)
    assert message.startswith(Path(name).name + ": expected one of the supported")
    assert all(kind in message for kind in SUPPORTED_KINDS)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "frame", "rows"),
    [
        ("eurostat/une_rt_m.csv", "eurostat_observations", 2_691),
        ("eurostat/lfst_r_lfu3rt.tsv", "eurostat_observations", 84_060),
        ("eurostat/codelist_obs_flag.tsv", "eurostat_flags", 42),
        ("esco/ISCOGroups_fr.csv", "isco_groups", 619),
        ("esco/occupations_en.csv", "esco_occupations", 2_942),
        ("rome/unix_referentiel_code_rome_v460_utf8.csv", "rome_codes", 1_584),
        ("rome/unix_referentiel_appellation_v460_utf8.csv", "rome_appellations", 13_120),
        ("nace/NACE_REV2_20221103_144244.csv", "nace", 996),
        ("nace/naf2008_liste_n5.csv", "naf", 732),
        ("geo/NUTS_RG_60M_2021_4326.geojson", "nuts", 2_010),
        ("france_travail/Base_open_data_BMO_2025.xlsx", "bmo", 50_076),
    ],
)
def test_parse_official_dispatches(shared_data: Path, name: str, frame: str, rows: int) -> None:
    frames = parse_official(shared_data / name)
    assert list(frames) == [frame]
    assert isinstance(frames[frame], pl.DataFrame)
    assert frames[frame].height == rows


@pytest.mark.shared_data
def test_french_esco_file_is_parsed_with_its_english_sibling(shared_data: Path) -> None:
    groups = parse_official(shared_data / "esco" / "ISCOGroups_fr.csv")["isco_groups"]
    assert groups["label_en"].null_count() == 0
    assert groups["label_fr"].null_count() == 0


def test_french_esco_file_alone_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ISCOGroups_fr.csv"
    path.write_text(
        "conceptType,conceptUri,code,preferredLabel,altLabels,description\r\n"
        "ISCOGroup,http://data.europa.eu/esco/isco/C0,0,Professions militaires,,\r\n",
        encoding="utf-8",
    )
    assert detect_official(path) == "esco_isco_groups"
    with pytest.raises(OfficialFileError, match="expected the English ESCO export"):
        parse_official(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", b"Minutes of the steering committee\nNothing tabular here.\n"),
        ("people.csv", b"id,name\n1,Ada\n"),
        ("empty.csv", b""),
        ("shapes.geojson", b'{"type": "FeatureCollection", "features": []}'),
        ("archive.xlsx", b"PK\x03\x04 not really a zip"),
        ("binary.bin", bytes(range(256))),
    ],
)
def test_unrelated_files_get_a_clear_error(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(OfficialFileError) as caught:
        detect_official(path)
    assert str(caught.value).startswith(f"{name}: expected one of the supported official files")
    assert caught.value.path == path
    assert isinstance(caught.value, ValueError)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OfficialFileError, match="nothing at this path"):
        detect_official(tmp_path / "absent.csv")

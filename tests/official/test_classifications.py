"""Classification parsers against the real ESCO, ROME, NACE and NAF files."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from pipelines.sources.classifications import (
    NACE_LEVEL_COUNTS,
    read_esco_occupations,
    read_isco_groups,
    read_nace,
    read_naf,
    read_rome_appellations,
    read_rome_codes,
    repair_isic_code,
    repair_nace_code,
    unmatched_naf_classes,
)
from pipelines.sources.detect import OfficialFileError


def _csv_rows(path: Path, **options) -> list[dict[str, str]]:
    """Independent parse with the standard library (it keeps quoted newlines in one field)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, **options))


def _no_carriage_return(frame: pl.DataFrame) -> None:
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    hits = frame.select(pl.col(text).str.contains("\r").any()).row(0)
    assert not any(hits), dict(zip(text, hits, strict=True))


@pytest.fixture(scope="module")
def nace(shared_data: Path) -> pl.DataFrame:
    return read_nace(shared_data / "nace" / "NACE_REV2_20221103_144244.csv")


@pytest.fixture(scope="module")
def isco(shared_data: Path) -> pl.DataFrame:
    return read_isco_groups(
        shared_data / "esco" / "ISCOGroups_en.csv", shared_data / "esco" / "ISCOGroups_fr.csv"
    )


@pytest.mark.shared_data
class TestEsco:
    def test_isco_groups(self, shared_data: Path, isco: pl.DataFrame) -> None:
        assert isco.height == 619
        assert isco.group_by("level").len().sort("level").rows() == [
            (1, 10),
            (2, 43),
            (3, 130),
            (4, 436),
        ]
        assert isco.filter(pl.col("isco_code") == "0110").row(0, named=True) | {
            "description_en": None
        } == {
            "isco_code": "0110",
            "level": 4,
            "parent_code": "011",
            "label_en": "Commissioned armed forces officers",
            "label_fr": "Officiers des forces armées",
            "description_en": None,
            "concept_uri": "http://data.europa.eu/esco/isco/C0110",
        }
        assert isco["label_fr"].null_count() == 0
        assert isco["parent_code"].null_count() == 10
        _no_carriage_return(isco)

        english = _csv_rows(shared_data / "esco" / "ISCOGroups_en.csv")
        french = {
            row["conceptUri"]: row for row in _csv_rows(shared_data / "esco" / "ISCOGroups_fr.csv")
        }
        parsed = {row["isco_code"]: row for row in isco.iter_rows(named=True)}
        for row in english:
            ours = parsed[row["code"]]
            assert ours["label_en"] == row["preferredLabel"].strip()
            assert ours["label_fr"] == french[row["conceptUri"]]["preferredLabel"].strip()
            assert ours["description_en"] == (row["description"].strip() or None)

    def test_occupations(self, shared_data: Path, isco: pl.DataFrame) -> None:
        occupations = read_esco_occupations(
            shared_data / "esco" / "occupations_en.csv", shared_data / "esco" / "occupations_fr.csv"
        )
        assert occupations.height == 2_942
        assert occupations["concept_uri"].n_unique() == 2_942
        assert occupations["label_fr"].null_count() == 0
        assert occupations["modified_on"].max().isoformat() == "2020-06-11"
        assert occupations["status"].unique().to_list() == ["released"]
        units = isco.filter(pl.col("level") == 4)["isco_code"].implode()
        assert occupations.filter(~pl.col("isco_code").is_in(units)).height == 0
        _no_carriage_return(occupations)

        french = {
            row["conceptUri"]: row["preferredLabel"].strip()
            for row in _csv_rows(shared_data / "esco" / "occupations_fr.csv")
        }
        english = {
            row["conceptUri"]: row for row in _csv_rows(shared_data / "esco" / "occupations_en.csv")
        }
        for uri, isco_code, label_en, label_fr in occupations.select(
            "concept_uri", "isco_code", "label_en", "label_fr"
        ).iter_rows():
            assert (isco_code, label_en, label_fr) == (
                english[uri]["iscoGroup"],
                english[uri]["preferredLabel"].strip(),
                french[uri],
            )


@pytest.mark.shared_data
class TestRome:
    def test_codes(self, shared_data: Path) -> None:
        path = shared_data / "rome" / "unix_referentiel_code_rome_v460_utf8.csv"
        codes = read_rome_codes(path)
        assert codes.height == 1_584
        assert codes["rome_code"].str.contains(r"^[A-N]\d{4}$").all()
        flags = {"O": True, "N": False, "": None}
        raw = {row["code_rome"]: row for row in _csv_rows(path)}
        for row in codes.iter_rows(named=True):
            source = raw[row["rome_code"]]
            assert row["label"] == source["libelle_rome"]
            assert row["code_ogr"] == source["code_ogr"]
            assert row["parent_rome_code"] == source["code_rome_parent"]
            assert row["is_regulated"] is flags[source["emploi_reglemente"]]
            assert row["is_cadre"] is flags[source["emploi_cadre"]]
            assert row["is_transition_num"] is flags[source["transition_num"]]
            assert row["is_transition_demo"] is flags[source["transition_demo"]]

    def test_appellations(self, shared_data: Path) -> None:
        path = shared_data / "rome" / "unix_referentiel_appellation_v460_utf8.csv"
        appellations = read_rome_appellations(path)
        codes = read_rome_codes(shared_data / "rome" / "unix_referentiel_code_rome_v460_utf8.csv")
        assert appellations.height == 13_120
        assert appellations["code_ogr"].n_unique() == 13_120
        assert appellations.join(codes, on="rome_code", how="anti").height == 0
        assert appellations["classification"].value_counts().sort("classification").rows() == [
            ("PRINCIPALE", 1_584),
            ("SYNONYME", 11_536),
        ]
        raw = {row["code_ogr"]: row for row in _csv_rows(path)}
        for code_ogr, long, short, rome_code, rarely in appellations.select(
            "code_ogr", "label_long", "label_short", "rome_code", "is_rarely_used"
        ).iter_rows():
            source = raw[code_ogr]
            assert (long, short, rome_code) == (
                source["libelle_appellation_long"],
                source["libelle_appellation_court"],
                source["code_rome"],
            )
            assert rarely is (source["peu_usite"] == "O")


@pytest.mark.shared_data
class TestNaceNaf:
    def test_repaired_nace_has_996_unique_codes(self, nace: pl.DataFrame) -> None:
        assert nace.height == 996
        assert nace["nace_code"].n_unique() == 996
        assert dict(nace.group_by("level").len().iter_rows()) == NACE_LEVEL_COUNTS
        patterns = {1: r"^[A-U]$", 2: r"^\d{2}$", 3: r"^\d{2}\.\d$", 4: r"^\d{2}\.\d{2}$"}
        for level, pattern in patterns.items():
            assert nace.filter(pl.col("level") == level)["nace_code"].str.contains(pattern).all()

    def test_every_parent_exists_one_level_up(self, nace: pl.DataFrame) -> None:
        parents = nace.select(
            pl.col("nace_code").alias("parent_code"),
            pl.col("level").alias("parent_level"),
            pl.col("section").alias("parent_section"),
        )
        children = nace.filter(pl.col("level") > 1).join(parents, on="parent_code", how="left")
        assert children["parent_level"].null_count() == 0
        assert (children["parent_level"] == children["level"] - 1).all()
        assert (children["parent_section"] == children["section"]).all()
        assert nace.filter(pl.col("level") == 1)["parent_code"].null_count() == 21

    def test_collisions_of_the_damaged_file_are_resolved(self, nace: pl.DataFrame) -> None:
        by_code = {row["nace_code"]: row for row in nace.iter_rows(named=True)}
        assert by_code["10.2"]["level"] == 3
        assert by_code["10.20"]["level"] == 4
        assert by_code["10.20"]["parent_code"] == "10.2"
        assert by_code["01"]["parent_code"] == "A"
        assert by_code["01.30"]["label_en"] == "Plant propagation"
        assert by_code["01.11"]["isic_code"] == "0111"
        assert by_code["99.00"]["section"] == "U"
        assert by_code["62.01"]["section"] == "J"

    def test_repaired_codes_equal_the_damaged_numbers(
        self, shared_data: Path, nace: pl.DataFrame
    ) -> None:
        raw = _csv_rows(shared_data / "nace" / "NACE_REV2_20221103_144244.csv")
        assert len(raw) == nace.height
        by_order = {row["sort_order"]: row for row in nace.iter_rows(named=True)}
        for row in raw:
            ours = by_order[int(row["Order"])]
            assert ours["level"] == int(row["Level"])
            if ours["level"] == 1:
                assert ours["nace_code"] == row["Code"]
                continue
            # The spreadsheet only lost zeros: read as numbers, both must agree.
            assert float(ours["nace_code"]) == float(row["Code"])
            if ours["level"] == 2:
                assert ours["parent_code"] == row["Parent"]
            else:
                assert float(ours["parent_code"]) == float(row["Parent"])
            assert int(ours["isic_code"]) == int(row["Reference to ISIC Rev. 4"])

    def test_naf_maps_onto_repaired_nace(self, shared_data: Path, nace: pl.DataFrame) -> None:
        path = shared_data / "nace" / "naf2008_liste_n5.csv"
        naf = read_naf(path)
        assert naf.height == 732
        assert unmatched_naf_classes(naf, nace).height == 0
        assert naf.filter(pl.col("naf_code") == "01.11Z").row(0) == (
            "01.11Z",
            "0111Z",
            "01.11",
            "Culture de céréales (à l'exception du riz), de légumineuses et de graines "
            "oléagineuses",
        )
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
        assert [tuple(line.split("|")) for line in lines] == [
            (a, b, c) for a, b, _, c in naf.iter_rows()
        ]


@pytest.mark.parametrize(
    ("raw", "level", "expected"),
    [
        ("A", 1, "A"),
        ("1", 2, "01"),
        ("10", 2, "10"),
        ("1.1", 3, "01.1"),
        ("10", 3, "10.0"),
        ("1.11", 4, "01.11"),
        ("10.2", 4, "10.20"),
        ("1.3", 4, "01.30"),
        ("01.30", 4, "01.30"),
        ("1.12", 3, None),
        ("x", 2, None),
        ("1", 1, None),
        ("", 4, None),
    ],
)
def test_repair_nace_code(raw: str, level: int, expected: str | None) -> None:
    assert repair_nace_code(raw, level) == expected


def test_repair_isic_code() -> None:
    assert [
        repair_isic_code(raw, level)
        for raw, level in [
            ("A", 1),
            ("1", 2),
            ("11", 3),
            ("111", 4),
            ("1010", 4),
            ("", 4),
            ("12345", 4),
        ]
    ] == ["A", "01", "011", "0111", "1010", None, None]


def test_nace_with_an_unrepairable_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nace.csv"
    path.write_text(
        "Order,Level,Code,Parent,Description,Reference to ISIC Rev. 4\n"
        "1,1,A,,AGRICULTURE,A\n2,2,1,A,Crops,1\n3,3,one,1,Growing,11\n",
        encoding="utf-8",
    )
    with pytest.raises(OfficialFileError, match=r"nace\.csv: expected a level-3 NACE code"):
        read_nace(path)


def test_nace_with_an_orphan_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nace.csv"
    path.write_text(
        "Order,Level,Code,Parent,Description,Reference to ISIC Rev. 4\n"
        "1,1,A,,AGRICULTURE,A\n2,2,1,A,Crops,1\n3,3,2.1,2,Forestry,21\n",
        encoding="utf-8",
    )
    with pytest.raises(OfficialFileError, match="every parent code present"):
        read_nace(path)


def test_rome_flag_outside_o_n_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rome.csv"
    path.write_text(
        '"code_rome","code_fiche_metier","code_ogr","libelle_rome","transition_eco",'
        '"transition_num","transition_demo","emploi_reglemente","emploi_cadre","code_rome_parent"\n'
        '"A1101","11","6","Conducteur","Emploi Blanc","Y","","","","A1101"\n',
        encoding="utf-8",
    )
    with pytest.raises(OfficialFileError, match="rome.csv: expected O, N or empty in"):
        read_rome_codes(path)


def test_isco_file_without_required_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ISCOGroups_en.csv"
    path.write_text("code,label\n1,Managers\n", encoding="utf-8")
    with pytest.raises(OfficialFileError, match="ISCOGroups_en.csv: expected an ESCO"):
        read_isco_groups(path)

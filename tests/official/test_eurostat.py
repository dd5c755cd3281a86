"""Eurostat parsers against the real downloads and small synthetic variants."""

from __future__ import annotations

import csv
import gzip
import json
import random
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipelines.sources.detect import OfficialFileError
from pipelines.sources.eurostat import (
    GEO_LABEL_CODES,
    OBSERVATION_SCHEMA,
    read_eurostat,
    read_eurostat_sdmx_csv,
    read_eurostat_tsv,
    read_obs_flags,
)
from pipelines.sources.nuts import read_nuts


def _raw_tsv_cells(path: Path) -> tuple[list[str], dict[tuple[str, str], tuple[float | None, str]]]:
    """Independent parse of a bulk TSV with str.split: {(key, period): (value, flag)}."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    periods = [name.strip() for name in header[1:]]
    cells = {}
    for line in lines[1:]:
        key, *values = line.split("\t")
        for period, cell in zip(periods, values, strict=True):
            number, _, flag = cell.partition(" ")
            cells[(key, period)] = (None if number == ":" else float(number), flag.strip())
    return periods, cells


def _key(dimensions: str, geo: str, names: list[str]) -> str:
    parsed = json.loads(dimensions)
    return ",".join([*(parsed[name] for name in names), geo])


@pytest.fixture(scope="module")
def lfu3rt(shared_data: Path) -> pl.DataFrame:
    return read_eurostat(shared_data / "eurostat" / "lfst_r_lfu3rt.tsv")


@pytest.mark.shared_data
class TestRealFiles:
    def test_une_rt_m_labels_variant_matches_every_source_row(self, shared_data: Path) -> None:
        path = shared_data / "eurostat" / "une_rt_m.csv"
        frame = read_eurostat(path)

        assert frame.schema == OBSERVATION_SCHEMA
        assert frame.height == 2_691
        assert frame["flags"].value_counts().sort("flags").rows() == [(None, 2_686), ("b", 5)]
        assert frame["dataset"].unique().to_list() == ["une_rt_m"]
        assert frame["freq"].unique().to_list() == ["M"]
        assert frame["source_file"].unique().to_list() == ["une_rt_m.csv"]
        assert frame["geo"].null_count() == 0, "every EU-27 label maps to a code"
        assert frame.select(pl.col("geo").n_unique()).item() == 27
        assert frame.filter(pl.col("geo_label") == "Greece")["geo"].unique().to_list() == ["EL"]
        assert frame.filter(pl.col("geo_label") == "Germany")["geo"].unique().to_list() == ["DE"]
        dimensions = json.loads(frame["dimensions"][0])
        assert sorted(dimensions) == ["age", "s_adj", "sex", "unit"]
        assert dimensions["s_adj"] == "Seasonally adjusted data, not calendar adjusted data"

        with path.open(encoding="utf-8", newline="") as handle:
            raw = list(csv.DictReader(handle))
        assert {row["CONF_STATUS"] for row in raw} == {""}
        parsed = {
            (json.loads(d)["age"], label, period): (value, flags)
            for d, label, period, value, flags in frame.select(
                "dimensions", "geo_label", "period", "value", "flags"
            ).iter_rows()
        }
        assert len(parsed) == len(raw)
        for row in raw:
            key = (row["age"], row["geo"], row["TIME_PERIOD"])
            assert parsed[key] == (float(row["OBS_VALUE"]), row["OBS_FLAG"] or None), key

    def test_jvs_sdmx_csv_2_0(self, shared_data: Path) -> None:
        path = shared_data / "eurostat" / "jvs_q_nace2_page_linear_2_0.csv"
        frame = read_eurostat(path)

        assert frame.height == 70
        assert frame["dataset"].unique().to_list() == ["jvs_q_nace2"]
        assert frame.select("geo", "geo_label", "freq").unique().rows() == [
            ("LU", "Luxembourg", "Q")
        ]
        assert json.loads(frame["dimensions"][0]) == {
            "indic_em": "JOBVAC",
            "nace_r2": "A-S",
            "s_adj": "NSA",
            "sizeclas": "TOTAL",
        }
        assert (frame["period"][0], frame["period"][-1]) == ("2008-Q1", "2025-Q2")
        assert frame.filter(pl.col("period") == "2025-Q2")["period_start"].item() == date(
            2025, 4, 1
        )
        with path.open(encoding="utf-8", newline="") as handle:
            raw = {row["TIME_PERIOD"]: row for row in csv.DictReader(handle)}
        for period, value, flags in frame.select("period", "value", "flags").iter_rows():
            assert value == float(raw[period]["OBS_VALUE"])
            assert flags == (raw[period]["OBS_FLAG"] or None)

    def test_lfst_r_lfu3rt_counts(self, lfu3rt: pl.DataFrame) -> None:
        assert lfu3rt.height == 5_604 * 15 == 84_060
        assert lfu3rt.select(pl.struct("dimensions", "geo").n_unique()).item() == 5_604
        kinds = (
            lfu3rt.select(has_value=pl.col("value").is_not_null(), flags=pl.col("flags"))
            .group_by("has_value", "flags")
            .len()
        )
        assert dict(
            zip(zip(kinds["has_value"], kinds["flags"], strict=True), kinds["len"], strict=True)
        ) == {
            (True, None): 66_110,
            (True, "u"): 6_345,
            (True, "b"): 225,
            (False, None): 6_103,
            (False, "u"): 5_277,
        }
        assert lfu3rt["freq"].unique().to_list() == ["A"]
        assert sorted(lfu3rt["period"].unique().to_list()) == [str(y) for y in range(1999, 2014)]
        assert lfu3rt["geo_label"].null_count() == lfu3rt.height

    def test_lfst_r_lfu3rt_every_cell_matches_an_independent_parse(
        self, shared_data: Path, lfu3rt: pl.DataFrame
    ) -> None:
        periods, cells = _raw_tsv_cells(shared_data / "eurostat" / "lfst_r_lfu3rt.tsv")
        assert periods[0] == "2013" and periods[-1] == "1999", "the file is in descending order"
        assert len(cells) == lfu3rt.height
        for dimensions, geo, period, value, flags in lfu3rt.select(
            "dimensions", "geo", "period", "value", "flags"
        ).iter_rows():
            raw_value, raw_flag = cells[(_key(dimensions, geo, ["age", "sex"]), period)]
            assert (value, flags) == (raw_value, raw_flag or None)

    def test_lfst_r_lfu3rt_seeded_sample_spot_check(
        self, shared_data: Path, lfu3rt: pl.DataFrame
    ) -> None:
        _, cells = _raw_tsv_cells(shared_data / "eurostat" / "lfst_r_lfu3rt.tsv")
        keyed = lfu3rt.with_columns(
            pl.concat_str(
                pl.col("dimensions").str.json_path_match("$.age"),
                pl.col("dimensions").str.json_path_match("$.sex"),
                "geo",
                separator=",",
            ).alias("key")
        )
        for key, period in random.Random(20240611).sample(sorted(cells), 500):
            row = keyed.filter((pl.col("key") == key) & (pl.col("period") == period))
            assert row.height == 1
            assert (row["value"].item(), row["flags"].item() or "") == cells[(key, period)]

    def test_observation_key_is_unique_across_files(
        self, shared_data: Path, lfu3rt: pl.DataFrame
    ) -> None:
        frames = [
            read_eurostat(shared_data / "eurostat" / name)
            for name in ("une_rt_m.csv", "jvs_q_nace2_page_linear_2_0.csv")
        ]
        observations = pl.concat([*frames, lfu3rt])
        key = pl.struct("dataset", "dimensions", "geo", "geo_label", "period")
        assert observations.select(key.is_duplicated().sum()).item() == 0

    def test_flag_code_list(self, shared_data: Path) -> None:
        flags = read_obs_flags(shared_data / "eurostat" / "codelist_obs_flag.tsv")
        assert flags.height == 42
        assert flags.columns == ["flag", "label"]
        labels = dict(flags.iter_rows())
        assert labels["b"] == "break in time series"
        assert labels["bu"] == "break in time series, low reliability"
        assert not flags["label"].str.contains("\r").any()

    def test_geo_label_table_matches_nuts_countries(self, shared_data: Path) -> None:
        countries, _ = read_nuts(shared_data / "geo" / "NUTS_RG_20M_2021_4326_LEVL_0.geojson")
        country_codes = {
            code for code in GEO_LABEL_CODES.values() if not code.startswith(("EU", "EA"))
        }
        assert country_codes == set(countries["nuts_id"])


# -- synthetic variants ------------------------------------------------------------------------

_LFU3RT_SAMPLE = (
    "age,sex,geo\\time\t2013 \t2012 \t2011 \n"
    "Y15-24,F,AT\t9.4 b\t8.7 \t: \n"
    "Y15-24,F,AT1\t12.3 \t: u\t6.7 u\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_ascending_monthly_tsv_with_freq_matches_a_seeded_sample(tmp_path: Path) -> None:
    rng = random.Random(7)
    months = [f"2024M{m:02d}" for m in range(1, 13)]
    written = {}
    lines = ["freq,unit,sex,geo\\TIME_PERIOD\t" + "\t".join(months)]
    for geo in ("DE", "FR10", "EL30", "EU27_2020"):
        for sex in ("F", "M"):
            cells = []
            for month in months:
                choice = rng.choice(["plain", "flag", "missing", "missing_flag", "combined"])
                number = round(rng.uniform(1, 30), 1)
                cell = {
                    "plain": f"{number}",  # the current format has no trailing space
                    "flag": f"{number} p",
                    "missing": ":",
                    "missing_flag": ": c",
                    "combined": f"{number} bu",
                }[choice]
                written[(sex, geo, month)] = cell
                cells.append(cell)
            lines.append(f"M,PC_ACT,{sex},{geo}\t" + "\t".join(cells))
    frame = read_eurostat(_write(tmp_path, "estat_une_rt_m.tsv", "\n".join(lines) + "\n"))

    assert frame.height == len(written) == 96
    assert frame["dataset"].unique().to_list() == ["une_rt_m"]
    assert frame["freq"].unique().to_list() == ["M"]
    assert json.loads(frame["dimensions"][0]) == {"sex": "F", "unit": "PC_ACT"}
    assert frame.filter(pl.col("period") == "2024-03")["period_start"].unique().to_list() == [
        date(2024, 3, 1)
    ]
    for sex_geo_month in random.Random(11).sample(sorted(written), 40):
        sex, geo, month = sex_geo_month
        row = frame.filter(
            (pl.col("geo") == geo)
            & (pl.col("dimensions").str.json_path_match("$.sex") == sex)
            & (pl.col("period") == f"2024-{month[-2:]}")
        )
        number, _, flag = written[sex_geo_month].partition(" ")
        assert row["value"].item() == (None if number == ":" else float(number))
        assert row["flags"].item() == (flag or None)


def test_ascending_and_descending_orders_give_the_same_frame(tmp_path: Path) -> None:
    header, *rows = _LFU3RT_SAMPLE.splitlines()
    reversed_lines = []
    for line in [header, *rows]:
        key, *cells = line.split("\t")
        reversed_lines.append("\t".join([key, *reversed(cells)]))
    descending = read_eurostat_tsv(_write(tmp_path, "lfst_r_lfu3rt.tsv", _LFU3RT_SAMPLE))
    ascending = read_eurostat_tsv(
        _write(tmp_path, "lfst_r_lfu3rt_asc.tsv", "\n".join(reversed_lines) + "\n"),
        dataset="lfst_r_lfu3rt",
    )
    assert descending.drop("source_file").equals(ascending.drop("source_file"))
    assert descending.filter((pl.col("geo") == "AT") & (pl.col("period") == "2013")).select(
        "value", "flags"
    ).row(0) == (9.4, "b")


@pytest.mark.parametrize(
    ("periods", "expected"),
    [
        (["2023Q4", "2024Q1"], ["2023-Q4", "2024-Q1"]),
        (["2023-Q4", "2024-Q1"], ["2023-Q4", "2024-Q1"]),
        (["2023-12", "2024-01"], ["2023-12", "2024-01"]),
        (["2023M12", "2024M01"], ["2023-12", "2024-01"]),
    ],
)
def test_period_syntaxes_are_normalised(
    tmp_path: Path, periods: list[str], expected: list[str]
) -> None:
    text = "sex,geo\\TIME_PERIOD\t" + "\t".join(periods) + "\nT,BE\t1.5 \t2.5 e\n"
    frame = read_eurostat_tsv(_write(tmp_path, "x.tsv", text))
    assert frame["period"].to_list() == expected
    assert frame["flags"].to_list() == [None, "e"]


def test_gzipped_tsv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "estat_lfst_r_lfu3rt.tsv.gz"
    path.write_bytes(gzip.compress(_LFU3RT_SAMPLE.encode()))
    frame = read_eurostat(path)
    assert frame.height == 6
    assert frame["dataset"].unique().to_list() == ["lfst_r_lfu3rt"]


def test_sdmx_csv_1_0_codes_variant(tmp_path: Path) -> None:
    text = (
        "DATAFLOW,LAST UPDATE,freq,s_adj,age,unit,sex,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG,"
        "CONF_STATUS\n"
        "ESTAT:UNE_RT_M(1.0),04/03/26 11:00:00,M,SA,Y_LT25,PC_ACT,T,EU27_2020,2024-01,14.9,p,F\n"
        "ESTAT:UNE_RT_M(1.0),04/03/26 11:00:00,M,SA,Y_LT25,PC_ACT,T,EL,2024-02,,,C\n"
    )
    frame = read_eurostat_sdmx_csv(_write(tmp_path, "une_rt_m_codes.csv", text))
    assert frame.select("geo", "geo_label", "period", "value", "flags").rows() == [
        ("EL", None, "2024-02", None, None),
        ("EU27_2020", None, "2024-01", 14.9, "p"),
    ]
    assert json.loads(frame["dimensions"][0]) == {
        "age": "Y_LT25",
        "s_adj": "SA",
        "sex": "T",
        "unit": "PC_ACT",
    }


def test_sdmx_csv_2_0_without_label_columns(tmp_path: Path) -> None:
    text = (
        "STRUCTURE,STRUCTURE_ID,STRUCTURE_NAME,freq,s_adj,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\n"
        "dataflow,ESTAT:JVS_Q_NACE2(1.0),Job vacancies,Q,NSA,LU,2025-Q2,3100,p\n"
    )
    frame = read_eurostat(_write(tmp_path, "jvs.csv", text))
    assert frame.select("dataset", "dimensions", "geo", "geo_label", "period", "value").row(0) == (
        "jvs_q_nace2",
        '{"s_adj":"NSA"}',
        "LU",
        None,
        "2025-Q2",
        3100.0,
    )


def test_unknown_geo_label_is_kept_with_a_null_code(tmp_path: Path) -> None:
    text = (
        "DATAFLOW,LAST UPDATE,freq,sex,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\n"
        "ESTAT:UNE_RT_M(1.0),x,Monthly,Total,"
        "Euro area \u2013 20 countries (from 2023),2024-01,6.4,\n"
        "ESTAT:UNE_RT_M(1.0),x,Monthly,Total,Atlantis,2024-01,1.0,\n"
    )
    frame = read_eurostat(_write(tmp_path, "une.csv", text))
    assert sorted(frame.select("geo", "geo_label").rows(), key=str) == sorted(
        [("EA20", "Euro area \u2013 20 countries (from 2023)"), (None, "Atlantis")], key=str
    )


@pytest.mark.parametrize(
    ("name", "text", "found"),
    [
        ("bad_cell.tsv", "sex,geo\\time\t2013 \nT,BE\t7,1 \n", "'7,1 '"),
        ("bad_period.tsv", "sex,geo\\time\t2013S1 \nT,BE\t7.1 \n", "2013S1"),
        ("bad_key.tsv", "sex,geo\\time\t2013 \nT,BE,X\t7.1 \n", "key parts"),
        ("no_geo.tsv", "sex,time\t2013 \nT\t7.1 \n", "first column"),
        ("freq_clash.tsv", "freq,geo\\TIME_PERIOD\t2024-01\nQ,BE\t7.1\n", "freq 'Q'"),
        ("bad_value.csv", "DATAFLOW,geo,TIME_PERIOD,OBS_VALUE\nESTAT:X(1.0),BE,2024,abc\n", "abc"),
    ],
)
def test_malformed_files_name_the_file_and_the_problem(
    tmp_path: Path, name: str, text: str, found: str
) -> None:
    path = _write(tmp_path, name, text)
    reader = read_eurostat_tsv if name.endswith(".tsv") else read_eurostat_sdmx_csv
    with pytest.raises(OfficialFileError) as caught:
        reader(path)
    assert name in str(caught.value)
    assert found in str(caught.value)

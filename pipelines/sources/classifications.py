"""Occupation and activity classifications: ISCO-08 and ESCO, ROME 4.0, NACE Rev. 2, NAF rév. 2.

Codes stay text with their leading zeros. Empty source cells become null, never ''.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from pipelines.sources.detect import OfficialFileError

NACE_LEVEL_COUNTS = {1: 21, 2: 88, 3: 272, 4: 615}


def _read_csv(path: Path, expected: str, required: list[str], **options) -> pl.DataFrame:
    # Polars' reader keeps quoted newlines inside one field, which the ESCO lists rely on.
    try:
        frame = pl.read_csv(path, infer_schema=False, **options)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise OfficialFileError(path, expected, str(error).splitlines()[0]) from error
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise OfficialFileError(path, expected, f"no column {missing} among {frame.columns}")
    return frame


def _text(name: str) -> pl.Expr:
    """Trimmed text, null when empty.

    The French ESCO files end records with CRLF but break lines inside quotes with a bare LF,
    so a '\\r' could survive in a field whatever the reader; it is removed here.
    """
    cleaned = pl.col(name).str.replace_all("\r", "").str.strip_chars()
    return pl.when(cleaned == "").then(None).otherwise(cleaned)


def _yes_no(name: str) -> pl.Expr:
    """ROME's O/N flags as booleans; an empty cell stays null (unknown), never False."""
    return (
        _text(name)
        .replace_strict({"O": True, "N": False}, default=None, return_dtype=pl.Boolean)
        .alias(name)
    )


def _check_yes_no(frame: pl.DataFrame, names: list[str], path: Path) -> None:
    for name in names:
        values = set(frame[name].drop_nulls().str.strip_chars().unique().to_list()) - {"", "O", "N"}
        if values:
            raise OfficialFileError(path, f"O, N or empty in {name}", f"{sorted(values)[:5]}")


def _fail_on(frame: pl.DataFrame, path: Path, expected: str, key: str) -> None:
    if frame.height:
        raise OfficialFileError(path, expected, f"{frame.height} rows, first {frame[key][0]!r}")


# -- ESCO / ISCO-08 ----------------------------------------------------------------------------


def read_isco_groups(en_path: str | Path, fr_path: str | Path | None = None) -> pl.DataFrame:
    """ISCO-08 groups from ESCO ISCOGroups_en.csv, with French labels when fr_path is given."""
    en_path = Path(en_path)
    expected = "an ESCO ISCOGroups export (conceptType,conceptUri,code,preferredLabel,…)"
    required = ["conceptType", "conceptUri", "code", "preferredLabel", "description"]
    english = _read_csv(en_path, expected, required)
    frame = english.select(
        _text("code").alias("isco_code"),
        _text("preferredLabel").alias("label_en"),
        _text("description").alias("description_en"),
        _text("conceptUri").alias("concept_uri"),
        _text("conceptType").alias("concept_type"),
    )
    _fail_on(
        frame.filter(
            (pl.col("concept_type") != "ISCOGroup")
            | ~pl.col("isco_code").str.contains(r"^\d{1,4}$")
        ),
        en_path,
        "ISCOGroup rows with a 1-4 digit code",
        "isco_code",
    )
    frame = frame.with_columns(
        pl.col("isco_code").str.len_chars().cast(pl.Int8).alias("level"),
        pl.when(pl.col("isco_code").str.len_chars() > 1)
        .then(pl.col("isco_code").str.head(-1))
        .alias("parent_code"),
    )
    french = _french_labels(fr_path, "code", expected, required[:4])
    frame = frame.join(french, on="concept_uri", how="left", validate="1:1")
    _fail_on(
        frame.filter(pl.col("fr_code").is_not_null() & (pl.col("fr_code") != pl.col("isco_code"))),
        Path(fr_path) if fr_path else en_path,
        "the same ISCO code in both languages",
        "isco_code",
    )
    _check_unique_and_parents(frame, "isco_code", en_path)
    return frame.select(
        "isco_code",
        "level",
        "parent_code",
        "label_en",
        "label_fr",
        "description_en",
        "concept_uri",
    ).sort("isco_code")


def _french_labels(
    fr_path: str | Path | None, code_column: str, expected: str, required: list[str]
) -> pl.DataFrame:
    if fr_path is None:
        return pl.DataFrame(
            schema={"concept_uri": pl.String, "fr_code": pl.String, "label_fr": pl.String}
        )
    fr_path = Path(fr_path)
    french = _read_csv(fr_path, expected.replace("export", "French export"), required).select(
        _text("conceptUri").alias("concept_uri"),
        _text(code_column).alias("fr_code"),
        _text("preferredLabel").alias("label_fr"),
    )
    _fail_on(
        french.filter(pl.col("concept_uri").is_duplicated()),
        fr_path,
        "unique conceptUri",
        "concept_uri",
    )
    return french


def _check_unique_and_parents(frame: pl.DataFrame, key: str, path: Path) -> None:
    _fail_on(frame.filter(pl.col(key).is_duplicated()), path, f"unique {key}", key)
    orphans = frame.filter(
        pl.col("parent_code").is_not_null() & ~pl.col("parent_code").is_in(frame[key].implode())
    )
    _fail_on(orphans, path, "every parent code present in the file", key)


def read_esco_occupations(en_path: str | Path, fr_path: str | Path | None = None) -> pl.DataFrame:
    """ESCO occupations from occupations_en.csv, with French labels when fr_path is given."""
    en_path = Path(en_path)
    expected = "an ESCO occupations export (conceptType,conceptUri,iscoGroup,preferredLabel,…)"
    required = [
        "conceptType",
        "conceptUri",
        "iscoGroup",
        "preferredLabel",
        "status",
        "modifiedDate",
    ]
    english = _read_csv(en_path, expected, required)
    frame = english.select(
        _text("conceptUri").alias("concept_uri"),
        _text("iscoGroup").alias("isco_code"),
        _text("preferredLabel").alias("label_en"),
        _text("status").alias("status"),
        # The export stamps modifiedDate as an ISO instant; only its date matters downstream.
        _text("modifiedDate")
        .str.slice(0, 10)
        .str.to_date("%Y-%m-%d", strict=False)
        .alias("modified_on"),
        _text("modifiedDate").alias("modified_raw"),
    )
    _fail_on(
        frame.filter(~pl.col("isco_code").str.contains(r"^\d{4}$")),
        en_path,
        "a 4-digit ISCO-08 unit group in iscoGroup",
        "concept_uri",
    )
    _fail_on(
        frame.filter(pl.col("modified_on").is_null() & pl.col("modified_raw").is_not_null()),
        en_path,
        "ISO dates in modifiedDate",
        "modified_raw",
    )
    _fail_on(
        frame.filter(pl.col("concept_uri").is_duplicated()),
        en_path,
        "unique conceptUri",
        "concept_uri",
    )
    french = _french_labels(fr_path, "iscoGroup", expected, required[:4])
    # The French export is an older ESCO release that files 6 occupations under another ISCO
    # group; the English release is the reference, so French only contributes the label.
    frame = frame.join(french, on="concept_uri", how="left", validate="1:1")
    return frame.select(
        "concept_uri", "isco_code", "label_en", "label_fr", "status", "modified_on"
    ).sort("isco_code", "concept_uri")


# -- ROME 4.0 ----------------------------------------------------------------------------------

_ROME_FLAGS = {
    "transition_num": "is_transition_num",
    "transition_demo": "is_transition_demo",
    "emploi_reglemente": "is_regulated",
    "emploi_cadre": "is_cadre",
}
_ROME_CODE = r"^[A-N]\d{4}$"


def read_rome_codes(path: str | Path) -> pl.DataFrame:
    """ROME 4.0 fiches (unix_referentiel_code_rome_*.csv): one row per ROME code."""
    path = Path(path)
    expected = "the ROME code list (code_rome,code_fiche_metier,code_ogr,libelle_rome,…)"
    required = [
        "code_rome",
        "code_fiche_metier",
        "code_ogr",
        "libelle_rome",
        "transition_eco",
        *_ROME_FLAGS,
        "code_rome_parent",
    ]
    raw = _read_csv(path, expected, required)
    _check_yes_no(raw, list(_ROME_FLAGS), path)
    frame = raw.select(
        _text("code_rome").alias("rome_code"),
        _text("libelle_rome").alias("label"),
        _text("code_ogr").alias("code_ogr"),
        _text("code_fiche_metier").alias("fiche_metier_code"),
        _text("code_rome_parent").alias("parent_rome_code"),
        _text("transition_eco").alias("transition_eco"),
        *(_yes_no(source).alias(name) for source, name in _ROME_FLAGS.items()),
    )
    _fail_on(
        frame.filter(~pl.col("rome_code").str.contains(_ROME_CODE)),
        path,
        "ROME codes like A1101",
        "rome_code",
    )
    _fail_on(
        frame.filter(pl.col("rome_code").is_duplicated()), path, "unique code_rome", "rome_code"
    )
    orphans = frame.filter(
        pl.col("parent_rome_code").is_not_null()
        & ~pl.col("parent_rome_code").is_in(frame["rome_code"].implode())
    )
    _fail_on(orphans, path, "every code_rome_parent present as a code_rome", "rome_code")
    return frame.sort("rome_code")


def read_rome_appellations(path: str | Path) -> pl.DataFrame:
    """ROME 4.0 job titles (unix_referentiel_appellation_*.csv): one row per code_ogr."""
    path = Path(path)
    expected = "the ROME appellations (code_ogr,libelle_appellation_long,…,code_rome,…)"
    required = [
        "code_ogr",
        "libelle_appellation_long",
        "libelle_appellation_court",
        "code_rome",
        "transition_eco",
        *_ROME_FLAGS,
        "classification",
        "origine",
        "code_rome_parent",
        "peu_usite",
    ]
    raw = _read_csv(path, expected, required)
    _check_yes_no(raw, [*_ROME_FLAGS, "peu_usite"], path)
    frame = raw.select(
        _text("code_ogr").alias("code_ogr"),
        _text("libelle_appellation_long").alias("label_long"),
        _text("libelle_appellation_court").alias("label_short"),
        _text("code_rome").alias("rome_code"),
        _text("code_rome_parent").alias("parent_rome_code"),
        # PRINCIPALE = the fiche's main title, SYNONYME = another title for the same job.
        _text("classification").alias("classification"),
        _text("transition_eco").alias("transition_eco"),
        *(_yes_no(source).alias(name) for source, name in _ROME_FLAGS.items()),
        _yes_no("peu_usite").alias("is_rarely_used"),
        _text("origine").alias("origin"),
    )
    _fail_on(
        frame.filter(~pl.col("rome_code").str.contains(_ROME_CODE)),
        path,
        "a ROME code like A1101 in code_rome",
        "code_ogr",
    )
    _fail_on(frame.filter(pl.col("code_ogr").is_duplicated()), path, "unique code_ogr", "code_ogr")
    return frame.sort("rome_code", "code_ogr")


# -- NACE Rev. 2 and NAF rév. 2 -----------------------------------------------------------------

_NACE_NUMBER = re.compile(r"^(\d{1,2})(?:\.(\d{1,2}))?$")


def repair_nace_code(raw: str | None, level: int) -> str | None:
    """Rebuild a NACE code a spreadsheet turned into a number: ('1.1', 4) -> '01.10'.

    Level 1 is the section letter; 2 is 'dd', 3 'dd.d', 4 'dd.dd'. Returns None when `raw` cannot
    be such a code, and gives back intact codes unchanged.
    """
    text = (raw or "").strip()
    if level == 1:
        return text if re.fullmatch(r"[A-U]", text) else None
    match = _NACE_NUMBER.fullmatch(text)
    if not match:
        return None
    division, decimals = match.group(1).zfill(2), match.group(2) or ""
    if level == 2:
        return division if not decimals.strip("0") else None
    if level == 3:
        # A number loses the trailing zero, so group 'dd.0' would arrive as plain 'dd'.
        decimals = decimals or "0"
        return f"{division}.{decimals}" if len(decimals) == 1 else None
    if level == 4:
        return f"{division}.{decimals.ljust(2, '0')}"
    return None


def repair_isic_code(raw: str | None, level: int) -> str | None:
    """Rebuild the ISIC Rev. 4 reference: a section letter, or 2/3/4 digits by NACE level."""
    text = (raw or "").strip()
    if not text:
        return None
    if level == 1:
        return text if re.fullmatch(r"[A-U]", text) else None
    width = level  # ISIC divisions, groups and classes have 2, 3 and 4 digits.
    return text.zfill(width) if re.fullmatch(r"\d+", text) and len(text) <= width else None


def read_nace(path: str | Path) -> pl.DataFrame:
    """NACE Rev. 2 from the Eurostat export, with codes repaired from the Level column."""
    path = Path(path)
    expected = "the Eurostat NACE Rev. 2 export (Order,Level,Code,Parent,Description,…)"
    raw = _read_csv(
        path,
        expected,
        ["Order", "Level", "Code", "Parent", "Description", "Reference to ISIC Rev. 4"],
    )
    rows = raw.select(
        pl.col("Order").str.strip_chars().cast(pl.Int64, strict=False).alias("sort_order"),
        pl.col("Level").str.strip_chars().cast(pl.Int8, strict=False).alias("level"),
        "Code",
        "Parent",
        "Reference to ISIC Rev. 4",
        _text("Description").alias("label_en"),
    )
    _fail_on(
        rows.filter(~pl.col("level").is_between(1, 4) | pl.col("level").is_null()),
        path,
        "Level 1 to 4",
        "Code",
    )

    # 996 rows: a plain loop states the repair rule more clearly than an expression would.
    repaired = []
    for level, code, parent, isic in rows.select(
        "level", "Code", "Parent", "Reference to ISIC Rev. 4"
    ).iter_rows():
        nace_code = repair_nace_code(code, level)
        parent_code = repair_nace_code(parent, level - 1) if level > 1 else None
        if nace_code is None or (level > 1 and parent_code is None):
            raise OfficialFileError(
                path,
                f"a level-{level} NACE code and its parent",
                f"Code {code!r} Parent {parent!r}",
            )
        repaired.append((nace_code, parent_code, repair_isic_code(isic, level), isic))
    fixed = pl.DataFrame(
        repaired, schema=["nace_code", "parent_code", "isic_code", "isic_raw"], orient="row"
    )
    frame = pl.concat([rows, fixed], how="horizontal")
    _fail_on(
        frame.filter(pl.col("isic_code").is_null() & pl.col("isic_raw").is_not_null()),
        path,
        "an ISIC Rev. 4 reference that fits the level",
        "nace_code",
    )
    _check_unique_and_parents(frame, "nace_code", path)
    # Below divisions the parent code must be the code's own prefix (01.11 under 01.1 under 01).
    _fail_on(
        frame.filter(
            (pl.col("level") > 2) & ~pl.col("nace_code").str.starts_with(pl.col("parent_code"))
        ),
        path,
        "each group and class under the group or division its code starts with",
        "nace_code",
    )
    parent_level = frame.join(
        frame.select(
            pl.col("nace_code").alias("parent_code"), pl.col("level").alias("parent_level")
        ),
        on="parent_code",
        how="left",
    ).filter(pl.col("parent_code").is_not_null() & (pl.col("parent_level") != pl.col("level") - 1))
    _fail_on(parent_level, path, "each parent one level up", "nace_code")

    sections = frame.filter(pl.col("level") == 2).select(
        pl.col("nace_code").str.slice(0, 2).alias("division"),
        pl.col("parent_code").alias("section"),
    )
    frame = (
        frame.with_columns(
            pl.when(pl.col("level") == 1)
            .then(None)
            .otherwise(pl.col("nace_code").str.slice(0, 2))
            .alias("division")
        )
        .join(sections, on="division", how="left")
        .with_columns(
            pl.coalesce(
                pl.when(pl.col("level") == 1).then(pl.col("nace_code")), pl.col("section")
            ).alias("section")
        )
    )
    _fail_on(
        frame.filter(pl.col("section").is_null()), path, "every code under a section", "nace_code"
    )
    return frame.select(
        "nace_code", "level", "parent_code", "section", "label_en", "isic_code", "sort_order"
    ).sort("sort_order")


def read_naf(path: str | Path) -> pl.DataFrame:
    """NAF rév. 2 sub-classes from INSEE's list (Code1|Code2|Libellé), with their NACE class."""
    path = Path(path)
    expected = "the INSEE NAF rév. 2 list: Code1|Code2|Libellé, pipe-separated"
    raw = _read_csv(path, expected, ["Code1", "Code2"], separator="|", quote_char=None)
    if raw.width != 3:
        raise OfficialFileError(path, expected, f"{raw.width} columns")
    label = raw.columns[2]
    frame = raw.select(
        _text("Code1").alias("naf_code"),
        _text("Code2").alias("naf_code_compact"),
        # A NAF sub-class is its NACE class plus one letter: 01.11Z -> 01.11.
        _text("Code1").str.slice(0, 5).alias("nace_code"),
        _text(label).alias("label_fr"),
    )
    _fail_on(
        frame.filter(
            ~pl.col("naf_code").str.contains(r"^\d{2}\.\d{2}[A-Z]$")
            | (pl.col("naf_code").str.replace(".", "", literal=True) != pl.col("naf_code_compact"))
        ),
        path,
        "Code1 like 01.11Z and Code2 the same without the dot",
        "naf_code",
    )
    _fail_on(frame.filter(pl.col("naf_code").is_duplicated()), path, "unique Code1", "naf_code")
    return frame.sort("naf_code")


def unmatched_naf_classes(naf: pl.DataFrame, nace: pl.DataFrame) -> pl.DataFrame:
    """NAF sub-classes whose NACE class is not a level-4 code of `nace` (empty when all match)."""
    classes = nace.filter(pl.col("level") == 4).select("nace_code")
    return naf.join(classes, on="nace_code", how="anti")

"""Run a landed table's suite on a typed frame and return the problems, by line."""

from __future__ import annotations

import importlib
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

import great_expectations as gx
import great_expectations.execution_engine.pandas_execution_engine as gx_pandas_engine
import great_expectations.expectations.expectation as gx_expectation
import pandas as pd
import polars as pl

from expectations._base import PANDAS_TYPES
from pipelines.contracts import CONTRACTS
from pipelines.parse import FILE, LINE, Problem

logging.getLogger("great_expectations").setLevel(logging.WARNING)
# GX fingerprints every in-memory batch under 1 GB by hashing all its values (about 40% of a
# run on a million contacts). The fingerprint only names the batch; ingestion identifies
# batches by the files' content hashes, so it is switched off.
gx_pandas_engine.HASH_THRESHOLD = 0
# Each validation turns every expectation's class name into its snake_case type some thirty
# times, by regular expression: a fifth of GX's fixed cost per run. The function is pure, so
# its results are kept.
if callable(getattr(gx_expectation, "camel_to_snake", None)):  # GX internals: only if there
    gx_expectation.camel_to_snake = cache(gx_expectation.camel_to_snake)


def _column_only(get_compute_domain):
    """GX's ``get_compute_domain``, narrowed to its one column for a column's expectation.

    Before each column expectation GX drops the rows where that column is missing, from the
    whole frame: every other column is copied too, for nothing (some 0.15 s per million
    contacts). What a column's expectation computes reads that column only.
    """
    def narrowed(self, domain_kwargs, domain_type, accessor_keys=None):
        data, compute, accessor = get_compute_domain(self, domain_kwargs, domain_type,
                                                     accessor_keys)
        column = accessor.get("column")
        if str(getattr(domain_type, "value", domain_type)) == "column" and column in data:
            data = data[[column]]
        return data, compute, accessor
    return narrowed


_Engine = getattr(gx_pandas_engine, "PandasExecutionEngine", None)
if _Engine is not None and callable(getattr(_Engine, "get_compute_domain", None)):  # internals
    _Engine.get_compute_domain = _column_only(_Engine.get_compute_domain)


class _ConfigurationsPerRun:
    """Build each expectation's configuration once per validation run, not once per use.

    GX derives ``Expectation.configuration`` afresh (a pydantic copy) each time it reads it,
    thousands of times a run: most of its fixed cost per run. Inside ``kept()`` the first
    configuration of each expectation is reused until the run ends; outside, GX behaves as
    shipped. Expectations do not change during a run.
    """

    def __init__(self):
        self._build = gx_expectation.Expectation.configuration.fget
        self._local = threading.local()

    def get(self, expectation):
        table = getattr(self._local, "table", None)
        if table is None:
            return self._build(expectation)
        hit = table.get(id(expectation))
        if hit is None:  # the expectation is held too, so that its id is not reused
            hit = table[id(expectation)] = (expectation, self._build(expectation))
        return hit[1]

    @contextmanager
    def kept(self):
        self._local.table = {}
        try:
            yield
        finally:
            self._local.table = None


class _AsShipped:
    """What ``_CONFIGURATIONS`` is when GX no longer has the property it replaces."""

    @contextmanager
    def kept(self):
        yield


if isinstance(getattr(gx_expectation.Expectation, "configuration", None), property):
    _CONFIGURATIONS = _ConfigurationsPerRun()
    gx_expectation.Expectation.configuration = property(_CONFIGURATIONS.get)
else:  # a GX release that changed its internals: slower, still correct
    _CONFIGURATIONS = _AsShipped()


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None


@dataclass(frozen=True)
class Validation:
    suite: str
    outcomes: tuple[ExpectationOutcome, ...]
    problems: tuple[Problem, ...]
    # line -> reasons, for the checks a single row can fail (its row goes to quarantine)
    row_reasons: dict[int, list[str]] = field(default_factory=dict)
    # checks failed by the file as a whole (a wrong column type): the file is set aside
    file_problems: tuple[Problem, ...] = ()

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)


@cache
def _batch_definition():
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    source = context.data_sources.add_pandas("landed")
    return source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("whole")


@cache
def suite_for(source: str):
    _batch_definition()  # suites need an active data context
    return importlib.import_module(f"expectations.{source}").build_suite()


def start() -> None:
    """Get GX ready now rather than on first use: the data context, every suite, and one run
    of each on two empty rows (GX sets up much of its machinery on a suite's first run).
    Like the import, it is done once per process, whatever the data."""
    from pipelines.parse import POLARS_TYPES

    for source, contract in CONTRACTS.items():
        suite_for(source)
        validate_files(pl.DataFrame(
            {LINE: [1, 2], FILE: [0, 0]},
            schema={LINE: pl.Int64, FILE: pl.Int32}).with_columns(
            pl.lit(None, POLARS_TYPES[c.dtype]).alias(c.name) for c in contract.columns),
            source)


def validate(frame: pl.DataFrame, source: str) -> Validation:
    """Validate one file's frame, already cast by ``pipelines.parse.coerce``."""
    return validate_files(frame.with_columns(pl.lit(0).alias(FILE)), source)[0]


def validate_files(frame: pl.DataFrame, source: str) -> dict[int, Validation]:
    """Validate the frames of several files of one source in a single GX run.

    ``frame`` holds the files stacked, with the file's number in ``_file`` and its line in
    ``_line``. GX costs most per run, not per row, so one run serves the whole batch; the
    results are then split back per file, as if each had been validated on its own (but a
    key repeated across two files of the batch fails in both).
    """
    contract = CONTRACTS[source]
    suite = suite_for(source)
    pdf = _to_pandas(frame, contract)  # indexed 0..n-1: the row's position in ``frame``
    files = frame[FILE].to_numpy()
    lines = frame[LINE].to_numpy()
    file_numbers = sorted(set(files.tolist()))
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": pdf})
    # Pass or fail first; only a failing batch is run again to name its rows.
    with _CONFIGURATIONS.kept():
        result = batch.validate(suite, result_format={"result_format": "BOOLEAN_ONLY"})
    if not result.success:
        with _CONFIGURATIONS.kept():
            result = batch.validate(suite, result_format={"result_format": "COMPLETE",
                                                          "partial_unexpected_count": 0})
    results = result.results
    outcomes = {f: [] for f in file_numbers}
    problems = {f: [] for f in file_numbers}
    row_reasons: dict[int, dict[int, list[str]]] = {f: {} for f in file_numbers}
    file_problems = {f: [] for f in file_numbers}
    for r in results:
        cfg = r.expectation_config
        column = cfg.kwargs.get("column") or cfg.kwargs.get("column_A")
        if "column_list" in cfg.kwargs:
            column = ",".join(cfg.kwargs["column_list"])
        raised = r.exception_info.get("raised_exception") if r.exception_info else False
        rows = [int(i) for i in (r.result.get("unexpected_index_list") or [])]
        by_file: dict[int, list[int]] = {}
        for i in rows:
            by_file.setdefault(int(files[i]), []).append(i)
        for f in file_numbers:
            positions = by_file.get(f, [])
            bad = sorted(int(lines[i]) for i in positions)
            # A check that failed without naming rows (say, a wrong type) fails every file.
            success = bool(r.success) or (bool(rows) and not bad)
            outcomes[f].append(ExpectationOutcome(cfg.type, column, success, len(bad)))
            if success:
                continue
            values = pdf[column].iloc[positions].tolist() if column in pdf else []
            detail = _describe(cfg.type, cfg.kwargs, r.result | {"unexpected_list": values})
            if raised:
                detail += f" (check could not run: {r.exception_info.get('exception_message')})"
            problem = Problem(check=cfg.type, column=column, n_rows=len(bad),
                              lines=tuple(bad[:10]), detail=detail)
            problems[f].append(problem)
            if cfg.type in UNIQUENESS:
                continue  # duplicates are kept once and reported, not quarantined
            if cfg.type not in ROW_LEVEL or raised or not positions:
                file_problems[f].append(problem)
                continue
            for i in positions:
                value = _shown(pdf[column].iloc[i]) if column in pdf else None
                row_reasons[f].setdefault(int(lines[i]), []).append(
                    _row_reason(cfg.type, cfg.kwargs, column, value))
    return {f: Validation(suite.name, tuple(outcomes[f]), tuple(problems[f]), row_reasons[f],
                          tuple(file_problems[f]))
            for f in file_numbers}


UNIQUENESS = {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}
ROW_LEVEL = {
    "expect_column_values_to_not_be_null", "expect_column_values_to_be_in_set",
    "expect_column_values_to_be_between", "expect_column_values_to_match_regex",
    "expect_column_pair_values_a_to_be_greater_than_b",
}


def _shown(value):
    """A value as the file had it: numbers travel as float64, so 5.0 was 5."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _row_reason(kind: str, kw: dict, column: str, value) -> str:
    """One row's reason, as a person reads it in the quarantine listing."""
    match kind:
        case "expect_column_values_to_not_be_null":
            return f"{column}: required value is missing"
        case "expect_column_values_to_be_in_set":
            return f"{column}: {value!s} is not an allowed code"
        case "expect_column_values_to_be_between":
            bounds = [f"≥ {kw['min_value']:g}" if kw.get("min_value") is not None else "",
                      f"≤ {kw['max_value']:g}" if kw.get("max_value") is not None else ""]
            return f"{column}: {value!s} is out of range ({' '.join(b for b in bounds if b)})"
        case "expect_column_values_to_match_regex":
            return f"{column}: {value!s} does not match {kw['regex']}"
        case "expect_column_pair_values_a_to_be_greater_than_b":
            return f"{kw['column_A']} is before {kw['column_B']}" if "_on" in kw["column_A"] \
                else f"{kw['column_A']} is less than {kw['column_B']}"
    return f"{column}: {kind}"


def _to_pandas(frame: pl.DataFrame, contract) -> pd.DataFrame:
    exprs = [
        pl.col(c.name).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        if c.dtype == "timestamp" else pl.col(c.name)
        for c in contract.columns
    ]
    booleans = [c.name for c in contract.columns if c.dtype == "bool"]
    pdf = frame.select(exprs).to_pandas()
    pdf.index = range(len(pdf))
    pdf = pdf.astype({c.name: PANDAS_TYPES[c.dtype] for c in contract.columns
                      if c.dtype != "bool"})
    # A boolean column with gaps comes as Python objects; built from its values and its mask
    # instead, it costs next to nothing.
    for name in booleans:
        pdf[name] = pd.arrays.BooleanArray(frame[name].fill_null(False).to_numpy(),
                                           frame[name].is_null().to_numpy())
    return pdf


def _describe(kind: str, kw: dict, result: dict) -> str:
    match kind:
        case "expect_column_to_exist":
            return "column is missing"
        case "expect_column_values_to_not_be_null":
            return "required value is missing"
        case "expect_column_values_to_be_in_set":
            bad = sorted({str(v) for v in result.get("unexpected_list") or []})[:5]
            allowed = kw["value_set"]
            # A classification (ISCO-08's 619 codes) is named by its size, not listed.
            listed = ", ".join(allowed) if len(allowed) <= 30 else \
                f"one of {len(allowed)} codes (docs/data-contracts.md)"
            return f"value not allowed ({', '.join(bad)}); allowed: {listed}"
        case "expect_column_values_to_be_between":
            return f"value outside [{kw.get('min_value')}, {kw.get('max_value')}]"
        case "expect_column_values_to_be_unique" | "expect_compound_columns_to_be_unique":
            return "duplicate key"
        case "expect_column_values_to_match_regex":
            return f"value does not match {kw['regex']}"
        case "expect_column_pair_values_a_to_be_greater_than_b":
            return f"{kw['column_A']} is less than {kw['column_B']}"
    return kind

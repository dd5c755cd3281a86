"""What every suite checks, derived from the data contract."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from pipelines.contracts import Contract

# How each contract type is handed to GX (pandas dtype), and the type name the suite expects.
# GX's type check cannot see through pyarrow-backed dtypes, so frames use pandas' own dtypes;
# timestamps go as naive UTC, the only datetime dtype the check matches exactly. Numbers go
# as float64 (NaN when missing): GX's range check is vectorised only on numpy dtypes, and runs
# row by row in Python on the nullable Int64 (about a second per million values).
PANDAS_TYPES = {
    "text": ("string", "StringDtype"),
    "int": ("float64", "float64"),
    "float": ("float64", "float64"),
    "bool": ("boolean", "BooleanDtype"),
    "date": ("datetime64[ms]", "datetime64[ms]"),
    "timestamp": ("datetime64[us]", "datetime64[us]"),
}


def contract_suite(contract: Contract) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=f"landed_{contract.source}")
    for col in contract.columns:
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInTypeList(column=col.name, type_list=[PANDAS_TYPES[col.dtype][1]]))
        if col.required:
            suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=col.name))
        if col.allowed:
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeInSet(column=col.name, value_set=list(col.allowed)))
        if col.min is not None or col.max is not None:
            suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(
                column=col.name, min_value=col.min, max_value=col.max))
        if col.pattern:
            suite.add_expectation(
                gxe.ExpectColumnValuesToMatchRegex(column=col.name, regex=col.pattern))
    if contract.unique_key:
        suite.add_expectation(gxe.ExpectColumnValuesToBeUnique(column=contract.unique_key))
    return suite

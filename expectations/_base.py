"""What every suite checks, derived from the data contract."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from pipelines.contracts import Contract

# How each contract type is handed to GX, as a pandas dtype. Numbers go as float64 (NaN when
# missing): GX's range check is vectorised only on numpy dtypes, and runs row by row in
# Python on the nullable Int64 (about a second per million values). Timestamps go as naive
# UTC.
PANDAS_TYPES = {
    "text": "string",
    "int": "float64",
    "float": "float64",
    "bool": "boolean",
    "date": "datetime64[ms]",
    "timestamp": "datetime64[us]",
}


def contract_suite(contract: Contract) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=f"landed_{contract.source}")
    # No type expectations: every value was parsed to its column's type before (one that does
    # not parse is quarantined with its reason), and the frame GX sees has the dtypes set
    # above by construction. Checking them again cost a quarter of GX's time and could not fail.
    for col in contract.columns:
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

"""Suite for job-seeker registration spells."""

import great_expectations.expectations as gxe

from expectations._base import contract_suite
from pipelines.contracts import JOBSEEKERS


def build_suite():
    suite = contract_suite(JOBSEEKERS)
    # A person has one row per spell, so the key is the person and the spell's start.
    suite.add_expectation(gxe.ExpectCompoundColumnsToBeUnique(
        column_list=["person_id", "registered_on"]))
    suite.add_expectation(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="exited_on", column_B="registered_on", or_equal=True,
        ignore_row_if="either_value_is_missing"))
    return suite

"""Suite for vacancies notified to the PES."""

import great_expectations.expectations as gxe

from expectations._base import contract_suite
from pipelines.contracts import VACANCIES


def build_suite():
    suite = contract_suite(VACANCIES)
    suite.add_expectation(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="closed_on", column_B="posted_on", or_equal=True, ignore_row_if="either_value_is_missing"))
    suite.add_expectation(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="n_candidates_proposed", column_B="n_hires_from_proposed", or_equal=True,
        ignore_row_if="either_value_is_missing"))
    return suite

"""Suite for the interaction logs."""

from expectations._base import contract_suite
from pipelines.contracts import INTERACTIONS


def build_suite():
    return contract_suite(INTERACTIONS)

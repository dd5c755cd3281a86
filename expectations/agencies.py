"""Suite for the agencies reference table."""

from expectations._base import contract_suite
from pipelines.contracts import AGENCIES


def build_suite():
    return contract_suite(AGENCIES)

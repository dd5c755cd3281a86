"""Errors a user can act on are printed as one clear line, not a traceback."""

from __future__ import annotations

import duckdb

from observatory.settings import MissingKeyError
from pipelines.pseudonymise import OutdatedPseudonymsError


def user_facing(exc: BaseException) -> str | None:
    if isinstance(exc, MissingKeyError | OutdatedPseudonymsError):
        return str(exc)
    if isinstance(exc, duckdb.Error):
        return f"SQL error: {exc}"
    return None

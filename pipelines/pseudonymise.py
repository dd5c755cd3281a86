"""Keyed HMAC-SHA256 pseudonyms: raw identifiers never leave this module."""

from __future__ import annotations

import base64
import hashlib
import threading

import polars as pl

from pipelines.contracts import Contract

SEPARATOR = "\x1f"


# A pseudonym is the HMAC's first 72 bits in 12 base64url characters. DuckDB keeps a string
# of up to 12 bytes inside its row rather than on a heap, so loading, joining and grouping by
# pseudonym cost far less than with the 64-character hex digest. The chance that two of 30
# million identifiers of one role share a pseudonym is about (3e7)^2 / 2^73, 1 in 10 million.
LENGTH = 12


def _macs(key: bytes, messages: list[str]) -> list[str]:
    """The pseudonym of each message: HMAC-SHA256's first 72 bits, in base64url.

    HMAC is H((K ^ opad) || H((K ^ ipad) || m)) (RFC 2104). ``hmac.digest`` derives both
    padded keys again for every message; here the two hash states that have absorbed them are
    made once and copied, three times faster (the tests compare with ``hmac``).
    """
    if len(key) > hashlib.sha256().block_size:
        key = hashlib.sha256(key).digest()
    key = key.ljust(hashlib.sha256().block_size, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    out = []
    for message in messages:
        h = inner.copy()
        h.update(message.encode())
        o = outer.copy()
        o.update(h.digest())
        out.append(base64.urlsafe_b64encode(o.digest()[:9]).decode())
    return out


class OutdatedPseudonymsError(RuntimeError):
    """The warehouse holds pseudonyms of another form than the ones made now."""


def check_form(lengths: dict[str, int]) -> None:
    """Refuse to add new pseudonyms beside old ones of another length (by table.column)."""
    stale = {where: n for where, n in lengths.items() if n != LENGTH}
    if stale:
        found = ", ".join(f"{where} ({n} characters)" for where, n in sorted(stale.items()))
        raise OutdatedPseudonymsError(
            f"the warehouse holds pseudonyms made by an earlier version: {found}; pseudonyms "
            f"are now {LENGTH} characters, so the same person would not link across the two. "
            "Rebuild it from the landed files: move the build database (warehouse/build.duckdb "
            "under the home) aside and run `observatory refresh` again; re-import any official "
            "statistics imported from outside landing/official/ (docs/privacy.md).")


# Which identity space each pseudonymised column belongs to. The role is part of the HMAC's
# message (role, 0x1F, raw id), so the same raw string used as a person id and as an employer
# id gets two unrelated pseudonyms. A job-seeker's ``party_id`` in the interaction logs and
# their ``person_id`` in the register share the role ``person``.
ROLES = {"person_id": "person", "employer_id": "employer", "counsellor_id": "counsellor"}


class _Known:
    """The pseudonyms computed so far in this process, per key and role.

    A person's contacts span every monthly file of a run: each identifier is hashed once per
    process, not once per file, and looked up by a join rather than value by value. The table
    lives only in memory, like the key.
    """

    LIMIT = 5_000_000  # start afresh beyond this many identifiers (about 1 GB)

    def __init__(self):
        self._lock = threading.Lock()
        self._tables: dict[tuple[bytes, str], pl.DataFrame] = {}

    def lookup(self, key: bytes, role: str, raw: pl.Series) -> tuple[pl.Series, pl.Series]:
        """The distinct non-null values of ``raw`` and their pseudonyms, in that order."""
        values = pl.DataFrame({"raw": raw.drop_nulls().unique()}, schema={"raw": pl.String})
        prefix = role + SEPARATOR
        with self._lock:
            table = self._tables.get((key, role))
            if table is None or table.height > self.LIMIT:
                table = pl.DataFrame(schema={"raw": pl.String, "pseudonym": pl.String})
            found = values.join(table, on="raw", how="left")
            new = found.filter(pl.col("pseudonym").is_null())["raw"]
            if new.len():
                minted = pl.DataFrame({"raw": new, "pseudonym": pl.Series(
                    _macs(key, [prefix + value for value in new.to_list()]), dtype=pl.String)})
                table = pl.concat([table, minted], rechunk=False)
                if table.n_chunks() > 64:
                    table = table.rechunk()
                found = pl.concat([found.filter(pl.col("pseudonym").is_not_null()), minted])
            self._tables[(key, role)] = table
        return found["raw"], found["pseudonym"]


_KNOWN = _Known()


def pseudonymise(frame: pl.DataFrame, contract: Contract, key: bytes) -> pl.DataFrame:
    """Replace every identifier column of the contract by its pseudonym.

    Hashes each distinct value once per process, so 10 million contacts of 50,000 people cost
    50,000 HMACs, then maps the column through a hash table (faster than a join, order kept).
    """
    out = {}
    for name in contract.pseudonymised:
        column = pl.col(name)
        if name == "party_id":
            # party_id holds a person or an employer depending on party_type.
            is_employer = (frame["party_type"] == "employer").fill_null(False)
            mapped = None
            for role, rows in (("employer", is_employer), ("person", ~is_employer)):
                values, pseudonyms = _KNOWN.lookup(key, role, frame[name].filter(rows))
                branch = column.replace_strict(values, pseudonyms, default=None,
                                               return_dtype=pl.String)
                mapped = (pl.when(pl.col("party_type") == "employer").then(branch) if mapped is None
                          else mapped.otherwise(branch))
            out[name] = mapped
        else:
            values, pseudonyms = _KNOWN.lookup(key, ROLES[name], frame[name])
            out[name] = column.replace_strict(values, pseudonyms, default=None,
                                              return_dtype=pl.String)
    return frame.with_columns(**out) if out else frame

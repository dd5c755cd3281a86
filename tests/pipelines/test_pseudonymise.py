"""Keyed pseudonyms: stable for a key, different across keys and identity spaces."""

import base64
import hashlib
import hmac

import polars as pl
import pytest

from pipelines.contracts import INTERACTIONS, JOBSEEKERS
from pipelines.pseudonymise import OutdatedPseudonymsError, check_form, pseudonymise


def expected(key: bytes, role: str, raw: str) -> str:
    """The first 72 bits of HMAC-SHA256, base64url: computed here with the hmac module."""
    digest = hmac.new(key, f"{role}\x1f{raw}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode()


def test_person_ids_become_hmac_sha256_of_the_key():
    frame = pl.DataFrame({"person_id": ["P1", "P2", "P1", None]})
    out = pseudonymise(frame, JOBSEEKERS, b"k1")
    assert out["person_id"].to_list() == [
        expected(b"k1", "person", "P1"), expected(b"k1", "person", "P2"),
        expected(b"k1", "person", "P1"), None]
    assert pseudonymise(frame, JOBSEEKERS, b"k2")["person_id"][0] != out["person_id"][0]


@pytest.mark.parametrize("key", [b"k", b"k" * 64, b"k" * 65, bytes(range(200))])
def test_keys_of_any_length_give_the_hmac_of_the_standard_library(key):
    """Pseudonyms are computed from pre-keyed hash states: shorter, block-sized and longer
    keys (hashed first) all match hmac.new."""
    frame = pl.DataFrame({"person_id": [f"P{i}" for i in range(50)]})
    out = pseudonymise(frame, JOBSEEKERS, key)
    assert out["person_id"].to_list() == [expected(key, "person", f"P{i}") for i in range(50)]


def test_party_id_follows_party_type_and_joins_the_register():
    frame = pl.DataFrame({
        "party_type": ["jobseeker", "employer", "jobseeker"],
        "party_id": ["X1", "X1", "P9"],
        "counsellor_id": ["C1", None, "C1"],
    })
    out = pseudonymise(frame, INTERACTIONS, b"k")
    assert out["party_id"].to_list() == [
        expected(b"k", "person", "X1"), expected(b"k", "employer", "X1"),
        expected(b"k", "person", "P9")]
    # A job-seeker's contacts carry the same pseudonym as their register rows.
    register = pseudonymise(pl.DataFrame({"person_id": ["X1"]}), JOBSEEKERS, b"k")
    assert out["party_id"][0] == register["person_id"][0]
    assert out["counsellor_id"].to_list() == [expected(b"k", "counsellor", "C1"), None,
                                              expected(b"k", "counsellor", "C1")]
    assert out.height == 3


def test_ids_seen_in_an_earlier_file_keep_their_pseudonym_and_new_ones_get_theirs():
    first = pseudonymise(pl.DataFrame({"person_id": ["A", "B"]}), JOBSEEKERS, b"cache")
    second = pseudonymise(pl.DataFrame({"person_id": ["B", "C", "A", "C"]}), JOBSEEKERS, b"cache")
    assert first["person_id"].to_list() == [expected(b"cache", "person", v) for v in "AB"]
    assert second["person_id"].to_list() == [expected(b"cache", "person", v) for v in "BCAC"]
    # The same raw value in another identity space is hashed anew, not read from the cache.
    employer = pl.DataFrame({"party_type": ["employer"], "party_id": ["A"], "counsellor_id": ["A"]})
    out = pseudonymise(employer, INTERACTIONS, b"cache")
    assert out.row(0) == ("employer", expected(b"cache", "employer", "A"),
                          expected(b"cache", "counsellor", "A"))


def test_pseudonyms_are_twelve_characters_and_old_ones_are_refused():
    out = pseudonymise(pl.DataFrame({"person_id": [f"P{i}" for i in range(1000)]}),
                       JOBSEEKERS, b"k")
    assert out["person_id"].str.len_bytes().unique().to_list() == [12]  # kept inline by DuckDB
    assert out["person_id"].n_unique() == 1000
    check_form({"jobseekers.person_id": 12, "interactions.party_id": 12})
    check_form({})  # nothing loaded yet
    with pytest.raises(OutdatedPseudonymsError, match=r"interactions.party_id \(64 characters\)"):
        check_form({"jobseekers.person_id": 12, "interactions.party_id": 64})

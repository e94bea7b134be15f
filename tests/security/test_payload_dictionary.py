"""The codec's preset dictionaries are part of the stored format: never edited, no case data."""

from __future__ import annotations

import hashlib
import re

from security.payload_dictionary import DICTIONARIES, DICTIONARY_1, NEWEST

FROZEN = {1: "9ff3dfe04a838b56d0fc4d85e0ad64f6dee4ead2c1750ef578b0aac712c14591"}
"""Digest of every dictionary stored payloads may name. A payload compressed with one needs
exactly its bytes to be read again: add a new dictionary under the next number instead."""


def test_no_dictionary_changes_once_payloads_may_name_it() -> None:
    assert set(DICTIONARIES) == set(FROZEN)
    for number, dictionary in DICTIONARIES.items():
        assert hashlib.sha256(dictionary).hexdigest() == FROZEN[number], (
            f"dictionary {number} changed: stored payloads compressed with it would no longer "
            "decode; restore it and add the new one under the next number"
        )


def test_the_newest_is_the_highest_number_and_fits_a_deflate_window() -> None:
    assert max(DICTIONARIES) == NEWEST
    assert all(0 < number < 256 for number in DICTIONARIES)
    assert all(len(dictionary) <= 32 * 1024 for dictionary in DICTIONARIES.values())


def test_a_dictionary_holds_vocabulary_not_case_data() -> None:
    # ASCII only: no caller name, address or case text (those are Chinese), and no numbers
    # that could be a phone or a case number.
    assert DICTIONARY_1.isascii()
    assert re.search(rb"\d{5,}", DICTIONARY_1) is None
    assert b'"case_no":' in DICTIONARY_1 and b'"lead_department":' in DICTIONARY_1

"""Fixtures of the replay tests: the replayer of recorded histories."""

from __future__ import annotations

import pytest
from temporalio.worker import Replayer

from audit.replay import case_replayer
from connection.client import data_converter
from security.keys import read_key_ring
from tests.histories import HISTORIES_DIR

GOLDEN_KEYS = HISTORIES_DIR / "codec-keys.json"


@pytest.fixture(scope="module")
def rotated_replayer() -> Replayer:
    """Today's workflows, with the golden ring rotated: the histories' key is an old one."""
    ring = read_key_ring(GOLDEN_KEYS).with_new_key()
    return case_replayer(data_converter(key_ring=ring))

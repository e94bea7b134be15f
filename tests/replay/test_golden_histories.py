"""The gate: every golden history (tests/histories/, from real runs) replays on today's code.

The histories were written under an old codec key (tests/histories/codec-keys.json, a test-only
ring); they replay with a ring whose active key is a newer one, as after a key rotation. An
incompatible change to CaseWorkflow makes them fail, with the event and the difference named.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.worker import Replayer

from audit.replay import replay_history
from audit.sources import from_file
from connection.client import data_converter
from security.keys import read_key_ring
from tests.histories.paths import PATHS
from tests.replay.broken_workflow import TimerBeforeDispatchWorkflow
from workflows.archive import ArchiveCaseWorkflow

HISTORIES = Path(__file__).resolve().parents[1] / "histories"
GOLDEN_FILES = sorted(HISTORIES.glob("*.json"))
GOLDEN = [path for path in GOLDEN_FILES if path.name != "codec-keys.json"]
GOLDEN_KEYS = HISTORIES / "codec-keys.json"


def test_every_lifecycle_path_has_a_golden_history() -> None:
    assert {path.stem for path in GOLDEN} == set(PATHS)


@pytest.mark.parametrize("path", GOLDEN, ids=lambda path: path.stem)
async def test_golden_history_replays(path: Path, rotated_replayer: Replayer) -> None:
    outcome = await replay_history(from_file(path).history, rotated_replayer)
    assert outcome.ok, outcome.plain()


async def test_an_incompatible_change_fails_the_gate_with_a_clear_message() -> None:
    ring = read_key_ring(GOLDEN_KEYS).with_new_key()
    broken = Replayer(
        workflows=[TimerBeforeDispatchWorkflow, ArchiveCaseWorkflow],
        data_converter=data_converter(key_ring=ring),
    )
    outcomes = {path.stem: await replay_history(from_file(path).history, broken) for path in GOLDEN}
    # Paths that never dispatch are untouched by the change; every dispatched one diverges.
    assert outcomes["direct_answer"].ok
    diverged = {name for name, outcome in outcomes.items() if not outcome.ok}
    assert {"dispatch_to_closure", "return_rejected", "reopen_twice_closed_unresolved"} <= diverged
    message = outcomes["dispatch_to_closure"].plain()
    assert "DIVERGES at event" in message
    assert "the history records activity 'route_case' scheduled" in message
    assert "but the current code started a timer there instead" in message

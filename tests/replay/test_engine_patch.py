"""One patch marker per new case (`workflows/case/patches.py`), and the cases recorded with one
marker per change still replay on today's code.

`tests/histories/individual_patches/` holds four lifecycle paths recorded with the code from
before `ENGINE_PATCH` (one marker per change, under the golden test ring). Like the golden
histories they are never re-recorded: today's code would record the one engine marker instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from audit.replay import case_replayer, replay_history
from audit.sources import from_file
from tests.histories import HISTORIES_DIR
from tests.workflows.cases import closed_history, transition_records
from workflows.case.patches import ENGINE_PATCH, IMPLIED

INDIVIDUAL = sorted((HISTORIES_DIR / "individual_patches").glob("*.json"))


def patch_ids(history: WorkflowHistory) -> list[str]:
    ids = []
    for event in history.events:
        marker = event.marker_recorded_event_attributes
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED and (
            marker.marker_name == "core_patch"
        ):
            (payload,) = marker.details["patch-data"].payloads
            ids.append(json.loads(payload.data)["id"])
    return ids


def activity_types(history: WorkflowHistory) -> list[str]:
    return [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


def change_version_upserts(history: WorkflowHistory) -> list[HistoryEvent]:
    kind = EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    return [
        event
        for event in history.events
        if event.event_type == kind
        and "TemporalChangeVersion"
        in event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    ]


def test_the_cases_from_before_asked_each_change_on_its_own() -> None:
    assert len(INDIVIDUAL) >= 4
    for path in INDIVIDUAL:
        ids = patch_ids(from_file(path).history)
        assert ENGINE_PATCH not in ids
        assert {"record-transition-delta", "archive-history-at-closure"} <= set(ids) <= IMPLIED


@pytest.mark.parametrize("path", INDIVIDUAL, ids=lambda path: path.stem)
async def test_a_case_from_before_the_engine_patch_replays(
    path: Path, rotated_replayer: Replayer
) -> None:
    outcome = await replay_history(from_file(path).history, rotated_replayer)
    assert outcome.ok, outcome.plain()


async def test_a_new_case_asks_one_patch_and_takes_every_change(client: Client) -> None:
    history = await closed_history(client)

    assert patch_ids(history) == [ENGINE_PATCH]
    assert len(change_version_upserts(history)) == 1
    # Every implied change is in force: route beside the first record, deltas, the archive child.
    first_two = activity_types(history)[:2]
    assert sorted(first_two) == ["record_transition", "route_case"]
    records = await transition_records(client, history)
    assert records[0].projection is not None
    assert all(record.delta is not None for record in records[1:])
    assert any(
        event.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
        for event in history.events
    )
    outcome = await replay_history(history, case_replayer(client.data_converter))
    assert outcome.ok, outcome.plain()

"""Encrypted histories on the real dev server: no personal data in what Temporal stores, clear
search attributes, and replay (and a running worker) after a key rotation."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, SearchAttributes
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from connection.client import data_converter
from models.enums import CaseStatus
from models.state import CaseView
from security.codec import ENCRYPTED, KEY_ID_KEY, EncryptionCodec, PayloadDecryptionError
from security.keys import KeyRing, read_key_ring
from settings.environment import KEYS_FILE_ENV
from tests.workflows.cases import drive_to_closure, intake, start
from workers.worker import build_worker
from workflows.case import CaseWorkflow, workflow_id

PHONE = "13800001234"
NAME = "张三"
ADDRESS = "中华北路1号"
PERSONAL = (PHONE, NAME, ADDRESS)


def payloads_in(message: Message, path: str = "") -> Iterator[tuple[str, Payload]]:
    """Every payload of a history event except search attributes, with where it is."""
    if isinstance(message, Payload):
        yield path, message
        return
    if isinstance(message, SearchAttributes):
        return
    for field, value in message.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        where = f"{path}.{field.name}"
        if field.message_type.GetOptions().map_entry:
            for key, item in value.items():
                if isinstance(item, Message):
                    yield from payloads_in(item, f"{where}[{key}]")
        elif field.is_repeated:
            for index, item in enumerate(value):
                yield from payloads_in(item, f"{where}[{index}]")
        else:
            yield from payloads_in(value, where)


# Marker details the SDK core writes itself, never through the codec: which local activity ran
# (type, attempt, time) and which patch is on. No value of the case is in them.
CORE_MARKER_DETAILS = {
    ".marker_recorded_event_attributes.details[data]",
    ".marker_recorded_event_attributes.details[patch-data]",
}


def all_payloads(history: WorkflowHistory) -> list[tuple[str, Payload]]:
    """Every payload of the history that the data converter wrote (so the codec encrypted)."""
    return [
        (f"event {event.event_id}{path}", payload)
        for event in history.events
        for path, payload in payloads_in(event)
        if not any(path.startswith(marker) for marker in CORE_MARKER_DETAILS)
    ]


def session_ring(client: Client) -> KeyRing:
    codec = client.data_converter.payload_codec
    assert isinstance(codec, EncryptionCodec)
    return codec.ring


def share_with_session(ring: KeyRing) -> None:
    """Add `ring`'s keys to the session's key file, as an operator keeps every key a history was
    written with, so that later `hotline` processes of the session (`audit replay --all` among
    them) can read a case written under them. The session's active key stays the same."""
    path = Path(os.environ[KEYS_FILE_ENV])
    session = read_key_ring(path)
    shared = KeyRing(active=session.active, keys={**ring.keys, **session.keys})
    path.write_text(shared.to_json(), encoding="utf-8")


def with_converter(client: Client, converter: DataConverter) -> Client:
    config: dict[str, Any] = {**client.config(), "data_converter": converter}
    return Client(**config)


def assert_no_personal_data(history: WorkflowHistory) -> None:
    text = history.to_json()
    raw = b"".join(event.SerializeToString() for event in history.events)
    for secret in PERSONAL:
        assert secret not in text, secret
        assert secret.encode() not in raw, secret
        assert json.dumps(secret).encode() not in raw, secret  # nor as JSON escapes


async def test_a_closed_case_stores_only_encrypted_payloads(client: Client):
    case = intake()
    handle = await start(client, case)
    await drive_to_closure(handle)
    history = await handle.fetch_history()
    ring = session_ring(client)

    found = all_payloads(history)
    kinds = {event.WhichOneof("attributes") for event in history.events}
    started = history.events[0].workflow_execution_started_event_attributes
    assert len(started.input.payloads) == 1
    scheduled = [
        e.activity_task_scheduled_event_attributes
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert scheduled and all(s.input.payloads for s in scheduled)
    assert "workflow_execution_update_accepted_event_attributes" in kinds
    assert len(found) > 10
    places = {re.sub(r"\[[^]]*\]", "", where.split(".", 1)[1]) for where, _ in found}
    assert {
        "workflow_execution_started_event_attributes.input.payloads",
        "activity_task_scheduled_event_attributes.input.payloads",
        "activity_task_completed_event_attributes.result.payloads",
        "workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads",
        "marker_recorded_event_attributes.details.payloads",  # local activity results
        "workflow_execution_completed_event_attributes.result.payloads",
    } <= places, places
    for where, payload in found:
        assert payload.metadata["encoding"] == ENCRYPTED, where
        assert payload.metadata[KEY_ID_KEY] == ring.active.encode(), where
    assert_no_personal_data(history)

    # The workflow input does hold the caller: decrypted, it is the intake as started.
    [input_payload] = await client.data_converter.payload_codec.decode(started.input.payloads)
    assert PHONE.encode() in input_payload.data and NAME.encode() in input_payload.data

    # Search attributes stay clear text, for list queries and the UI.
    initial = started.search_attributes.indexed_fields
    assert initial["District"].metadata["encoding"] == b"json/plain"
    assert json.loads(initial["District"].data) == "云岩区"
    upserts = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        for e in history.events
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
    ]
    statuses = [
        json.loads(fields["CaseStatus"].data) for fields in upserts if "CaseStatus" in fields
    ]
    assert CaseStatus.CLOSED.value in statuses
    assert all(
        fields["CaseStatus"].metadata["encoding"] == b"json/plain"
        for fields in upserts
        if "CaseStatus" in fields
    )


async def test_a_history_written_under_an_old_key_replays_after_rotation(client: Client):
    handle = await start(client, intake())
    await drive_to_closure(handle)
    history = await handle.fetch_history()
    old = session_ring(client)
    rotated = old.with_new_key()
    assert rotated.active != old.active and old.active in rotated.keys

    replayer = Replayer(workflows=[CaseWorkflow], data_converter=data_converter(rotated))
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
    # ... and so does the history as exported to a JSON file.
    exported = WorkflowHistory.from_json(history.workflow_id, history.to_json())
    assert (await replayer.replay_workflow(exported)).replay_failure is None

    # Without the old key the same history cannot be read.
    stranger = KeyRing(active=rotated.active, keys={rotated.active: rotated.active_key})
    with pytest.raises(PayloadDecryptionError, match=old.active):
        await EncryptionCodec(stranger).decode([payload for _, payload in all_payloads(history)])
    blind = Replayer(workflows=[CaseWorkflow], data_converter=data_converter(stranger))
    assert (await blind.replay_workflow(history, raise_on_replay_failure=False)).replay_failure


async def test_a_case_started_under_the_old_key_finishes_on_a_rotated_worker(
    env: WorkflowEnvironment, client: Client, database_url: str
):
    old = session_ring(client)
    rotated = old.with_new_key()
    share_with_session(rotated)
    rotated_client = with_converter(env.client, data_converter(rotated))
    task_queue = f"hotline-rotated-{uuid.uuid4().hex[:8]}"
    case = intake()
    await start(client, case, task_queue)  # intake encrypted under the old key
    async with build_worker(rotated_client, task_queue, database_url):
        handle = rotated_client.get_workflow_handle(workflow_id(case.case_no), result_type=CaseView)
        await drive_to_closure(handle)
    history = await handle.fetch_history()

    key_ids = {payload.metadata[KEY_ID_KEY].decode() for _, payload in all_payloads(history)}
    assert key_ids == {old.active, rotated.active}
    assert_no_personal_data(history)
    replayer = Replayer(workflows=[CaseWorkflow], data_converter=data_converter(rotated))
    assert (await replayer.replay_workflow(history)).replay_failure is None

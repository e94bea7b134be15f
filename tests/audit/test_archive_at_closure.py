"""Archive at closure: each closed case's complete history is stored exactly once."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.client import Client, WorkflowHistory

from activities.archive import canonical_json
from activities.code_version import code_version
from audit.sources import from_file
from db.archive_store import load_archive
from db.engine import make_engine, session_factory
from db.tables import ArchiveRow, CaseRow
from models.records import ArchiveRequest
from tests.conftest import TASK_QUEUE
from tests.histories import HISTORIES_DIR
from tests.histories.paths import PATHS
from tests.replay.archived import archived_case
from workflows.archive import ArchiveCaseWorkflow
from workflows.case import workflow_id


async def test_a_closed_case_is_archived_once_with_version_and_digest(
    client: Client, database_url: str
) -> None:
    case_no = await archived_case(client)
    sessions = session_factory(make_engine(database_url))
    archived = load_archive(sessions, case_no)
    assert archived is not None
    live = await client.get_workflow_handle(workflow_id(case_no)).fetch_history()
    stored = WorkflowHistory.from_json(archived.workflow_id, archived.history_json)
    assert list(stored.events) == list(live.events)  # complete: through the close event
    assert archived.event_count == len(live.events)
    assert archived.history_digest == hashlib.sha256(archived.history_json.encode()).hexdigest()
    assert archived.code_version == code_version()
    with sessions() as session:
        row = session.get(CaseRow, case_no)
        assert row is not None and row.archived_at is not None

    # A second archive run for the same case (a retry, a re-run by hand) writes nothing.
    again = await client.execute_workflow(
        ArchiveCaseWorkflow.run,
        ArchiveRequest(case_no=case_no, workflow_id=workflow_id(case_no), run_id=archived.run_id),
        id=f"archive-again-{case_no}",
        task_queue=TASK_QUEUE,
    )
    assert again is False
    with sessions() as session:
        count = session.scalar(
            select(func.count()).select_from(ArchiveRow).where(ArchiveRow.case_no == case_no)
        )
    assert count == 1


async def test_the_archive_holds_no_personal_data_in_clear(
    client: Client, database_url: str
) -> None:
    case_no = await archived_case(client)
    archived = load_archive(session_factory(make_engine(database_url)), case_no)
    assert archived is not None
    payloads = list(_payload_bytes(json.loads(archived.history_json)))
    assert len(payloads) > 10
    for personal in ("13800001234", "张三", "中华北路1号"):
        assert all(personal.encode() not in data for data in payloads), personal


def _payload_bytes(node: Any) -> Iterator[bytes]:
    """The decoded bytes of every payload in a history JSON document."""
    if isinstance(node, dict):
        if isinstance(node.get("metadata"), dict) and isinstance(node.get("data"), str):
            yield base64.b64decode(node["data"])
        for value in node.values():
            yield from _payload_bytes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _payload_bytes(value)


@pytest.mark.parametrize("name", sorted(PATHS)[:6])
def test_the_archive_export_is_the_same_bytes_as_it_always_was(name: str) -> None:
    """Archives stored before keep their digests: today's export of a history is byte for byte
    the export that stored them (the JSON of `to_json()`, sorted and compact)."""
    history = from_file(HISTORIES_DIR / f"{name}.json").history
    before = json.dumps(
        json.loads(history.to_json()), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    assert canonical_json(history) == before

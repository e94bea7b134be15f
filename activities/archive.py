"""The archive activity: export a closed case's whole history and store it (workflows/archive.py).

The history is stored exactly as the engine keeps it, payloads still encrypted by the codec, so
the archive holds no personal data in clear and replays with the same data converter.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC
from typing import Any

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory, WorkflowHistoryEventFilterType
from temporalio.exceptions import ApplicationError

from activities.code_version import code_version
from db.archive_store import ArchiveConflictError, ArchiveEntry, store_archive
from db.engine import SessionFactory
from models.errors import ARCHIVE_CONFLICT
from models.records import ArchiveRequest

CLOSE_EVENTS = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
)


class HistoryArchiver:
    """Holds the client that reads histories and the database the archive lives in."""

    def __init__(self, client: Client, sessions: SessionFactory) -> None:
        self._client = client
        self._sessions = sessions

    @activity.defn(name="archive_history")
    async def archive_history(self, request: ArchiveRequest) -> bool:
        handle = self._client.get_workflow_handle(request.workflow_id, run_id=request.run_id)
        # Long-polls until the case has closed: its start of this workflow is its last command.
        closed = None
        async for event in handle.fetch_history_events(
            wait_new_event=True, event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT
        ):
            if event.event_type in CLOSE_EVENTS:
                closed = event
                break
        if closed is None:
            raise ApplicationError(f"case {request.case_no} has not closed yet")
        history = await handle.fetch_history()
        closed_at = closed.event_time.ToDatetime(tzinfo=UTC)

        def store() -> bool:
            # Off the event loop: the JSON export of a history is a few ms of CPU.
            entry = ArchiveEntry(
                case_no=request.case_no,
                workflow_id=request.workflow_id,
                run_id=request.run_id,
                closed_at=closed_at,
                code_version=code_version(),
                history_json=canonical_json(history),
                event_count=len(history.events),
            )
            return store_archive(self._sessions, entry)

        try:
            return await asyncio.to_thread(store)
        except ArchiveConflictError as err:
            raise ApplicationError(str(err), type=ARCHIVE_CONFLICT) from err

    def all(self) -> list[Callable[..., Any]]:
        return [self.archive_history]


def canonical_json(history: WorkflowHistory) -> str:
    """The history as compact JSON with sorted keys: the same bytes (and digest) every export.

    Protobuf maps (search attributes, payload metadata) serialise in no fixed order.
    """
    return json.dumps(
        history.to_json_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )

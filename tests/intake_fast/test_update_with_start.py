"""Intake in one call: `open_case` starts the case and asks for its first view with
update-with-start (the read-only `intake_recorded` Update), on the real dev server.

The Update is in the case's history once, is answered again (not run again) for a repeated
request id, changes no command of the case (the history replays with today's workflow), and a
missing worker still gives the one clear message."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

from audit.replay import case_replayer
from connection.client import data_converter
from db.engine import SessionFactory, make_engine, session_factory
from models.enums import CaseStatus, CaseType
from models.errors import CaseActionError
from services import cases as case_service
from services.cases import IntakeRequest, open_case
from tests.conftest import TASK_QUEUE
from workflows.case import workflow_id

ACCEPTED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
COMPLETED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED


def request(**overrides: Any) -> IntakeRequest:
    fields: dict[str, Any] = {
        "request_id": uuid.uuid4().hex,
        "operator_id": "op-001",
        "caller": {"name": "王五", "phones": ["13900001234"]},
        "location": {"district": "云岩区", "street": "中华北路"},
        "case_type": CaseType.COMPLAINT,
        "category": "城乡建设/供水/停水",
        "title": "小区停水三天",
        "content": "小区停水三天，没有通知。",
        "outcome": {"kind": "dispatch", "lead_department": "gy-water"},
    }
    return IntakeRequest.model_validate(fields | overrides)


@pytest.fixture
def sessions(database_url: str) -> SessionFactory:
    return session_factory(make_engine(database_url))


async def history(client: Client, case_no: str) -> WorkflowHistory:
    return await client.get_workflow_handle(workflow_id(case_no)).fetch_history()


def updates(events: WorkflowHistory, kind: EventType.ValueType) -> list[str]:
    """The names of the Updates accepted (or the ids of those completed) in the history."""
    found: list[str] = []
    for event in events.events:
        if event.event_type != kind:
            continue
        if kind == ACCEPTED:
            accepted = event.workflow_execution_update_accepted_event_attributes
            found.append(accepted.accepted_request.input.name)
        else:
            completed = event.workflow_execution_update_completed_event_attributes
            found.append(completed.meta.update_id)
    return found


async def test_a_dispatched_intake_comes_back_recorded_in_one_call(
    client: Client, sessions: SessionFactory
) -> None:
    intake = request()
    view = await open_case(client, sessions, intake, TASK_QUEUE)
    assert view.intake_complete
    assert view.status is CaseStatus.DISPATCHED
    assert view.lead_department == "gy-water"
    events = await history(client, view.case_no)
    assert updates(events, ACCEPTED) == ["intake_recorded"]
    assert updates(events, COMPLETED) == [f"intake-{intake.request_id}"]


async def test_a_repeated_request_is_answered_by_the_same_update(
    client: Client, sessions: SessionFactory
) -> None:
    intake = request()
    first = await open_case(client, sessions, intake, TASK_QUEUE)
    again = await open_case(client, sessions, intake, TASK_QUEUE)
    assert again.case_no == first.case_no
    assert again.intake_complete
    events = await history(client, first.case_no)
    assert updates(events, ACCEPTED) == ["intake_recorded"]  # answered from its record


async def test_a_case_closed_at_intake_is_repeated_after_its_workflow_completed(
    client: Client, sessions: SessionFactory
) -> None:
    answered = request(outcome={"kind": "direct_answer", "answer": "停水通知已在小区公告栏张贴。"})
    first = await open_case(client, sessions, answered, TASK_QUEUE)
    assert first.status is CaseStatus.CLOSED
    await client.get_workflow_handle(workflow_id(first.case_no)).result()
    again = await open_case(client, sessions, answered, TASK_QUEUE)
    assert (again.case_no, again.status) == (first.case_no, CaseStatus.CLOSED)


async def test_the_history_with_the_update_replays_with_todays_workflow(
    client: Client, sessions: SessionFactory
) -> None:
    view = await open_case(client, sessions, request(), TASK_QUEUE)
    result = await case_replayer(data_converter()).replay_workflow(
        await history(client, view.case_no), raise_on_replay_failure=False
    )
    assert result.replay_failure is None


async def test_without_a_worker_the_intake_says_so(
    client: Client, sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_service, "INTAKE_TIMEOUT", timedelta(seconds=2))
    with pytest.raises(CaseActionError) as refused:
        await open_case(client, sessions, request(), "no-worker-polls-this")
    message = str(refused.value)
    assert "intake was not recorded within 2s" in message
    assert "is a worker polling task queue no-worker-polls-this?" in message

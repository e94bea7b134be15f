"""Every intake outcome (domain §4) on the real dev server."""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from models.enums import CaseStatus, ClosureReason, EmergencyLine, NotAcceptedReason
from models.intake import (
    DirectAnswer,
    EmergencyHandoff,
    MergeInto,
    NotAccepted,
    ThreeWayCall,
    ToDispatch,
)
from tests.workflows.cases import CaseHandle, actions, intake, start, started, until
from workflows.case import CaseWorkflow


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        (
            DirectAnswer(answer="低保申请请携带身份证到街道办理。", articles=["kb-101"]),
            ClosureReason.DIRECT_ANSWER,
        ),
        (ThreeWayCall(department="gy-water", officer="李工"), ClosureReason.THREE_WAY_CALL),
        (EmergencyHandoff(line=EmergencyLine.FIRE), ClosureReason.EMERGENCY_HANDOFF),
        (
            NotAccepted(reason=NotAcceptedReason.LITIGATION, proper_route="请向人民法院起诉"),
            ClosureReason.NOT_ACCEPTED,
        ),
    ],
)
async def test_closing_outcomes_close_at_once(client: Client, outcome, reason) -> None:
    handle = await start(client, intake(outcome=outcome))
    result = await handle.result()
    assert result.status is CaseStatus.CLOSED
    assert result.closure_reason is reason
    state = await handle.query(CaseWorkflow.state)
    assert [e.action for e in state.timeline] == ["intake"]
    assert state.timeline[0].detail["outcome"] == outcome.kind
    assert state.clocks == []


async def test_dispatch_without_department_waits_for_dispatcher(client: Client) -> None:
    handle = await start(client, intake(outcome=ToDispatch()))
    state = await until(handle, lambda s: bool(s.clocks))
    assert state.status is CaseStatus.RECEIVED
    (clock,) = state.clocks
    assert clock.key == "dispatch" and clock.owner == "centre"
    assert (clock.deadline.due - state.received_at).total_seconds() == pytest.approx(7200, abs=5)


async def test_merge_links_the_master_and_closes(client: Client) -> None:
    master = await start(client, intake())
    master_no = (await started(master)).intake.case_no
    merged = await start(client, intake(outcome=MergeInto(master_case_no=master_no)))
    result = await merged.result()
    assert result.closure_reason is ClosureReason.MERGED
    state = await master.query(CaseWorkflow.state)
    assert result.case_no in state.merged_cases
    assert state.timeline[-1].action == "merged_case_linked"


async def test_merge_into_missing_master_keeps_case_for_dispatch(client: Client) -> None:
    handle = await start(client, intake(outcome=MergeInto(master_case_no="GY20200101-000001")))
    state = await until(
        handle, lambda s: s.timeline[-1:] != [] and s.timeline[-1].action == "merge_failed"
    )
    assert state.status is CaseStatus.RECEIVED
    assert any("GY20200101-000001" in w for w in state.warnings)


async def _scheduled_activities_by_task(handle: CaseHandle) -> list[list[str]]:
    """The activity types each workflow task scheduled, in order (tasks with none left out)."""
    groups: list[list[str]] = []
    current: list[str] = []
    for event in (await handle.fetch_history()).events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            current = []
            groups.append(current)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            current.append(event.activity_task_scheduled_event_attributes.activity_type.name)
    return [group for group in groups if group]


async def test_a_named_lead_is_checked_while_the_intake_is_recorded(client: Client) -> None:
    handle = await start(client, intake())
    await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    tasks = await _scheduled_activities_by_task(handle)
    assert tasks[:2] == [["route_case", "record_transition"], ["record_transition"]]
    assert await actions(handle) == ["intake", "dispatch"]


async def test_an_unknown_lead_named_at_intake_is_refused_after_the_intake(client: Client) -> None:
    handle = await start(client, intake(outcome=ToDispatch(lead_department="no-such-dept")))
    state = await until(handle, lambda s: len(s.timeline) >= 2)
    assert [e.action for e in state.timeline] == ["intake", "dispatch_refused"]
    assert state.status is CaseStatus.RECEIVED
    assert [c.key for c in state.clocks] == ["dispatch"]
    assert "no-such-dept" in state.timeline[1].detail["reason"]

"""Deadline clocks fire at the right virtual times (warning, overdue, level 2), never sleeping."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from models.commands import Dispatch, ExtensionRequest, ReturnCase, SignOff
from models.enums import CaseStatus, CaseType, ClockStage, ClosureReason, ReturnReason, Urgency
from models.intake import ToDispatch
from models.state import CaseState, TimelineEntry
from rules.calendar import default_calendar
from tests.workflows.cases import advance_to, intake, start, until
from workflows.case import CaseWorkflow

TOLERANCE = timedelta(minutes=1)


def fired(state: CaseState, action: str, clock: str) -> TimelineEntry | None:
    return next(
        (e for e in state.timeline if e.action == action and e.detail.get("clock") == clock), None
    )


async def test_sign_off_warning_overdue_and_level2(env: WorkflowEnvironment, client: Client):
    handle = await start(client, intake())
    state = await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    deadline = state.clock("sign_off").deadline
    calendar = default_calendar()
    dispatched_at = state.timeline[-1].at
    assert deadline.due == calendar.add_working_days(dispatched_at, 1).at
    assert deadline.level2_at == calendar.add_working_days(deadline.due, 5).at

    await advance_to(env, handle, deadline.warn_at)
    state = await until(handle, lambda s: fired(s, "deadline_warning", "sign_off") is not None)
    warning = fired(state, "deadline_warning", "sign_off")
    assert deadline.warn_at <= warning.at < deadline.warn_at + TOLERANCE
    assert state.escalation_level == 0 and not state.overdue

    await advance_to(env, handle, deadline.due)
    state = await until(handle, lambda s: fired(s, "deadline_overdue", "sign_off") is not None)
    overdue = fired(state, "deadline_overdue", "sign_off")
    assert deadline.due <= overdue.at < deadline.due + TOLERANCE
    assert state.escalation_level == 1 and state.overdue and state.ever_overdue

    await advance_to(env, handle, deadline.level2_at)
    state = await until(handle, lambda s: fired(s, "deadline_level2", "sign_off") is not None)
    level2 = fired(state, "deadline_level2", "sign_off")
    assert deadline.level2_at <= level2.at < deadline.level2_at + TOLERANCE
    assert state.escalation_level == 2
    assert state.clock("sign_off").stage is ClockStage.LEVEL2


async def test_urgent_case_runs_on_calendar_hours(env: WorkflowEnvironment, client: Client):
    handle = await start(client, intake(urgency=Urgency.URGENT))
    state = await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    sign_off = state.clock("sign_off").deadline
    handling = state.clock("handling").deadline
    start_at = sign_off.start
    assert handling.start == start_at
    assert sign_off.due - start_at == timedelta(minutes=30)
    assert sign_off.warn_at - start_at == timedelta(minutes=22, seconds=30)
    assert handling.due - start_at == timedelta(hours=2)
    await advance_to(env, handle, handling.due)
    state = await until(handle, lambda s: fired(s, "deadline_overdue", "handling") is not None)
    assert [e.detail["clock"] for e in state.timeline if e.action == "deadline_overdue"] == [
        "sign_off",
        "handling",
    ]


async def test_signing_stops_the_sign_off_clock(env: WorkflowEnvironment, client: Client):
    handle = await start(client, intake(urgency=Urgency.URGENT))
    await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"))
    state = await handle.query(CaseWorkflow.state)
    await advance_to(env, handle, state.clock("handling").deadline.warn_at)
    state = await until(handle, lambda s: fired(s, "deadline_warning", "handling") is not None)
    assert fired(state, "deadline_warning", "sign_off") is None


async def test_praise_closes_itself_after_one_working_day(env: WorkflowEnvironment, client):
    handle = await start(client, intake(case_type=CaseType.PRAISE))
    state = await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    await advance_to(env, handle, state.clock("handling").deadline.due)
    result = await handle.result()
    assert result.closure_reason is ClosureReason.PRAISE_NOTED


async def test_unknown_year_falls_back_with_warning_on_the_case(env: WorkflowEnvironment, client):
    handle = await start(client, intake(outcome=ToDispatch()))
    await until(handle, lambda s: bool(s.clocks))
    now = await env.get_current_time(handle)
    await env.fast_forward(handle, datetime(2027, 1, 4, 2, tzinfo=now.tzinfo) - now)
    view = await handle.execute_update(
        CaseWorkflow.dispatch, Dispatch(by="d", lead_department="gy-market")
    )
    assert view.status is CaseStatus.DISPATCHED
    state = await handle.query(CaseWorkflow.state)
    assert "calendar: no official schedule for 2027; Monday-Friday used" in state.warnings
    due = state.clock("handling").deadline.due
    assert due.weekday() < 5 and due.year == 2027


async def test_return_after_the_window_is_refused(env: WorkflowEnvironment, client: Client):
    handle = await start(client, intake())
    state = await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    window = state.clock("return_window").deadline
    assert window.due == default_calendar().add_working_days(window.start, 2).at
    await advance_to(env, handle, window.due)
    before = await handle.query(CaseWorkflow.state)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(
            CaseWorkflow.return_case,
            ReturnCase(
                by="l",
                department="gy-market",
                reason=ReturnReason.NOT_OUR_DUTY,
                legal_basis="职责清单",
            ),
        )
    assert "the return window closed" in str(caught.value.cause)
    assert await handle.query(CaseWorkflow.state) == before


async def test_extension_after_the_cutoff_is_refused(env: WorkflowEnvironment, client: Client):
    handle = await start(client, intake(case_type=CaseType.CONSULTATION))
    await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"))
    due = (await handle.query(CaseWorkflow.state)).clock("handling").deadline.due
    cutoff = due - timedelta(hours=1)  # 17:00 on the deadline day
    await advance_to(env, handle, cutoff)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(
            CaseWorkflow.request_extension,
            ExtensionRequest(by="l", department="gy-market", working_days=2, reason="需协调"),
        )
    assert "must be requested before" in str(caught.value.cause)

"""Bad data fails fast and shows on the case; a transient error keeps retrying.

Real dev server, real worker, real database (SQLite by default, PostgreSQL with DATABASE_URL):
the database itself refuses a case's projection row (tests/workflows/bad_data.py), never a fake
activity. Deadlines run on the case's virtual clock.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from db.engine import make_engine, session_factory
from db.tables import CaseRow, TransitionRow
from models.commands import RetryFaults, SignOff, Withdraw
from models.enums import CaseStatus
from models.intake import Caller, ToDispatch
from models.state import CaseState
from tests.workflows.bad_data import refused_caller
from tests.workflows.cases import CaseHandle, advance_to, intake, start, until
from workers.worker import build_worker
from workflows.case import CaseWorkflow, workflow_id

PHONE = "13766604321"
UNREACHABLE_DATABASE = "postgresql://postgres@127.0.0.1:1/hotline"


def caller_name() -> str:
    return f"欧阳拒录{uuid.uuid4().hex[:6]}"


async def record_attempts(handle: CaseHandle) -> list[tuple[int, bool]]:
    """(attempt, failed) of every `record_transition` the case scheduled, in order."""
    scheduled: dict[int, int] = {}
    started: dict[int, int] = {}
    failed: set[int] = set()
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attributes = event.activity_task_scheduled_event_attributes
            if attributes.activity_type.name == "record_transition":
                scheduled[event.event_id] = len(scheduled)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attrs = event.activity_task_started_event_attributes
            started[attrs.scheduled_event_id] = attrs.attempt
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            attrs_failed = event.activity_task_failed_event_attributes
            failed.add(attrs_failed.scheduled_event_id)
    return [(started.get(event_id, 0), event_id in failed) for event_id in sorted(scheduled)]


async def faulted_ids(client: Client, case_no: str, faulted: bool) -> list[str]:
    query = f"WorkflowId = '{workflow_id(case_no)}' AND Faulted = {str(faulted).lower()}"
    return [execution.id async for execution in client.list_workflows(query)]


async def listed(client: Client, case_no: str, faulted: bool) -> None:
    for _ in range(100):
        if await faulted_ids(client, case_no, faulted):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"case {case_no} never listed with Faulted = {faulted}")


def has_open_fault(state: CaseState) -> bool:
    return bool(state.open_faults)


async def test_bad_data_fails_fast_shows_a_fault_and_the_case_goes_on(
    env: WorkflowEnvironment, client: Client, database_url: str
) -> None:
    name = caller_name()
    sessions = session_factory(make_engine(database_url))
    with refused_caller(database_url, name) as refusal:
        case = intake(caller=Caller(name=name, phones=[PHONE]))
        handle = await start(client, case)
        state = await until(
            handle, lambda s: has_open_fault(s) and s.status is CaseStatus.DISPATCHED
        )

        # One fault, on the intake's write, named without a value.
        (fault,) = state.faults
        assert fault.activity == "record_transition" and fault.seq == 1
        assert fault.error_type == "IntegrityError" and fault.open
        assert fault.message.startswith("record_transition failed: IntegrityError")
        assert "not retried" in fault.message
        if not database_url.startswith("sqlite"):
            assert refusal.name in fault.message
        assert name not in fault.message and PHONE not in fault.message

        # Tried once, not retried: the history holds one attempt, failed.
        attempts = await record_attempts(handle)
        assert attempts[0] == (1, True)
        assert len(attempts) == 1  # later transitions wait behind the fault
        await listed(client, case.case_no, faulted=True)
        with sessions() as session:
            assert session.get(CaseRow, case.case_no) is None

        # Deadlines still fire and later steps still work, all held for the retry.
        sign_off = state.clock("sign_off")
        assert sign_off is not None
        await advance_to(env, handle, sign_off.deadline.due)
        state = await until(
            handle, lambda s: any(e.action == "deadline_overdue" for e in s.timeline)
        )
        assert state.escalation_level == 1
        await handle.execute_update(
            CaseWorkflow.sign_off, SignOff(by="liaison-1", department="gy-market")
        )

        # Retried before the fix: it fails again and the fault stays open.
        with pytest.raises(WorkflowUpdateFailedError) as again:
            await handle.execute_update(CaseWorkflow.retry_faults, RetryFaults(by="admin-1"))
        cause = again.value.cause
        assert isinstance(cause, ApplicationError) and "failed again" in cause.message
        state = await handle.query(CaseWorkflow.state)
        assert state.faults[0].open and state.faults[0].retries == 1

        refusal.lift()
        await handle.execute_update(CaseWorkflow.retry_faults, RetryFaults(by="admin-1"))

    state = await handle.query(CaseWorkflow.state)
    (fault,) = state.faults
    assert not fault.open and fault.resolved_by == "admin-1" and fault.retries == 2
    assert state.timeline[-1].action == "faults_retried"
    await listed(client, case.case_no, faulted=False)
    # The projection converged to the workflow's state, the log holds every transition.
    with sessions() as session:
        row = session.get(CaseRow, case.case_no)
        assert row is not None
        assert row.version == len(state.timeline) and row.status == CaseStatus.HANDLING.value
        assert row.escalation_level == 1 and row.caller_name == name
        log = session.scalars(
            select(TransitionRow.action)
            .where(TransitionRow.case_no == case.case_no)
            .order_by(TransitionRow.seq)
        ).all()
    assert list(log) == [entry.action for entry in state.timeline]

    with pytest.raises(WorkflowUpdateFailedError) as nothing:
        await handle.execute_update(CaseWorkflow.retry_faults, RetryFaults(by="admin-1"))
    assert "no open fault" in str(nothing.value.cause)
    await handle.execute_update(CaseWorkflow.withdraw, Withdraw(by="op-001", reason="已解决"))
    await handle.result()


async def test_a_closed_case_with_an_open_fault_waits_for_its_retry(
    client: Client, database_url: str
) -> None:
    name = caller_name()
    with refused_caller(database_url, name) as refusal:
        handle = await start(client, intake(caller=Caller(name=name, phones=[PHONE])))
        await until(handle, has_open_fault)
        await handle.execute_update(CaseWorkflow.withdraw, Withdraw(by="op-001", reason="撤回"))
        state = await handle.query(CaseWorkflow.state)
        assert state.status is CaseStatus.CLOSED
        await asyncio.sleep(0.5)
        description = await handle.describe()
        assert description.status is WorkflowExecutionStatus.RUNNING  # not completed, not failed
        refusal.lift()
        await handle.execute_update(CaseWorkflow.retry_faults, RetryFaults(by="admin-1"))
    view = await handle.result()
    assert view.status is CaseStatus.CLOSED
    sessions = session_factory(make_engine(database_url))
    with sessions() as session:
        row = session.get(CaseRow, state.intake.case_no)
        assert row is not None and row.status == "closed"


@pytest.fixture
async def unreachable_queue(env: WorkflowEnvironment) -> AsyncIterator[str]:
    """A worker whose application database refuses every connection (nothing listens)."""
    queue = f"unreachable-db-{uuid.uuid4().hex[:8]}"
    async with build_worker(env.client, queue, UNREACHABLE_DATABASE):
        yield queue


async def test_a_lost_database_keeps_retrying_and_opens_no_fault(
    env: WorkflowEnvironment, unreachable_queue: str
) -> None:
    name = caller_name()
    case = intake(
        caller=Caller(name=name, phones=[PHONE]), outcome=ToDispatch(lead_department=None)
    )
    handle = await start(env.client, case, task_queue=unreachable_queue)
    try:
        for _ in range(200):
            description = await handle.describe()
            pending = [
                p
                for p in description.raw_description.pending_activities
                if p.activity_type.name == "record_transition"
            ]
            if pending and pending[0].attempt >= 3:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("record_transition was not retried")
        failure = pending[0].last_failure.application_failure_info
        assert failure.type == "OperationalError" and not failure.non_retryable
        state = await handle.query(CaseWorkflow.state)
        assert state.faults == [] and state.timeline[0].action == "intake"
    finally:
        await handle.terminate("test over")

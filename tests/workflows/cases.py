"""Builders for test cases: intakes and started case workflows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from models.commands import CallbackResult, Reply, ReplyReview, SignOff
from models.enums import CaseStatus, CaseType, ReplyResult, Satisfaction, Urgency
from models.intake import Caller, CaseIntake, Location, ToDispatch
from models.records import TransitionRecord
from models.state import CaseState
from tests.conftest import TASK_QUEUE, next_case_no
from workflows.archive import archive_workflow_id
from workflows.case import CaseWorkflow, workflow_id
from workflows.case.views import initial_search_attributes

CaseHandle = WorkflowHandle[CaseWorkflow, Any]
REPLY = Reply(
    by="liaison-1",
    department="gy-market",
    result=ReplyResult.RESOLVED,
    content="已约谈商家，商家同意退款。",
    officer="王科长",
)
SATISFIED = CallbackResult(
    by="cb-01", reached=True, resolved=True, satisfaction=Satisfaction.SATISFIED
)


def intake(**overrides: Any) -> CaseIntake:
    fields: dict[str, Any] = {
        "case_no": next_case_no(),
        "request_id": "req-" + next_case_no(),
        "operator_id": "op-001",
        "caller": Caller(name="张三", phones=["13800001234"]),
        "location": Location(district="云岩区", street="中华北路街道", address="中华北路1号"),
        "case_type": CaseType.COMPLAINT,
        "category": "市场监管/消费投诉",
        "urgency": Urgency.NORMAL,
        "title": "商家拒绝退款",
        "content": "在某商场购买的商品有质量问题，商家拒绝退款。",
        "outcome": ToDispatch(lead_department="gy-market"),
    }
    fields.update(overrides)
    return CaseIntake(**fields)


async def start(client: Client, case: CaseIntake, task_queue: str = TASK_QUEUE) -> CaseHandle:
    return await client.start_workflow(
        CaseWorkflow.run,
        case,
        id=workflow_id(case.case_no),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=initial_search_attributes(case),
    )


async def actions(handle: CaseHandle) -> list[str]:
    state = await handle.query(CaseWorkflow.state)
    return [entry.action for entry in state.timeline]


async def until(
    handle: CaseHandle, predicate: Callable[[CaseState], bool], timeout: float = 15.0
) -> CaseState:
    """Poll the case's state until `predicate` holds (for steps the workflow takes by itself)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            state = await handle.query(CaseWorkflow.state)
        except RPCError:
            state = None
        if state is not None and predicate(state):
            return state
        if loop.time() > deadline:
            raise AssertionError(f"case never reached the expected state: {state}")
        await asyncio.sleep(0.05)


async def started(handle: CaseHandle) -> CaseState:
    """The state once intake has been recorded."""
    return await until(handle, lambda s: bool(s.timeline))


async def drive_to_closure(handle: CaseHandle) -> None:
    """A dispatched complaint: sign-off, reply, approval, satisfied callback."""
    await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"))
    await handle.execute_update(CaseWorkflow.reply, REPLY)
    await handle.execute_update(CaseWorkflow.review_reply, ReplyReview(by="rev", approve=True))
    await handle.execute_update(CaseWorkflow.record_callback, SATISFIED)
    await handle.result()


async def closed_history(client: Client) -> WorkflowHistory:
    """The whole history of a new dispatched complaint driven to closure, once its archive has
    been written (the archive child is the case's last act)."""
    case = intake()
    handle = await start(client, case)
    await drive_to_closure(handle)
    await client.get_workflow_handle(archive_workflow_id(case.case_no)).result()
    return await handle.fetch_history()


async def transition_records(client: Client, history: WorkflowHistory) -> list[TransitionRecord]:
    """Every `record_transition` input of a history, decoded, in order."""
    records = []
    for event in history.events:
        scheduled = event.activity_task_scheduled_event_attributes
        if (
            event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            and scheduled.activity_type.name == "record_transition"
        ):
            payloads = list(scheduled.input.payloads)
            (record,) = await client.data_converter.decode(payloads, [TransitionRecord])
            records.append(record)
    return records


async def advance_to(env: WorkflowEnvironment, handle: CaseHandle, at: datetime) -> None:
    """Move this case's virtual clock to just past `at` (no test sleeps for a deadline)."""
    now = await env.get_current_time(handle)
    await env.fast_forward(handle, max(at - now, timedelta(0)) + timedelta(seconds=5))

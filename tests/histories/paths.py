"""Drivers of every case lifecycle path: run in CI, and recorded as the golden histories.

Each driver starts one case on the test dev server, drives it to CLOSED with the same commands
as the workflow tests (tests/workflows/), asserts that it closed for the expected reason, and
returns its handle. Case numbers are fixed per path (a range the tests' serials never reach),
so a re-recording drives exactly the same cases; deadlines are reached by moving the case's
virtual clock, never by sleeping. Personal data is the builders' fictional caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from models.commands import (
    AddNote,
    AssistInput,
    CallbackResult,
    Dispatch,
    Escalate,
    ExtensionDecision,
    ExtensionRequest,
    MergeCase,
    ReplyReview,
    ReturnCase,
    ReturnReview,
    SignOff,
    Urge,
    Withdraw,
)
from models.enums import (
    CaseStatus,
    CaseType,
    ClosureReason,
    EmergencyLine,
    NotAcceptedReason,
    ReturnReason,
    Satisfaction,
)
from models.intake import (
    CaseIntake,
    DirectAnswer,
    EmergencyHandoff,
    IntakeOutcome,
    MergeInto,
    NotAccepted,
    ThreeWayCall,
    ToDispatch,
)
from models.state import CaseState
from tests.workflows.cases import (
    REPLY,
    SATISFIED,
    CaseHandle,
    advance_to,
    drive_to_closure,
    intake,
    start,
    started,
    until,
)
from workflows.case import CaseWorkflow

Driver = Callable[[WorkflowEnvironment, Client], Awaitable[CaseHandle]]

DISSATISFIED = CallbackResult(
    by="cb-01", reached=True, resolved=False, satisfaction=Satisfaction.DISSATISFIED
)
UNREACHED = CallbackResult(by="cb-01", reached=False)


def case_no(serial: int) -> str:
    """A fixed case number per path: 900001 and up, beyond the serials of next_case_no()."""
    return f"GY20261128-{900_000 + serial:06d}"


def fixed_intake(serial: int, **overrides: Any) -> CaseIntake:
    number = case_no(serial)
    return intake(case_no=number, request_id=f"req-{number}", **overrides)


async def closed(handle: CaseHandle, reason: ClosureReason) -> CaseHandle:
    """The case has closed, for `reason`; its handle."""
    view = await handle.result()
    assert view.status is CaseStatus.CLOSED, view
    assert view.closure_reason is reason, view
    return handle


async def settled(handle: CaseHandle, timeout: float = 15.0) -> None:
    """Wait until the case is idle (no workflow task or activity pending), so a command sent
    next lands after the case's own steps: re-recordings then interleave alike."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        raw = (await handle.describe()).raw_description
        if not raw.HasField("pending_workflow_task") and not raw.pending_activities:
            return
        if loop.time() > deadline:
            raise AssertionError("the case never settled")
        await asyncio.sleep(0.05)


async def dispatched(client: Client, serial: int, **overrides: Any) -> CaseHandle:
    handle = await start(client, fixed_intake(serial, **overrides))
    await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    await settled(handle)
    return handle


async def close_out(handle: CaseHandle, department: str) -> None:
    """Sign-off, reply, approval and a satisfied callback by/for `department`."""
    await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department=department))
    await handle.execute_update(
        CaseWorkflow.reply, REPLY.model_copy(update={"department": department})
    )
    await handle.execute_update(CaseWorkflow.review_reply, ReplyReview(by="rev", approve=True))
    await handle.execute_update(CaseWorkflow.record_callback, SATISFIED)


async def to_callback(client: Client, serial: int) -> CaseHandle:
    handle = await dispatched(client, serial)
    await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"))
    await handle.execute_update(CaseWorkflow.reply, REPLY)
    await handle.execute_update(CaseWorkflow.review_reply, ReplyReview(by="rev", approve=True))
    return handle


async def withdraw(handle: CaseHandle, reason: str) -> None:
    await handle.execute_update(CaseWorkflow.withdraw, Withdraw(by="op", reason=reason))
    await closed(handle, ClosureReason.WITHDRAWN)


def fired(action: str, clock: str) -> Callable[[CaseState], bool]:
    return lambda s: any(e.action == action and e.detail.get("clock") == clock for e in s.timeline)


# ---- intake outcomes --------------------------------------------------------------------------


async def closing_outcome(
    client: Client, serial: int, outcome: IntakeOutcome, reason: ClosureReason
) -> CaseHandle:
    return await closed(await start(client, fixed_intake(serial, outcome=outcome)), reason)


async def direct_answer(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    outcome = DirectAnswer(answer="低保申请请携带身份证到街道办理。", articles=["kb-101"])
    return await closing_outcome(client, 1, outcome, ClosureReason.DIRECT_ANSWER)


async def three_way_call(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    outcome = ThreeWayCall(department="gy-water", officer="李工")
    return await closing_outcome(client, 2, outcome, ClosureReason.THREE_WAY_CALL)


async def emergency_handoff(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    outcome = EmergencyHandoff(line=EmergencyLine.FIRE)
    return await closing_outcome(client, 3, outcome, ClosureReason.EMERGENCY_HANDOFF)


async def not_accepted(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    outcome = NotAccepted(reason=NotAcceptedReason.LITIGATION, proper_route="请向人民法院起诉")
    return await closing_outcome(client, 4, outcome, ClosureReason.NOT_ACCEPTED)


async def merge_at_intake(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    master = await start(client, fixed_intake(105))
    master_no = (await started(master)).intake.case_no
    await settled(master)
    handle = await start(client, fixed_intake(5, outcome=MergeInto(master_case_no=master_no)))
    await closed(handle, ClosureReason.MERGED)
    await until(master, lambda s: case_no(5) in s.merged_cases)
    await withdraw(master, "主案件已由市民撤回")
    return handle


# ---- the dispatched lifecycle -----------------------------------------------------------------


async def dispatch_to_closure(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await start(client, fixed_intake(6))
    await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    await settled(handle)
    await drive_to_closure(handle)
    return await closed(handle, ClosureReason.RESOLVED)


async def dispatch_by_catalogue(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await start(
        client, fixed_intake(7, outcome=ToDispatch(), category="城乡建设/供水/停水")
    )
    await until(handle, lambda s: bool(s.clocks))
    await settled(handle)
    view = await handle.execute_update(CaseWorkflow.dispatch, Dispatch(by="disp-1"))
    assert view.lead_department == "gy-water"
    await close_out(handle, "gy-water")
    return await closed(handle, ClosureReason.RESOLVED)


async def return_approved_redispatched(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await dispatched(client, 8)
    await handle.execute_update(
        CaseWorkflow.return_case,
        ReturnCase(
            by="l",
            department="gy-market",
            reason=ReturnReason.NOT_OUR_DUTY,
            legal_basis="《消费者权益保护法》第三十九条",
        ),
    )
    view = await handle.execute_update(
        CaseWorkflow.review_return,
        ReturnReview(by="rev", approve=True, redispatch_to="gy-housing"),
    )
    assert view.lead_department == "gy-housing"
    await close_out(handle, "gy-housing")
    return await closed(handle, ClosureReason.RESOLVED)


async def return_rejected(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await dispatched(client, 9)
    await handle.execute_update(
        CaseWorkflow.return_case,
        ReturnCase(
            by="l", department="gy-market", reason=ReturnReason.NOT_OUR_DUTY, legal_basis="职责清单"
        ),
    )
    await handle.execute_update(
        CaseWorkflow.review_return, ReturnReview(by="rev", approve=False, note="属于贵单位职责")
    )
    await drive_to_closure(handle)
    return await closed(handle, ClosureReason.RESOLVED)


async def extension_approved(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await dispatched(client, 10)
    await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"))
    await handle.execute_update(
        CaseWorkflow.request_extension,
        ExtensionRequest(by="l", department="gy-market", working_days=5, reason="需现场勘查"),
    )
    await handle.execute_update(
        CaseWorkflow.decide_extension, ExtensionDecision(by="r", approve=True, working_days=3)
    )
    await handle.execute_update(CaseWorkflow.reply, REPLY)
    await handle.execute_update(CaseWorkflow.review_reply, ReplyReview(by="rev", approve=True))
    await handle.execute_update(CaseWorkflow.record_callback, SATISFIED)
    return await closed(handle, ClosureReason.RESOLVED)


async def reply_rejected_redo(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await dispatched(client, 11)
    await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"))
    await handle.execute_update(CaseWorkflow.reply, REPLY)
    await handle.execute_update(
        CaseWorkflow.review_reply, ReplyReview(by="rev", approve=False, note="答复不完整")
    )
    await handle.execute_update(CaseWorkflow.reply, REPLY)
    await handle.execute_update(CaseWorkflow.review_reply, ReplyReview(by="rev", approve=True))
    await handle.execute_update(CaseWorkflow.record_callback, SATISFIED)
    return await closed(handle, ClosureReason.RESOLVED)


async def callback_unreachable(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await to_callback(client, 12)
    for _ in range(3):
        await handle.execute_update(CaseWorkflow.record_callback, UNREACHED)
    return await closed(handle, ClosureReason.CALLBACK_UNREACHABLE)


async def reopen_twice_closed_unresolved(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await to_callback(client, 13)
    for _ in range(2):
        view = await handle.execute_update(CaseWorkflow.record_callback, DISSATISFIED)
        assert view.status is CaseStatus.HANDLING
        await handle.execute_update(CaseWorkflow.reply, REPLY)
        await handle.execute_update(CaseWorkflow.review_reply, ReplyReview(by="r", approve=True))
    await handle.execute_update(CaseWorkflow.record_callback, DISSATISFIED)
    return await closed(handle, ClosureReason.CLOSED_UNRESOLVED)


async def joint_handling_assisting_input(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await dispatched(
        client,
        14,
        outcome=ToDispatch(lead_department="gy-hr", assisting_departments=["gy-market"]),
        category="劳动保障/欠薪",
    )
    await handle.execute_update(
        CaseWorkflow.submit_assist_input,
        AssistInput(by="m", department="gy-market", content="已核查营业执照"),
    )
    await close_out(handle, "gy-hr")
    return await closed(handle, ClosureReason.RESOLVED)


async def praise_sign_off(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await dispatched(client, 15, case_type=CaseType.PRAISE, title="表扬社区工作人员")
    await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"))
    return await closed(handle, ClosureReason.PRAISE_NOTED)


async def praise_closes_itself(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await start(client, fixed_intake(16, case_type=CaseType.PRAISE))
    state = await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    await settled(handle)
    await advance_to(env, handle, state.clock("handling").deadline.due)
    return await closed(handle, ClosureReason.PRAISE_NOTED)


# ---- any time: withdrawal, merge, urging, notes, escalation -----------------------------------


async def withdrawn(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await dispatched(client, 17)
    await withdraw(handle, "市民已自行解决")
    return handle


async def merged_while_open(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    master = await dispatched(client, 118)
    handle = await dispatched(client, 18)
    await handle.execute_update(CaseWorkflow.merge, MergeCase(by="op", master_case_no=case_no(118)))
    await closed(handle, ClosureReason.MERGED)
    await until(master, lambda s: case_no(18) in s.merged_cases)
    await withdraw(master, "主案件已由市民撤回")
    return handle


async def urge_and_note(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await dispatched(client, 19)
    await handle.execute_update(CaseWorkflow.urge, Urge(by="sup-1", note="请尽快签收"))
    await handle.execute_update(CaseWorkflow.add_note, AddNote(by="sup-1", note="市民再次来电"))
    await drive_to_closure(handle)
    return await closed(handle, ClosureReason.RESOLVED)


async def overdue_warning_level2_escalated(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await dispatched(client, 20)
    deadline = (await handle.query(CaseWorkflow.state)).clock("sign_off").deadline
    for at, action in (
        (deadline.warn_at, "deadline_warning"),
        (deadline.due, "deadline_overdue"),
        (deadline.level2_at, "deadline_level2"),
    ):
        await advance_to(env, handle, at)
        await until(handle, fired(action, "sign_off"))
        await settled(handle)
    await handle.signal(CaseWorkflow.escalate, Escalate(level=3, note="政府督查", by="sup-9"))
    await until(handle, lambda s: s.escalation_level == 3)
    await settled(handle)
    await drive_to_closure(handle)
    return await closed(handle, ClosureReason.RESOLVED)


async def supervisor_shortened_deadline(env: WorkflowEnvironment, client: Client) -> CaseHandle:
    handle = await dispatched(client, 21)
    due = (await handle.query(CaseWorkflow.state)).clock("handling").deadline.due
    shorter = due - timedelta(days=1)
    await handle.signal(
        CaseWorkflow.escalate, Escalate(level=2, note="限期办结", by="sup-3", deadline=shorter)
    )
    state = await until(handle, lambda s: s.timeline[-1].actor == "sup-3")
    assert state.clock("handling").deadline.due == shorter
    await settled(handle)
    await drive_to_closure(handle)
    return await closed(handle, ClosureReason.RESOLVED)


PATHS: dict[str, Driver] = {
    driver.__name__: driver
    for driver in (
        direct_answer,
        three_way_call,
        emergency_handoff,
        not_accepted,
        merge_at_intake,
        dispatch_to_closure,
        dispatch_by_catalogue,
        return_approved_redispatched,
        return_rejected,
        extension_approved,
        reply_rejected_redo,
        callback_unreachable,
        reopen_twice_closed_unresolved,
        joint_handling_assisting_input,
        praise_sign_off,
        praise_closes_itself,
        withdrawn,
        merged_while_open,
        urge_and_note,
        overdue_warning_level2_escalated,
        supervisor_shortened_deadline,
    )
}

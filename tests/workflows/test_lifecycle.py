"""The dispatched lifecycle (domain §5) and its refusals, on the real dev server."""

from __future__ import annotations

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from models.commands import (
    AddNote,
    AssistInput,
    CallbackResult,
    Dispatch,
    ExtensionDecision,
    ExtensionRequest,
    MergeCase,
    Reply,
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
    ReplyResult,
    ReturnReason,
    Satisfaction,
)
from models.intake import ToDispatch
from tests.workflows.cases import CaseHandle, actions, intake, start, started, until
from workflows.case import CaseWorkflow

SATISFIED = CallbackResult(
    by="cb-01", reached=True, resolved=True, satisfaction=Satisfaction.SATISFIED
)
DISSATISFIED = CallbackResult(
    by="cb-01", reached=True, resolved=False, satisfaction=Satisfaction.DISSATISFIED
)
UNREACHED = CallbackResult(by="cb-01", reached=False)


def reply(department: str = "gy-market") -> Reply:
    return Reply(
        by="liaison-1",
        department=department,
        result=ReplyResult.RESOLVED,
        content="已约谈商家，商家同意退款。",
        officer="王科长",
    )


async def dispatched(client: Client, **overrides) -> CaseHandle:
    handle = await start(client, intake(**overrides))
    await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    return handle


async def refused(handle: CaseHandle, update, command, reason: str) -> None:
    """The step is refused with `reason` and leaves the case exactly as it was."""
    before = await handle.query(CaseWorkflow.state)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(update, command)
    assert reason in str(caught.value.cause)
    after = await handle.query(CaseWorkflow.state)
    assert after == before


async def test_full_dispatched_lifecycle_to_closure(client: Client) -> None:
    handle = await dispatched(client)
    view = await handle.execute_update(
        CaseWorkflow.sign_off, SignOff(by="liaison-1", department="gy-market")
    )
    assert view.status is CaseStatus.HANDLING
    view = await handle.execute_update(CaseWorkflow.reply, reply())
    assert view.status is CaseStatus.REPLIED
    view = await handle.execute_update(
        CaseWorkflow.review_reply, ReplyReview(by="rev-1", approve=True)
    )
    assert view.status is CaseStatus.CALLBACK  # complaints are always called back
    view = await handle.execute_update(CaseWorkflow.record_callback, SATISFIED)
    assert view.status is CaseStatus.CLOSED
    assert view.closure_reason is ClosureReason.RESOLVED
    result = await handle.result()
    assert result.closure_reason is ClosureReason.RESOLVED
    assert await actions(handle) == [
        "intake",
        "dispatch",
        "sign_off",
        "reply",
        "reply_approved",
        "callback",
    ]
    state = await handle.query(CaseWorkflow.state)
    assert state.replies[0].on_time and state.replies[0].approved
    assert state.clocks == []


async def test_dispatcher_routes_by_catalogue(client: Client) -> None:
    handle = await start(client, intake(outcome=ToDispatch(), category="城乡建设/供水/停水"))
    await until(handle, lambda s: bool(s.clocks))
    view = await handle.execute_update(CaseWorkflow.dispatch, Dispatch(by="disp-1"))
    assert view.lead_department == "gy-water"
    assert view.status is CaseStatus.DISPATCHED


async def test_unknown_category_falls_back_to_district_government(client: Client) -> None:
    handle = await start(client, intake(outcome=ToDispatch(), category="其他/无对应目录"))
    await until(handle, lambda s: bool(s.clocks))
    view = await handle.execute_update(CaseWorkflow.dispatch, Dispatch(by="disp-1"))
    assert view.lead_department == "yunyan-gov"
    state = await handle.query(CaseWorkflow.state)
    assert state.timeline[-1].detail["catalogue_fallback"] is True


async def test_dispatch_to_unknown_department_is_refused(client: Client) -> None:
    handle = await start(client, intake(outcome=ToDispatch()))
    await until(handle, lambda s: bool(s.clocks))
    await refused(
        handle,
        CaseWorkflow.dispatch,
        Dispatch(by="disp-1", lead_department="no-such-dept"),
        "no-such-dept",
    )


async def test_refusals_leave_the_case_unchanged(client: Client) -> None:
    handle = await dispatched(client)
    await refused(
        handle,
        CaseWorkflow.dispatch,
        Dispatch(by="d", lead_department="gy-water"),
        "the case is dispatched, not received",
    )
    await refused(
        handle,
        CaseWorkflow.sign_off,
        SignOff(by="x", department="gy-water"),
        "gy-water holds no assignment",
    )
    await refused(handle, CaseWorkflow.reply, reply(), "the case is dispatched, not handling")
    await refused(handle, CaseWorkflow.record_callback, SATISFIED, "not callback")
    await refused(
        handle, CaseWorkflow.review_return, ReturnReview(by="r", approve=True), "not return_review"
    )
    await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"))
    await refused(
        handle, CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"), "already signed"
    )
    await refused(handle, CaseWorkflow.reply, reply("gy-water"), "only the lead department")
    await refused(
        handle,
        CaseWorkflow.decide_extension,
        ExtensionDecision(by="r", approve=True),
        "no extension request",
    )
    await refused(handle, CaseWorkflow.add_note, AddNote(by="s"), "a note needs text")


async def test_closed_case_refuses_every_step(client: Client) -> None:
    handle = await dispatched(client)
    await handle.execute_update(CaseWorkflow.withdraw, Withdraw(by="op", reason="市民已自行解决"))
    await handle.result()
    with pytest.raises(RPCError, match="already completed"):
        await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"))


async def test_return_approved_then_redispatched(client: Client) -> None:
    handle = await dispatched(client)
    view = await handle.execute_update(
        CaseWorkflow.return_case,
        ReturnCase(
            by="l",
            department="gy-market",
            reason=ReturnReason.NOT_OUR_DUTY,
            legal_basis="《消费者权益保护法》第三十九条",
        ),
    )
    assert view.status is CaseStatus.RETURN_REVIEW
    view = await handle.execute_update(
        CaseWorkflow.review_return,
        ReturnReview(by="rev", approve=True, redispatch_to="gy-housing"),
    )
    assert view.status is CaseStatus.DISPATCHED
    assert view.lead_department == "gy-housing"
    state = await handle.query(CaseWorkflow.state)
    assert [a.department for a in state.assignments if a.active] == ["gy-housing"]
    assert {c.owner for c in state.clocks if c.key != "return_window"} == {"gy-housing"}


async def test_return_rejected_goes_back_with_clock_running(client: Client) -> None:
    handle = await dispatched(client)
    before = await handle.query(CaseWorkflow.state)
    handling_due = before.clock("handling").deadline.due
    await handle.execute_update(
        CaseWorkflow.return_case,
        ReturnCase(
            by="l", department="gy-market", reason=ReturnReason.NOT_OUR_DUTY, legal_basis="职责清单"
        ),
    )
    view = await handle.execute_update(
        CaseWorkflow.review_return, ReturnReview(by="rev", approve=False, note="属于贵单位职责")
    )
    assert view.status is CaseStatus.DISPATCHED
    after = await handle.query(CaseWorkflow.state)
    assert after.clock("handling").deadline.due == handling_due
    assert after.lead.return_rejected


async def test_extension_approved_moves_the_deadline_once(client: Client) -> None:
    handle = await dispatched(client)
    await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"))
    due = (await handle.query(CaseWorkflow.state)).clock("handling").deadline.due
    await handle.execute_update(
        CaseWorkflow.request_extension,
        ExtensionRequest(by="l", department="gy-market", working_days=5, reason="需现场勘查"),
    )
    await refused(
        handle,
        CaseWorkflow.request_extension,
        ExtensionRequest(by="l", department="gy-market", working_days=2, reason="x"),
        "already waiting",
    )
    await refused(
        handle,
        CaseWorkflow.decide_extension,
        ExtensionDecision(by="r", approve=True, working_days=6),
        "5 were requested",
    )
    await handle.execute_update(
        CaseWorkflow.decide_extension, ExtensionDecision(by="r", approve=True, working_days=3)
    )
    state = await handle.query(CaseWorkflow.state)
    clock = state.clock("handling")
    assert clock.original_due == due
    assert clock.deadline.due > due
    assert state.lead.extension_approved_days == 3
    await refused(
        handle,
        CaseWorkflow.request_extension,
        ExtensionRequest(by="l", department="gy-market", working_days=1, reason="x"),
        "one approved extension",
    )


async def test_rejected_reply_is_redone(client: Client) -> None:
    handle = await dispatched(client)
    await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"))
    await handle.execute_update(CaseWorkflow.reply, reply())
    view = await handle.execute_update(
        CaseWorkflow.review_reply, ReplyReview(by="rev", approve=False, note="答复不完整")
    )
    assert view.status is CaseStatus.HANDLING
    state = await handle.query(CaseWorkflow.state)
    assert state.clock("handling").deadline.step.value == "redo"
    await handle.execute_update(CaseWorkflow.reply, reply())
    view = await handle.execute_update(
        CaseWorkflow.review_reply, ReplyReview(by="rev", approve=True)
    )
    assert view.status is CaseStatus.CALLBACK


async def _to_callback(client: Client) -> CaseHandle:
    handle = await dispatched(client)
    await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"))
    await handle.execute_update(CaseWorkflow.reply, reply())
    await handle.execute_update(CaseWorkflow.review_reply, ReplyReview(by="rev", approve=True))
    return handle


async def test_callback_unreachable_after_three_attempts(client: Client) -> None:
    handle = await _to_callback(client)
    for _ in range(2):
        view = await handle.execute_update(CaseWorkflow.record_callback, UNREACHED)
        assert view.status is CaseStatus.CALLBACK
    view = await handle.execute_update(CaseWorkflow.record_callback, UNREACHED)
    assert view.closure_reason is ClosureReason.CALLBACK_UNREACHABLE


async def test_dissatisfied_reopens_twice_then_closes_unresolved(client: Client) -> None:
    handle = await _to_callback(client)
    for round_no in (1, 2):
        view = await handle.execute_update(CaseWorkflow.record_callback, DISSATISFIED)
        assert view.status is CaseStatus.HANDLING
        state = await handle.query(CaseWorkflow.state)
        assert state.reopen_rounds == round_no
        assert state.clock("handling").deadline.step.value == "reopen"
        await handle.execute_update(CaseWorkflow.reply, reply())
        await handle.execute_update(CaseWorkflow.review_reply, ReplyReview(by="r", approve=True))
    view = await handle.execute_update(CaseWorkflow.record_callback, DISSATISFIED)
    assert view.closure_reason is ClosureReason.CLOSED_UNRESOLVED


async def test_reached_callback_needs_satisfaction(client: Client) -> None:
    handle = await _to_callback(client)
    await refused(
        handle,
        CaseWorkflow.record_callback,
        CallbackResult(by="cb", reached=True),
        "needs both satisfaction and resolved",
    )


async def test_joint_handling_with_assisting_department(client: Client) -> None:
    handle = await dispatched(
        client,
        outcome=ToDispatch(lead_department="gy-hr", assisting_departments=["gy-market"]),
        category="劳动保障/欠薪",
    )
    state = await handle.query(CaseWorkflow.state)
    assert state.clock("assist:gy-market") is not None
    await handle.execute_update(
        CaseWorkflow.submit_assist_input,
        AssistInput(by="m", department="gy-market", content="已核查营业执照"),
    )
    await refused(
        handle,
        CaseWorkflow.submit_assist_input,
        AssistInput(by="m", department="gy-market", content="again"),
        "already sent",
    )
    await refused(
        handle,
        CaseWorkflow.submit_assist_input,
        AssistInput(by="m", department="gy-hr", content="x"),
        "not an assisting",
    )
    state = await handle.query(CaseWorkflow.state)
    assert state.clock("assist:gy-market") is None
    assert state.assignments[1].assist_input == "已核查营业执照"


async def test_praise_closes_on_sign_off(client: Client) -> None:
    handle = await dispatched(client, case_type=CaseType.PRAISE, title="表扬社区工作人员")
    view = await handle.execute_update(
        CaseWorkflow.sign_off, SignOff(by="l", department="gy-market")
    )
    assert view.closure_reason is ClosureReason.PRAISE_NOTED


async def test_merge_an_open_case_and_refuse_self_merge(client: Client) -> None:
    master = await dispatched(client)
    master_no = (await started(master)).intake.case_no
    handle = await dispatched(client)
    own_no = (await started(handle)).intake.case_no
    await refused(
        handle, CaseWorkflow.merge, MergeCase(by="op", master_case_no=own_no), "into itself"
    )
    view = await handle.execute_update(
        CaseWorkflow.merge, MergeCase(by="op", master_case_no=master_no)
    )
    assert view.closure_reason is ClosureReason.MERGED
    await until(master, lambda s: own_no in s.merged_cases)


async def test_urge_and_note_are_recorded(client: Client) -> None:
    handle = await dispatched(client)
    await handle.execute_update(CaseWorkflow.urge, Urge(by="sup-1", note="请尽快签收"))
    await handle.execute_update(CaseWorkflow.add_note, AddNote(by="sup-1", note="市民再次来电"))
    assert (await actions(handle))[-2:] == ["urge", "note"]

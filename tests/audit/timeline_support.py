"""Builders for the timeline tests: one case driven through every kind of step, and the CLI.

`full_case` drives a complaint through a return (approved, re-dispatched), an extension request
and its approval, an escalation signal, a manual urging, a warning and an overdue (virtual time
moved past the handling deadline), a late reply, a dissatisfied callback and its reopen, and a
satisfied callback that closes it. It returns what the tests compare the timeline with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory, make_engine, session_factory
from models.commands import (
    CallbackResult,
    Escalate,
    ExtensionDecision,
    ExtensionRequest,
    Reply,
    ReplyReview,
    ReturnCase,
    ReturnReview,
    SignOff,
    Urge,
)
from models.enums import CaseStatus, ReplyResult, ReturnReason, Satisfaction
from models.state import CaseState
from tests.workflows.cases import CaseHandle, advance_to, intake, start, until
from workflows.case import CaseWorkflow

LEGAL_BASIS = "<script>alert('x')</script> 《消费者权益保护法》第三十九条"
PHONE = "13800001234"
NAME = "张三"
ADDRESS = "中华北路1号"

DISSATISFIED = CallbackResult(
    by="cb-01", reached=True, resolved=False, satisfaction=Satisfaction.DISSATISFIED
)
SATISFIED = CallbackResult(
    by="cb-01", reached=True, resolved=True, satisfaction=Satisfaction.SATISFIED
)
REPLY = Reply(
    by="liaison-h",
    department="gy-housing",
    result=ReplyResult.RESOLVED,
    content="已协调物业处理。",
    officer="李科长",
)


@dataclass
class FullCase:
    """The case and what its live state said along the way (to compare the timeline with)."""

    case_no: str
    handle: CaseHandle
    dues: dict[str, list[datetime]] = field(default_factory=dict)  # step -> dues, in order

    def remember(self, state: CaseState, key: str) -> None:
        clock = state.clock(key)
        assert clock is not None, key
        self.dues.setdefault(clock.deadline.step.value, []).append(clock.deadline.due)


async def full_case(env: WorkflowEnvironment, client: Client) -> FullCase:
    case = intake()  # the caller is 张三, 13800001234, at 中华北路1号
    assert case.caller.name == NAME and case.caller.phones == [PHONE]
    handle = await start(client, case)
    full = FullCase(case.case_no, handle)
    state = await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    for key in ("sign_off", "return_window", "handling"):
        full.remember(state, key)

    act = handle.execute_update
    await act(
        CaseWorkflow.return_case,
        ReturnCase(
            by="liaison-m",
            department="gy-market",
            reason=ReturnReason.NOT_OUR_DUTY,
            legal_basis=LEGAL_BASIS,
        ),
    )
    full.remember(await handle.query(CaseWorkflow.state), "return_review")
    await act(
        CaseWorkflow.review_return,
        ReturnReview(by="rev-1", approve=True, redispatch_to="gy-housing"),
    )
    state = await handle.query(CaseWorkflow.state)
    for key in ("sign_off", "return_window", "handling"):
        full.remember(state, key)
    await act(CaseWorkflow.sign_off, SignOff(by="liaison-h", department="gy-housing"))
    await act(
        CaseWorkflow.request_extension,
        ExtensionRequest(
            by="liaison-h", department="gy-housing", working_days=3, reason="需现场勘查"
        ),
    )
    full.remember(await handle.query(CaseWorkflow.state), "extension_review")
    await act(CaseWorkflow.decide_extension, ExtensionDecision(by="rev-2", approve=True))
    state = await handle.query(CaseWorkflow.state)
    full.remember(state, "handling")

    await handle.signal(CaseWorkflow.escalate, Escalate(level=2, note="媒体关注", by="sup-1"))
    await until(handle, lambda s: s.escalation_level == 2)
    await act(CaseWorkflow.urge, Urge(by="sup-2", note="请加快办理"))

    handling = state.clock("handling")
    assert handling is not None
    await advance_to(env, handle, handling.deadline.due)
    await until(handle, lambda s: s.overdue)

    await act(CaseWorkflow.reply, REPLY)
    full.remember(await handle.query(CaseWorkflow.state), "reply_review")
    await act(CaseWorkflow.review_reply, ReplyReview(by="rev-3", approve=True))
    full.remember(await handle.query(CaseWorkflow.state), "callback")
    await act(CaseWorkflow.record_callback, DISSATISFIED)
    full.remember(await handle.query(CaseWorkflow.state), "handling")  # the reopen clock
    await act(CaseWorkflow.reply, REPLY)
    full.remember(await handle.query(CaseWorkflow.state), "reply_review")
    await act(CaseWorkflow.review_reply, ReplyReview(by="rev-3", approve=True))
    full.remember(await handle.query(CaseWorkflow.state), "callback")
    await act(CaseWorkflow.record_callback, SATISFIED)
    await handle.result()
    return full


def sessions(database_url: str) -> SessionFactory:
    return session_factory(make_engine(database_url))

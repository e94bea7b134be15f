"""services.cases on the real dev server: idempotent intake, failure translation; case lists."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from temporalio.client import Client

from db.engine import make_engine, session_factory
from models.commands import Escalate, Reply, SignOff
from models.enums import CaseStatus, CaseType, ClosureReason, ReplyResult
from models.errors import CaseActionError
from models.intake import CaseIntake
from services.case_list import list_cases
from services.case_query import case_filter
from services.cases import (
    CaseQueryError,
    IntakeRequest,
    act,
    escalate,
    open_case,
    show,
)
from tests.conftest import TASK_QUEUE
from workflows.case import CaseWorkflow, workflow_id


def request(**overrides: Any) -> IntakeRequest:
    fields: dict[str, Any] = {
        "request_id": uuid.uuid4().hex,
        "operator_id": "op-001",
        "caller": {"name": "李四", "phones": ["13900005678"]},
        "location": {"district": "南明区", "street": "花果园街道"},
        "case_type": CaseType.COMPLAINT,
        "category": "市场监管/消费投诉",
        "title": "商家拒绝退款",
        "content": "购买的商品有质量问题，商家拒绝退款。",
        "outcome": {"kind": "dispatch", "lead_department": "gy-market"},
    }
    fields.update(overrides)
    return IntakeRequest.model_validate(fields)


@pytest.fixture
def sessions(database_url: str):
    return session_factory(make_engine(database_url))


async def runs(client: Client, case_no: str) -> int:
    """How many executions the visibility store holds for the case's workflow id."""
    query = f"WorkflowId='{workflow_id(case_no)}'"
    for _ in range(100):
        count = (await client.count_workflows(query)).count
        if count:
            return count
        await asyncio.sleep(0.05)
    return 0


def test_intake_request_is_case_intake_without_case_no() -> None:
    assert set(IntakeRequest.model_fields) == set(CaseIntake.model_fields) - {
        "case_no",
        "retrieval_code",
    }
    intake = request().to_intake("GY20261128-000001")
    assert intake.case_no == "GY20261128-000001"
    assert intake.outcome.kind == "dispatch"


async def test_open_case_is_idempotent_per_request_id(client: Client, sessions) -> None:
    intake = request()
    first = await open_case(client, sessions, intake, TASK_QUEUE)
    assert first.version >= 1
    assert first.status in (CaseStatus.RECEIVED, CaseStatus.DISPATCHED)
    handle = client.get_workflow_handle(workflow_id(first.case_no))
    run_id = (await handle.describe()).run_id

    again = await open_case(client, sessions, intake, TASK_QUEUE)
    racing = await asyncio.gather(*(open_case(client, sessions, intake, TASK_QUEUE) for _ in "abc"))

    assert {again.case_no, *(v.case_no for v in racing)} == {first.case_no}
    assert (await handle.describe()).run_id == run_id
    assert await runs(client, first.case_no) == 1

    other = await open_case(client, sessions, request(), TASK_QUEUE)
    assert other.case_no != first.case_no


async def test_repeat_of_a_case_closed_at_intake_returns_its_view(client: Client, sessions) -> None:
    answered = request(outcome={"kind": "direct_answer", "answer": "请拨打商家客服电话。"})
    first = await open_case(client, sessions, answered, TASK_QUEUE)
    assert first.status is CaseStatus.CLOSED
    again = await open_case(client, sessions, answered, TASK_QUEUE)
    assert again == first


async def test_act_runs_a_step_once_per_request_id(client: Client, sessions) -> None:
    view = await open_case(client, sessions, request(), TASK_QUEUE)
    sign = SignOff(by="liaison-1", department="gy-market")
    step_id = uuid.uuid4().hex
    signed = await act(client, view.case_no, CaseWorkflow.sign_off, sign, request_id=step_id)
    assert signed.status is CaseStatus.HANDLING
    repeated = await act(client, view.case_no, CaseWorkflow.sign_off, sign, request_id=step_id)
    assert repeated == signed
    state = await show(client, view.case_no)
    assert [e.action for e in state.timeline].count("sign_off") == 1


async def test_act_translates_failures(client: Client, sessions) -> None:
    view = await open_case(client, sessions, request(), TASK_QUEUE)
    reply = Reply(
        by="liaison-1",
        department="gy-market",
        result=ReplyResult.RESOLVED,
        content="已处理。",
        officer="王科长",
    )
    with pytest.raises(CaseActionError) as refused:
        await act(client, view.case_no, CaseWorkflow.reply, reply)
    assert str(refused.value) == "cannot reply: the case is dispatched, not handling"

    with pytest.raises(CaseActionError) as missing:
        await act(client, "GY19990101-999999", CaseWorkflow.reply, reply)
    assert str(missing.value) == "no case GY19990101-999999"

    closed = await open_case(
        client, sessions, request(outcome={"kind": "emergency_handoff", "line": "120"}), TASK_QUEUE
    )
    assert closed.closure_reason is ClosureReason.EMERGENCY_HANDOFF
    await client.get_workflow_handle(workflow_id(closed.case_no)).result()
    with pytest.raises(CaseActionError) as finished:
        await act(client, closed.case_no, CaseWorkflow.reply, reply)
    assert str(finished.value) == f"case {closed.case_no} is closed"

    with pytest.raises(CaseActionError) as unknown:
        await escalate(client, "GY19990101-999999", Escalate(level=2, by="sup-1"))
    assert str(unknown.value) == "no case GY19990101-999999"
    with pytest.raises(CaseActionError) as gone:
        await escalate(client, closed.case_no, Escalate(level=2, by="sup-1"))
    assert str(gone.value) == f"case {closed.case_no} is closed"
    with pytest.raises(CaseActionError) as nothing:
        await show(client, "GY19990101-999999")
    assert str(nothing.value) == "no case GY19990101-999999"


async def test_list_cases_reads_the_case_list(client: Client, sessions) -> None:
    view = await open_case(client, sessions, request(), TASK_QUEUE)
    query = f"WorkflowId='{workflow_id(view.case_no)}' AND LeadDepartment='gy-market'"
    for _ in range(100):
        listed = list_cases(sessions, case_filter(query)).items
        if listed:
            break
        await asyncio.sleep(0.05)
    assert len(listed) == 1
    listing = listed[0]
    assert listing.case_no == view.case_no
    assert listing.status is CaseStatus.DISPATCHED
    assert listing.case_type is CaseType.COMPLAINT
    assert listing.district == "南明区"
    assert listing.lead_department == "gy-market"
    assert listing.escalation_level == 0
    assert listing.overdue is False
    assert listing.next_deadline is not None

    with pytest.raises(CaseQueryError):
        case_filter("NoSuchAttribute='x'")


async def test_intake_to_an_unknown_department_waits_for_dispatch(client: Client, sessions):
    unknown = request(outcome={"kind": "dispatch", "lead_department": "no-such-dept"})
    view = await open_case(client, sessions, unknown, TASK_QUEUE)
    assert view.status is CaseStatus.RECEIVED
    assert view.lead_department is None
    assert view.next_deadline is not None  # the dispatch clock runs
    state = await show(client, view.case_no)
    assert any("no-such-dept" in warning for warning in state.warnings)

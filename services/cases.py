"""Case operations on the Temporal client: open a case, act on it, signal it, read it, and list
the cases with an open fault (every other list is the SQL one of `services.case_list`).

Every failure a user can cause (a refused step, an unknown or closed case, a bad list query) is
raised as `CaseActionError` with a one-line message fit to show as is. Personal data (caller
name, phones, address) is never logged and never put into a workflow or update id.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import (
    ActivityError,
    ChildWorkflowError,
    FailureError,
    WorkflowAlreadyStartedError,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from activities.store import allocate_case_no, retrieval_code
from db.engine import SessionFactory
from knowledge.articles import unpublished_references
from models import search_attributes as sa
from models.commands import Escalate
from models.enums import CaseStatus, CaseType, Urgency
from models.errors import CaseActionError, CaseNotFoundError, RefusedError
from models.intake import CaseIntake, DirectAnswer, IntakeRecord, ToDispatch
from models.state import CaseState, CaseView
from rules.dispatch import check_assisting_has_lead
from rules.phrases import WordingFinding
from services.case_list import CaseListing
from services.phrases import check_wording
from workflows.case import CaseWorkflow, workflow_id
from workflows.case.views import initial_search_attributes

CASE_WORKFLOW_QUERY = "WorkflowType='CaseWorkflow'"
FAULTED_QUERY = "Faulted = true"
INTAKE_TIMEOUT = timedelta(seconds=15)
INTAKE_POLL_INTERVAL = 0.1
INTAKE_CHECK_INTERVAL = 1.0
QUERY_RPC_TIMEOUT = timedelta(seconds=10)

CommandT = TypeVar("CommandT", bound=BaseModel)
CaseHandle = WorkflowHandle[CaseWorkflow, CaseView]


class CaseQueryError(CaseActionError):
    """A list query that cannot be read, or that the server does not accept."""


class CaseClosedError(CaseActionError):
    """The case is closed: no further step."""


class ForbiddenWordingError(RefusedError, ValueError):
    """A reply to the citizen holds wording of the service phrases' forbidden list."""

    def __init__(self, findings: list[WordingFinding]) -> None:
        self.listed = "; ".join(finding.plain() for finding in findings)
        super().__init__(f"content: forbidden wording: {self.listed}")


class IntakeArticlesError(RefusedError, ValueError):
    """A direct answer names articles that are not published in the knowledge base."""

    def __init__(self, references: list[str], all_references: list[str]) -> None:
        self.fields = [f"outcome.articles[{all_references.index(ref)}]" for ref in references]
        listed = ", ".join(
            f"{field}: {ref!r} is not a published article"
            for field, ref in zip(self.fields, references, strict=True)
        )
        super().__init__(listed)
        self.references = references


class IntakeRequest(IntakeRecord):
    """An operator's intake before it has a case number.

    `request_id` identifies the intake attempt: repeating it (a retried submit) gets the same
    case number and the same case.
    """

    def to_intake(self, case_no: str, code: str | None = None) -> CaseIntake:
        return CaseIntake.model_validate({**dict(self), "case_no": case_no, "retrieval_code": code})


async def open_case(
    client: Client,
    sessions: SessionFactory,
    request: IntakeRequest,
    task_queue: str,
    now: datetime | None = None,
) -> CaseView:
    """Take in one contact: allocate its case number, start its workflow, return its first view.

    The workflow is started and asked for its first view in one call (update-with-start of the
    read-only `intake_recorded` Update), which returns once the intake is recorded: no polling.
    A repeated request id gets the same case number and the same Update id, so the running case
    answers again (no second case, no error); a case whose workflow has already completed is
    read with the `view` Query.
    """
    now = now or datetime.now(UTC)
    if isinstance(request.outcome, DirectAnswer) and request.outcome.articles:
        references = request.outcome.articles
        unknown = await asyncio.to_thread(unpublished_references, sessions, references)
        if unknown:
            raise IntakeArticlesError(unknown, references)
    if isinstance(request.outcome, ToDispatch):
        check_assisting_has_lead(
            request.outcome.lead_department, request.outcome.assisting_departments
        )
    await asyncio.to_thread(check_direct_answer, sessions, request)
    case_no = await asyncio.to_thread(allocate_case_no, sessions, request.request_id, now)
    code = await asyncio.to_thread(retrieval_code, sessions, case_no)
    intake = request.to_intake(case_no, code)
    start = WithStartWorkflowOperation(
        CaseWorkflow.run,
        intake,
        id=workflow_id(case_no),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=initial_search_attributes(intake),
    )
    handle = _handle(client, case_no)
    try:
        return await asyncio.wait_for(
            client.execute_update_with_start_workflow(
                CaseWorkflow.intake_recorded,
                start_workflow_operation=start,
                id=f"intake-{request.request_id}",
            ),
            INTAKE_TIMEOUT.total_seconds(),
        )
    except WorkflowAlreadyStartedError:
        # A repeated request whose case's workflow has already completed: read its last view.
        return await poll_intake_recorded(handle, case_no, task_queue)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
        await _raise_if_ended(handle, case_no)
        raise CaseActionError(_intake_not_recorded(case_no, task_queue)) from err
    except WorkflowUpdateFailedError as err:
        raise CaseActionError(
            f"case {case_no} could not be taken in: {_failure_message(err.cause)}"
        ) from err
    except RPCError as err:
        await _raise_if_ended(handle, case_no)
        raise await _rpc_failure(handle, case_no, err) from err


def check_direct_answer(sessions: SessionFactory, intake: IntakeRecord) -> None:
    """ForbiddenWordingError if the intake's direct answer holds forbidden wording: a direct
    answer (直接答复) is said to the citizen, as a department's reply is, so the same check
    (`services.phrases.check_wording`, the current forbidden list) refuses it."""
    if not isinstance(intake.outcome, DirectAnswer):
        return
    findings = check_wording(sessions, intake.outcome.answer)
    if findings:
        raise ForbiddenWordingError(findings)


async def act(
    client: Client,
    case_no: str,
    update: UpdateMethodMultiParam[[CaseWorkflow, CommandT], CaseView],
    command: CommandT,
    request_id: str | None = None,
) -> CaseView:
    """Run one human step (a CaseWorkflow Update) on a case and return where the case stands.

    `request_id` is the update id: a retried submit with the same id runs the step once.
    """
    handle = _handle(client, case_no)
    try:
        return await handle.execute_update(update, command, id=request_id)
    except WorkflowUpdateFailedError as err:
        raise CaseActionError(_failure_message(err.cause)) from err
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        raise CaseActionError(
            f"case {case_no} did not answer in time; retry with the same request id"
        ) from err
    except RPCError as err:
        raise await _rpc_failure(handle, case_no, err) from err


async def escalate(client: Client, case_no: str, request: Escalate) -> None:
    """Send the `escalate` Signal; the case applies it as soon as its worker runs it."""
    handle = _handle(client, case_no)
    try:
        await handle.signal(CaseWorkflow.escalate, request)
    except RPCError as err:
        raise await _rpc_failure(handle, case_no, err) from err


async def show(client: Client, case_no: str) -> CaseState:
    """The full state of a case, open or closed (it includes the caller's personal data)."""
    handle = _handle(client, case_no)
    try:
        return await handle.query(CaseWorkflow.state, rpc_timeout=QUERY_RPC_TIMEOUT)
    except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as err:
        raise CaseActionError(f"case {case_no} cannot be read: {err}") from err
    except RPCError as err:
        raise await _rpc_failure(handle, case_no, err, reading=True) from err


async def faulted_cases(client: Client, limit: int = 50) -> list[CaseListing]:
    """The cases with an open fault, at most `limit`: the `Faulted` search attribute (the SQL
    case list does not keep faults)."""
    query = f"{CASE_WORKFLOW_QUERY} AND {FAULTED_QUERY}"
    try:
        return [
            _listing(execution) async for execution in client.list_workflows(query, limit=limit)
        ]
    except RPCError as err:
        if err.status is RPCStatusCode.INVALID_ARGUMENT:
            raise CaseQueryError(f"invalid query: {err.message}") from err
        raise


# ---- private ------------------------------------------------------------------------------------


def _handle(client: Client, case_no: str) -> CaseHandle:
    return client.get_workflow_handle_for(CaseWorkflow.run, workflow_id(case_no))


async def poll_intake_recorded(handle: CaseHandle, case_no: str, task_queue: str) -> CaseView:
    """Poll the `view` Query until the workflow has recorded the intake and its outcome.

    Recorded means the intake and the outcome's first steps (closure, dispatch to a named lead,
    or the dispatch clock) are written to SQL, as the workflow reports in `intake_complete`.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + INTAKE_TIMEOUT.total_seconds()
    next_check = started + INTAKE_CHECK_INTERVAL
    view: CaseView | None = None
    while True:
        try:
            view = await handle.query(CaseWorkflow.view, rpc_timeout=QUERY_RPC_TIMEOUT)
        except (RPCError, WorkflowQueryFailedError):
            view = None  # no workflow task completed yet
        if view is not None and _intake_settled(view):
            return view
        now = loop.time()
        if now >= next_check:
            next_check = now + INTAKE_CHECK_INTERVAL
            await _raise_if_ended(handle, case_no)
        if now >= deadline:
            raise CaseActionError(_intake_not_recorded(case_no, task_queue))
        await asyncio.sleep(INTAKE_POLL_INTERVAL)


def _intake_not_recorded(case_no: str, task_queue: str) -> str:
    return (
        f"case {case_no} was started but its intake was not recorded within "
        f"{INTAKE_TIMEOUT.total_seconds():.0f}s: is a worker polling task queue {task_queue}?"
    )


def _intake_settled(view: CaseView) -> bool:
    return view.intake_complete


async def _raise_if_ended(handle: CaseHandle, case_no: str) -> None:
    """A case workflow that ended without closing its case failed: say why."""
    try:
        description = await handle.describe()
    except RPCError:
        return
    if description.status is WorkflowExecutionStatus.RUNNING:
        return
    reason = description.status.name.lower() if description.status else "ended"
    try:
        await handle.result(follow_runs=False)
    except WorkflowFailureError as err:
        reason = _failure_message(err.cause)
    raise CaseActionError(f"case {case_no} could not be taken in: {reason}")


async def _rpc_failure(
    handle: CaseHandle, case_no: str, err: RPCError, reading: bool = False
) -> Exception:
    """Translate a server error on one case: unknown case, closed case, or the error itself."""
    if err.status is not RPCStatusCode.NOT_FOUND:
        if reading and err.status is RPCStatusCode.DEADLINE_EXCEEDED:
            return CaseActionError(f"case {case_no} did not answer: is a worker running?")
        return err
    try:
        description = await handle.describe()
    except RPCError as missing:
        if missing.status is RPCStatusCode.NOT_FOUND:
            return CaseNotFoundError(f"no case {case_no}")
        return missing
    if description.status is not WorkflowExecutionStatus.RUNNING:
        return CaseClosedError(f"case {case_no} is closed")
    return CaseActionError(f"case {case_no}: {err.message}")


def _failure_message(cause: BaseException) -> str:
    """The message of a failure, looking through the generic wrappers (activity, child)."""
    while isinstance(cause, ActivityError | ChildWorkflowError) and cause.__cause__ is not None:
        cause = cause.__cause__
    if isinstance(cause, FailureError):
        return cause.message
    return str(cause) or type(cause).__name__


def _listing(execution: WorkflowExecution) -> CaseListing:
    attributes = execution.typed_search_attributes
    prefix = workflow_id("")
    return CaseListing(
        case_no=execution.id.removeprefix(prefix),
        status=_member(CaseStatus, attributes.get(sa.CASE_STATUS)),
        case_type=_member(CaseType, attributes.get(sa.CASE_TYPE)),
        urgency=_member(Urgency, attributes.get(sa.URGENCY)),
        lead_department=attributes.get(sa.LEAD_DEPARTMENT),
        district=attributes.get(sa.DISTRICT),
        escalation_level=attributes.get(sa.ESCALATION_LEVEL) or 0,
        overdue=bool(attributes.get(sa.OVERDUE)),
        next_deadline=attributes.get(sa.NEXT_DEADLINE),
    )


EnumT = TypeVar("EnumT", bound=StrEnum)


def _member(enum: type[EnumT], value: str | None) -> EnumT | None:
    try:
        return enum(value) if value is not None else None
    except ValueError:
        return None

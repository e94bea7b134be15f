"""CaseWorkflow: one 12345 case from intake to closure (domain §4-§7, standard chapter 6).

Read top to bottom it follows the process: intake outcome, dispatch, sign-off, return and its
review, extension, joint handling, reply and its review, redo, callback, reopen, withdrawal,
merge and closure. Every time limit is a clock; the main loop sleeps until the next milestone
of any clock (warning, overdue, level 2) or until a human step moves the clocks.

Work that fails for a reason no retry can fix (bad data, `activities/failures.py`) neither fails
the case nor stalls it: the case records a fault (`CaseState.faults`, search attribute
`Faulted`), keeps its clocks and steps going, and holds the transitions it could not write until
an administrator fixes the cause and runs the `retry_faults` Update. A closed case with an open
fault waits for that retry before it completes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from models import search_attributes as sa
    from models.commands import (
        AddNote,
        AssistInput,
        CallbackResult,
        Dispatch,
        Escalate,
        ExtensionDecision,
        ExtensionRequest,
        MergeCase,
        MergedCaseLink,
        Reply,
        ReplyReview,
        RetryFaults,
        ReturnCase,
        ReturnReview,
        SignOff,
        Urge,
        Withdraw,
    )
    from models.enums import (
        CaseStatus,
        CaseType,
        ClockStage,
        ClosureReason,
        IntakeOutcomeKind,
        Step,
    )
    from models.intake import CaseIntake, MergeInto, ToDispatch
    from models.records import (
        ArchiveRequest,
        DeadlineRequest,
        Notification,
        Route,
        RouteRequest,
        Transition,
        TransitionRecord,
    )
    from models.state import (
        Assignment,
        CallbackRecord,
        CaseFault,
        CaseState,
        CaseView,
        Clock,
        Deadline,
        ReplyRecord,
        TimelineEntry,
    )
    from rules import callback as callback_rules
    from rules import escalation as escalation_rules
    from rules import time_limits
    from rules.calendar import SHANGHAI
    from workflows.archive import ArchiveCaseWorkflow, archive_workflow_id
    from workflows.case_views import (
        case_view,
        current_search_attributes,
        projection,
        search_attribute_updates,
        search_attributes,
    )
    from workflows.ladder import earlier_stage, next_milestone, stage_at

CENTRE = "centre"
CITIZEN = "citizen"
DB_TIMEOUT = timedelta(seconds=10)
DB_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
ROUTE_RETRY = RetryPolicy(
    maximum_interval=timedelta(seconds=30), non_retryable_error_types=["NoRouteError"]
)
# Clocks owned by a department; their overdue raises the case's escalation level.
DEPARTMENT_STEPS = frozenset({Step.SIGN_OFF, Step.HANDLING, Step.REDO, Step.REOPEN})
HANDLING_KEY = "handling"
ARCHIVE_HISTORY_PATCH = "archive-history-at-closure"
FAULTS_PATCH = "faults-instead-of-failures"
ESCALATION_DEADLINE_OFFSET_PATCH = "escalation-deadline-needs-offset"
NAIVE_DEADLINE_REASON = "deadline: needs a UTC offset (+08:00 for Beijing time, or Z for UTC)"
RECORD_TRANSITION = "record_transition"
ARCHIVE_CASE = "archive_case"

RetryWork = Callable[[], Awaitable[ApplicationError | None]]


def workflow_id(case_no: str) -> str:
    return f"case-{case_no}"


def refuse(message: str) -> ApplicationError:
    return ApplicationError(message, type="StepRefused", non_retryable=True)


@workflow.defn
class CaseWorkflow:
    @workflow.init
    def __init__(self, intake: CaseIntake) -> None:
        self._state = CaseState(intake=intake, received_at=intake.received_at or workflow.now())
        self._lock = asyncio.Lock()
        self._armed_for: datetime | None = None
        self._intake_complete = False
        self._search_attributes = current_search_attributes(workflow.info().typed_search_attributes)
        self._status_before_return: CaseStatus | None = None
        self._state.limits_edition = self._pin_limits_edition()
        # Transitions not written to SQL yet, oldest first: since a write of them met bad data,
        # every later one waits too (the log is a hash chain) until `retry_faults`.
        self._unrecorded: list[TransitionRecord] = []
        self._retry_work: dict[int, RetryWork] = {}

    @workflow.run
    async def run(self, intake: CaseIntake) -> CaseView:
        async with self._lock:
            await self._take_intake(intake)
            self._intake_complete = True
        while self._state.status is not CaseStatus.CLOSED:
            await self._sleep_until_next_milestone()
            async with self._lock:
                await self._fire_due_milestones()
        # A closed case completes once every fault is retried: its history stays open for it.
        await workflow.wait_condition(
            lambda: not self._state.open_faults and workflow.all_handlers_finished()
        )
        await self._archive()
        return case_view(self._state)

    # ---- queries --------------------------------------------------------------------------

    @workflow.query
    def state(self) -> CaseState:
        return self._state

    @workflow.query
    def view(self) -> CaseView:
        return case_view(self._state, self._intake_complete)

    # ---- dispatch -------------------------------------------------------------------------

    @workflow.update
    async def dispatch(self, command: Dispatch) -> CaseView:
        async with self._lock:
            self._check_dispatch(command)
            await self._dispatch(
                command.by, command.lead_department, command.assisting_departments, command.note
            )
            return case_view(self._state)

    @dispatch.validator
    def _check_dispatch(self, command: Dispatch) -> None:
        self._require_status(CaseStatus.RECEIVED, step="dispatch")

    @workflow.update
    async def sign_off(self, command: SignOff) -> CaseView:
        async with self._lock:
            self._check_sign_off(command)
            state = self._state
            assignment = self._assignment(command.department)
            assert assignment is not None
            assignment.signed_at = workflow.now()
            assignment.signed_by = command.by
            if not assignment.lead:
                await self._record(
                    "sign_off",
                    command.by,
                    state.status,
                    {"department": command.department, "assisting": True},
                )
                return case_view(state)
            self._drop_clock(Step.SIGN_OFF.value)
            if state.intake.case_type is CaseType.PRAISE:
                await self._close(
                    ClosureReason.PRAISE_NOTED,
                    "sign_off",
                    command.by,
                    {"department": command.department},
                )
            else:
                await self._record(
                    "sign_off", command.by, CaseStatus.HANDLING, {"department": command.department}
                )
            return case_view(state)

    @sign_off.validator
    def _check_sign_off(self, command: SignOff) -> None:
        self._require_open("sign off")
        assignment = self._assignment(command.department)
        if assignment is None:
            raise refuse(f"department {command.department} holds no assignment on this case")
        if assignment.signed_at is not None:
            raise refuse(f"department {command.department} has already signed for this case")
        if assignment.lead:
            self._require_status(CaseStatus.DISPATCHED, step="sign off")

    # ---- return and its review --------------------------------------------------------------

    @workflow.update
    async def return_case(self, command: ReturnCase) -> CaseView:
        async with self._lock:
            self._check_return(command)
            state = self._state
            lead = state.lead
            assert lead is not None
            lead.returned_at = workflow.now()
            lead.return_reason = command.reason.value
            self._status_before_return = state.status
            self._drop_clock(Step.SIGN_OFF.value)
            review = await self._deadlines(Step.RETURN_REVIEW)
            self._set_clock(Step.RETURN_REVIEW.value, CENTRE, review[0])
            await self._record(
                "return",
                command.by,
                CaseStatus.RETURN_REVIEW,
                {
                    "department": command.department,
                    "reason": command.reason.value,
                    "legal_basis": command.legal_basis,
                    "note": command.note,
                },
                [
                    self._notice(
                        "return_notice",
                        CENTRE,
                        department=command.department,
                        reason=command.reason.value,
                        legal_basis=command.legal_basis,
                    )
                ],
            )
            return case_view(state)

    @return_case.validator
    def _check_return(self, command: ReturnCase) -> None:
        self._require_status(CaseStatus.DISPATCHED, CaseStatus.HANDLING, step="return")
        lead = self._state.lead
        if lead is None or lead.department != command.department:
            raise refuse(f"only the lead department can return this case, not {command.department}")
        window = self._state.clock(Step.RETURN_WINDOW.value)
        if window is not None and workflow.now() > window.deadline.due:
            raise refuse(
                f"the return window closed at {_local(window.deadline.due)}; "
                "handle the case or ask for an extension"
            )
        if lead.replies:
            raise refuse("the department has already replied; a return is no longer possible")

    @workflow.update
    async def review_return(self, command: ReturnReview) -> CaseView:
        async with self._lock:
            self._check_review_return(command)
            state = self._state
            lead = state.lead
            assert lead is not None
            route = (
                await self._route(command.redispatch_to, [])
                if command.approve and command.redispatch_to
                else None
            )
            self._drop_clock(Step.RETURN_REVIEW.value)
            if command.approve:
                lead.active = False
                for assignment in state.assignments:
                    assignment.active = False
                for clock in list(state.clocks):
                    self._drop_clock(clock.key)
                await self._record(
                    "return_approved",
                    command.by,
                    CaseStatus.RECEIVED,
                    {"department": lead.department, "note": command.note},
                )
                if route is not None:
                    await self._assign(route, command.by, command.note)
                else:
                    await self._start_dispatch_clock()
            else:
                lead.return_rejected = True
                previous = self._status_before_return or CaseStatus.DISPATCHED
                if previous is CaseStatus.DISPATCHED:
                    sign_off = await self._deadlines(Step.SIGN_OFF)
                    self._set_clock(Step.SIGN_OFF.value, lead.department, sign_off[0])
                await self._record(
                    "return_rejected",
                    command.by,
                    previous,
                    {"department": lead.department, "note": command.note},
                    [
                        self._notice(
                            "return_notice",
                            lead.department,
                            approved=False,
                            reason=lead.return_reason or "",
                            note=command.note or "",
                            handling_due=_due(state.clock(HANDLING_KEY)),
                        )
                    ],
                )
            return case_view(state)

    @review_return.validator
    def _check_review_return(self, command: ReturnReview) -> None:
        self._require_status(CaseStatus.RETURN_REVIEW, step="review a return")
        if not command.approve and command.redispatch_to:
            raise refuse("redispatch_to goes with an approved return only")

    # ---- extension ----------------------------------------------------------------------------

    @workflow.update
    async def request_extension(self, command: ExtensionRequest) -> CaseView:
        async with self._lock:
            self._check_extension_request(command)
            lead = self._state.lead
            assert lead is not None
            lead.extension_requested_days = command.working_days
            lead.extension_requested_at = workflow.now()
            lead.extension_decided = False
            review = await self._deadlines(Step.EXTENSION_REVIEW)
            self._set_clock(Step.EXTENSION_REVIEW.value, CENTRE, review[0])
            await self._record(
                "extension_requested",
                command.by,
                self._state.status,
                {
                    "department": command.department,
                    "working_days": command.working_days,
                    "reason": command.reason,
                },
            )
            return case_view(self._state)

    @request_extension.validator
    def _check_extension_request(self, command: ExtensionRequest) -> None:
        self._require_status(CaseStatus.HANDLING, step="request an extension")
        lead = self._state.lead
        if lead is None or lead.department != command.department:
            raise refuse(
                f"only the lead department can ask for an extension, not {command.department}"
            )
        if lead.extension_requested_days is not None and not lead.extension_decided:
            raise refuse("an extension request is already waiting for the centre's decision")
        if lead.extension_approved_days > 0:
            raise refuse("this assignment already had its one approved extension")
        clock = self._state.clock(HANDLING_KEY)
        if clock is None:
            raise refuse("there is no running handling deadline to extend")
        due = _local(clock.deadline.due)
        cutoff = datetime.combine(due.date(), time_limits.EXTENSION_CUTOFF, tzinfo=SHANGHAI)
        if workflow.now() >= min(cutoff, due):
            raise refuse(
                f"an extension must be requested before {cutoff:%Y-%m-%d %H:%M} "
                f"(deadline {due:%Y-%m-%d %H:%M})"
            )

    @workflow.update
    async def decide_extension(self, command: ExtensionDecision) -> CaseView:
        async with self._lock:
            self._check_extension_decision(command)
            state = self._state
            lead = state.lead
            assert lead is not None and lead.extension_requested_days is not None
            lead.extension_decided = True
            self._drop_clock(Step.EXTENSION_REVIEW.value)
            detail: dict[str, Any] = {"department": lead.department, "approved": command.approve}
            if command.approve:
                granted = command.working_days or lead.extension_requested_days
                lead.extension_approved_days = granted
                clock = state.clock(HANDLING_KEY)
                assert clock is not None
                (moved,) = await self._deadlines(
                    clock.deadline.step, extend_due=clock.deadline.due, extra_working_days=granted
                )
                moved = moved.model_copy(update={"start": clock.deadline.start})
                self._set_clock(
                    HANDLING_KEY,
                    lead.department,
                    moved,
                    original_due=clock.original_due or clock.deadline.due,
                )
                detail |= {"working_days": granted, "new_due": moved.due.isoformat()}
            await self._record(
                "extension_decided",
                command.by,
                state.status,
                detail,
                [
                    self._notice(
                        "extension_decision",
                        lead.department,
                        approved=command.approve,
                        working_days=detail.get("working_days"),
                        new_due=_due(state.clock(HANDLING_KEY)),
                        note=command.note,
                    )
                ],
            )
            return case_view(state)

    @decide_extension.validator
    def _check_extension_decision(self, command: ExtensionDecision) -> None:
        self._require_open("decide an extension")
        lead = self._state.lead
        if lead is None or lead.extension_requested_days is None or lead.extension_decided:
            raise refuse("no extension request is waiting for a decision")
        if (
            command.approve
            and command.working_days
            and (command.working_days > lead.extension_requested_days)
        ):
            raise refuse(
                f"cannot grant {command.working_days} working days: "
                f"{lead.extension_requested_days} were requested"
            )
        if not command.approve and command.working_days:
            raise refuse("working_days goes with an approval only")

    # ---- joint handling and reply -------------------------------------------------------------

    @workflow.update
    async def submit_assist_input(self, command: AssistInput) -> CaseView:
        async with self._lock:
            self._check_assist_input(command)
            assignment = self._assignment(command.department)
            assert assignment is not None
            assignment.assist_input = command.content
            assignment.assist_input_at = workflow.now()
            self._drop_clock(f"assist:{command.department}")
            await self._record(
                "assist_input", command.by, self._state.status, {"department": command.department}
            )
            return case_view(self._state)

    @submit_assist_input.validator
    def _check_assist_input(self, command: AssistInput) -> None:
        self._require_status(
            CaseStatus.DISPATCHED,
            CaseStatus.HANDLING,
            CaseStatus.RETURN_REVIEW,
            step="send assisting input",
        )
        assignment = self._assignment(command.department)
        if assignment is None or assignment.lead:
            raise refuse(f"{command.department} is not an assisting department of this case")
        if assignment.assist_input is not None:
            raise refuse(f"{command.department} has already sent its input")

    @workflow.update
    async def reply(self, command: Reply) -> CaseView:
        async with self._lock:
            self._check_reply(command)
            state = self._state
            lead = state.lead
            assert lead is not None
            clock = state.clock(HANDLING_KEY)
            now = workflow.now()
            on_time = clock is None or now <= clock.deadline.due
            lead.replies += 1
            state.replies.append(
                ReplyRecord(
                    department=command.department,
                    result=command.result,
                    content=command.content,
                    officer=command.officer,
                    at=now,
                    on_time=on_time,
                )
            )
            self._drop_clock(HANDLING_KEY)
            self._drop_clock(Step.RETURN_WINDOW.value)
            review = await self._deadlines(Step.REPLY_REVIEW)
            self._set_clock(Step.REPLY_REVIEW.value, CENTRE, review[0])
            await self._record(
                "reply",
                command.by,
                CaseStatus.REPLIED,
                {
                    "department": command.department,
                    "result": command.result.value,
                    "officer": command.officer,
                    "on_time": on_time,
                },
            )
            return case_view(state)

    @reply.validator
    def _check_reply(self, command: Reply) -> None:
        self._require_status(CaseStatus.HANDLING, step="reply")
        lead = self._state.lead
        if lead is None or lead.department != command.department:
            raise refuse(f"only the lead department can reply, not {command.department}")

    @workflow.update
    async def review_reply(self, command: ReplyReview) -> CaseView:
        async with self._lock:
            self._check_review_reply(command)
            state = self._state
            lead = state.lead
            assert lead is not None
            self._drop_clock(Step.REPLY_REVIEW.value)
            state.replies[-1].approved = command.approve
            if not command.approve:
                (redo,) = await self._deadlines(Step.REDO)
                self._set_clock(HANDLING_KEY, lead.department, redo)
                await self._record(
                    "reply_rejected",
                    command.by,
                    CaseStatus.HANDLING,
                    {"note": command.note},
                    [
                        self._notice(
                            "reply_rejected",
                            lead.department,
                            note=command.note or "",
                            due=redo.due,
                        )
                    ],
                )
                return case_view(state)
            if state.callback_required is None:
                state.callback_required = callback_rules.callback_required(
                    state.intake.case_type, state.intake.case_no
                )
            if state.callback_required:
                (callback,) = await self._deadlines(Step.CALLBACK)
                self._set_clock(Step.CALLBACK.value, CENTRE, callback)
                await self._record(
                    "reply_approved",
                    command.by,
                    CaseStatus.CALLBACK,
                    {"note": command.note},
                    [
                        self._notice(
                            "callback_script",
                            CENTRE,
                            department=lead.department,
                            reply_result=state.replies[-1].result.value,
                        )
                    ],
                )
            else:
                await self._close(
                    ClosureReason.NO_CALLBACK_REQUIRED,
                    "reply_approved",
                    command.by,
                    {"note": command.note},
                )
            return case_view(state)

    @review_reply.validator
    def _check_review_reply(self, command: ReplyReview) -> None:
        self._require_status(CaseStatus.REPLIED, step="review a reply")

    # ---- callback and reopen ----------------------------------------------------------------

    @workflow.update
    async def record_callback(self, command: CallbackResult) -> CaseView:
        async with self._lock:
            self._check_callback(command)
            state = self._state
            state.callbacks.append(
                CallbackRecord(
                    at=workflow.now(),
                    by=command.by,
                    reached=command.reached,
                    resolved=command.resolved,
                    satisfaction=command.satisfaction,
                )
            )
            detail: dict[str, Any] = {"reached": command.reached, "attempt": len(state.callbacks)}
            if not command.reached:
                attempts = sum(1 for c in state.callbacks if not c.reached)
                if attempts >= callback_rules.CALLBACK_MAX_ATTEMPTS:
                    await self._close(
                        ClosureReason.CALLBACK_UNREACHABLE, "callback", command.by, detail
                    )
                else:
                    await self._record("callback", command.by, state.status, detail)
                return case_view(state)
            assert command.satisfaction is not None
            detail |= {"resolved": command.resolved, "satisfaction": command.satisfaction.value}
            if callback_rules.is_satisfied(command.satisfaction):
                await self._close(ClosureReason.RESOLVED, "callback", command.by, detail)
            elif command.cause_with_department and (
                state.reopen_rounds < callback_rules.MAX_REOPEN_ROUNDS
            ):
                await self._reopen(command.by, detail)
            elif command.cause_with_department:
                await self._close(
                    ClosureReason.CLOSED_UNRESOLVED,
                    "callback",
                    command.by,
                    detail | {"note": command.note or "reopen rounds exhausted"},
                )
            else:
                reason = (
                    ClosureReason.RESOLVED if command.resolved else ClosureReason.CLOSED_UNRESOLVED
                )
                await self._close(reason, "callback", command.by, detail)
            return case_view(state)

    @record_callback.validator
    def _check_callback(self, command: CallbackResult) -> None:
        self._require_status(CaseStatus.CALLBACK, step="record a callback")
        if command.reached and (command.satisfaction is None or command.resolved is None):
            raise refuse("a reached callback needs both satisfaction and resolved")
        if not command.reached and (command.satisfaction or command.resolved is not None):
            raise refuse("an unreached callback cannot carry satisfaction or resolved")

    # ---- any time: withdrawal, merge, urging, notes, escalation ------------------------------

    @workflow.update
    async def withdraw(self, command: Withdraw) -> CaseView:
        async with self._lock:
            self._check_withdraw(command)
            await self._close(
                ClosureReason.WITHDRAWN, "withdraw", command.by, {"reason": command.reason}
            )
            return case_view(self._state)

    @withdraw.validator
    def _check_withdraw(self, command: Withdraw) -> None:
        self._require_open("withdraw")

    @workflow.update
    async def merge(self, command: MergeCase) -> CaseView:
        async with self._lock:
            self._check_merge(command)
            await self._merge_into(command.master_case_no, command.by, "merge")
            return case_view(self._state)

    @merge.validator
    def _check_merge(self, command: MergeCase) -> None:
        self._require_open("merge")
        if command.master_case_no == self._state.intake.case_no:
            raise refuse("a case cannot be merged into itself")

    @workflow.update
    async def urge(self, command: Urge) -> CaseView:
        async with self._lock:
            self._check_urge(command)
            state = self._state
            lead = state.lead
            assert lead is not None
            clock = state.clock(HANDLING_KEY) or state.clock(Step.SIGN_OFF.value)
            await self._record(
                "urge",
                command.by,
                state.status,
                {"note": command.note},
                [
                    self._notice(
                        "urging_notice",
                        lead.department,
                        step=_step_of(clock),
                        due=_due(clock),
                        days_overdue=_days_overdue(clock, workflow.now()),
                    )
                ],
            )
            return case_view(state)

    @urge.validator
    def _check_urge(self, command: Urge) -> None:
        self._require_status(CaseStatus.DISPATCHED, CaseStatus.HANDLING, step="urge")

    @workflow.update
    async def add_note(self, command: AddNote) -> CaseView:
        async with self._lock:
            self._check_note(command)
            await self._record("note", command.by, self._state.status, {"note": command.note})
            return case_view(self._state)

    @add_note.validator
    def _check_note(self, command: AddNote) -> None:
        self._require_open("add a note")
        if not command.note:
            raise refuse("a note needs text")

    @workflow.update
    async def retry_faults(self, command: RetryFaults) -> CaseView:
        """Re-run the work of every open fault, oldest first; each that succeeds is resolved.
        If one fails again, its fault stays open (with the new error) and the Update fails."""
        async with self._lock:
            self._check_retry_faults(command)
            state = self._state
            now = workflow.now()
            resolved: list[int] = []
            for fault in state.open_faults:
                fault.retries += 1
                fault.last_retry_at = now
                work = self._retry_work.get(fault.id)
                failure = await work() if work is not None else None
                if failure is not None:
                    fault.error_type = failure.type or type(failure).__name__
                    fault.message = failure.message
                    raise ApplicationError(
                        f"fault {fault.id} ({fault.activity}) failed again: {failure.message}",
                        type="FaultRetryFailed",
                        non_retryable=True,
                    )
                fault.resolved_at = workflow.now()
                fault.resolved_by = command.by
                self._retry_work.pop(fault.id, None)
                resolved.append(fault.id)
            self._upsert_faulted()
            await self._record(
                "faults_retried",
                command.by,
                state.status,
                {"faults": resolved, "note": command.note},
            )
            return case_view(state)

    @retry_faults.validator
    def _check_retry_faults(self, command: RetryFaults) -> None:
        if not self._state.open_faults:
            raise refuse(f"case {self._state.intake.case_no} has no open fault to retry")

    @workflow.signal(name="escalate")
    async def escalate(self, request: Escalate | dict[str, Any]) -> None:
        # Anything the stock CLI sends arrives here; input that is not a valid escalation is
        # recorded as refused (visible to the supervisor and auditors) instead of dropped.
        async with self._lock:
            state = self._state
            if state.status is CaseStatus.CLOSED:
                workflow.logger.info("escalation ignored: case closed")
                return
            if isinstance(request, dict):
                await self._record(
                    "escalation_refused",
                    str(request.get("by") or "unknown"),
                    state.status,
                    {"reason": _invalid_escalation(request)},
                )
                return
            if (
                request.deadline is not None
                and request.deadline.tzinfo is None
                and workflow.patched(ESCALATION_DEADLINE_OFFSET_PATCH)
            ):
                # Old histories read such a deadline as Beijing time; new signals refuse it.
                await self._record(
                    "escalation_refused",
                    request.by,
                    state.status,
                    {"reason": NAIVE_DEADLINE_REASON},
                )
                return
            level = escalation_rules.raised_level(state.escalation_level, request.level)
            detail: dict[str, Any] = {
                "requested_level": request.level,
                "level": level,
                "note": request.note,
            }
            if request.deadline is not None:
                await self._shorten_deadlines(request.deadline, detail)
            raised = level > state.escalation_level
            state.escalation_level = level
            recipient = state.lead.department if state.lead else CENTRE
            notices = (
                [
                    self._notice(
                        "escalation_notice",
                        recipient,
                        level=level,
                        note=request.note,
                        by=request.by,
                        new_deadline=detail.get("new_deadline"),
                    )
                ]
                if raised or ("new_deadline" in detail)
                else []
            )
            await self._record("escalate", request.by, state.status, detail, notices)

    @workflow.signal
    async def link_merged(self, link: MergedCaseLink) -> None:
        async with self._lock:
            if link.case_no in self._state.merged_cases:
                return
            self._state.merged_cases.append(link.case_no)
            if self._state.status is not CaseStatus.CLOSED:
                await self._record(
                    "merged_case_linked", link.by, self._state.status, {"case_no": link.case_no}
                )

    # ---- private: intake, dispatch, reopen, merge, close ---------------------------------------

    async def _take_intake(self, intake: CaseIntake) -> None:
        outcome = intake.outcome
        detail: dict[str, Any] = {"outcome": outcome.kind, "channel": intake.channel.value}
        closing = {
            IntakeOutcomeKind.DIRECT_ANSWER: ClosureReason.DIRECT_ANSWER,
            IntakeOutcomeKind.THREE_WAY_CALL: ClosureReason.THREE_WAY_CALL,
            IntakeOutcomeKind.EMERGENCY_HANDOFF: ClosureReason.EMERGENCY_HANDOFF,
            IntakeOutcomeKind.NOT_ACCEPTED: ClosureReason.NOT_ACCEPTED,
        }.get(IntakeOutcomeKind(outcome.kind))
        if closing is not None:
            await self._close(
                closing,
                "intake",
                intake.operator_id,
                detail | outcome.model_dump(mode="json", exclude={"kind"}),
                initial=True,
            )
            return
        if isinstance(outcome, MergeInto):
            await self._record(
                "intake", intake.operator_id, CaseStatus.RECEIVED, detail, initial=True
            )
            await self._merge_into(
                outcome.master_case_no,
                intake.operator_id,
                "intake_merge",
                keep_open_if_missing=True,
            )
            return
        assert isinstance(outcome, ToDispatch)
        if not outcome.lead_department:
            await self._start_dispatch_clock()  # before recording, so the row shows its due
        await self._record("intake", intake.operator_id, CaseStatus.RECEIVED, detail, initial=True)
        if not outcome.lead_department:
            return
        try:
            await self._dispatch(
                intake.operator_id, outcome.lead_department, outcome.assisting_departments, None
            )
        except ApplicationError as err:
            # A department named at intake that cannot take the case: a dispatcher decides.
            self._state.warnings.append(f"intake dispatch refused: {err.message}")
            await self._start_dispatch_clock()
            await self._record(
                "dispatch_refused", intake.operator_id, CaseStatus.RECEIVED, {"reason": err.message}
            )

    async def _shorten_deadlines(self, requested: datetime, detail: dict[str, Any]) -> None:
        """A supervisor's deadline: caps the department's running clocks, never extends them."""
        if requested.tzinfo is None:
            requested = requested.replace(tzinfo=SHANGHAI)
        clocks = [
            clock
            for key in (Step.SIGN_OFF.value, HANDLING_KEY)
            if (clock := self._state.clock(key)) is not None and requested < clock.deadline.due
        ]
        if not clocks:
            detail["deadline_ignored"] = "a new deadline may only shorten the current one"
            return
        for clock in clocks:
            (shorter,) = await self._deadlines(clock.deadline.step, fixed_due=requested)
            self._set_clock(
                clock.key,
                clock.owner,
                shorter,
                original_due=clock.original_due or clock.deadline.due,
            )
        detail["new_deadline"] = requested.isoformat()

    async def _start_dispatch_clock(self) -> None:
        (deadline,) = await self._deadlines(Step.DISPATCH)
        self._set_clock(Step.DISPATCH.value, CENTRE, deadline)

    async def _dispatch(
        self, by: str, lead_department: str | None, assisting: list[str], note: str | None
    ) -> None:
        await self._assign(await self._route(lead_department, assisting), by, note)

    async def _route(self, lead_department: str | None, assisting: list[str]) -> Route:
        """The catalogue's choice, or the named departments once checked; refuses unknown ones."""
        intake = self._state.intake
        try:
            route: Route = await workflow.execute_activity(
                "route_case",
                RouteRequest(
                    category=intake.category,
                    district=intake.location.district,
                    street=intake.location.street,
                    lead_department=lead_department,
                    assisting_departments=assisting,
                ),
                result_type=Route,
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=ROUTE_RETRY,
            )
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == "NoRouteError":
                raise refuse(f"cannot dispatch: {cause.message}") from err
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                # Bad data in routing: the step is refused, visibly; the person retries it.
                raise refuse(f"cannot dispatch: {cause.message}") from err
            raise
        return route

    async def _assign(self, route: Route, by: str, note: str | None) -> None:
        state = self._state
        intake = state.intake
        praise = intake.case_type is CaseType.PRAISE
        handling_step = Step.PRAISE_CLOSE if praise else Step.HANDLING
        sign_off, window, handling, *assist = await self._deadlines(
            Step.SIGN_OFF,
            Step.RETURN_WINDOW,
            handling_step,
            *([Step.ASSIST_INPUT] * len(route.assisting_departments)),
        )
        now = workflow.now()
        self._drop_clock(Step.DISPATCH.value)
        state.assignments.append(
            Assignment(department=route.lead_department, lead=True, dispatched_at=now)
        )
        self._set_clock(Step.SIGN_OFF.value, route.lead_department, sign_off)
        self._set_clock(Step.RETURN_WINDOW.value, route.lead_department, window)
        self._set_clock(HANDLING_KEY, route.lead_department, handling)
        for department, deadline in zip(route.assisting_departments, assist, strict=True):
            state.assignments.append(
                Assignment(department=department, lead=False, dispatched_at=now)
            )
            self._set_clock(f"assist:{department}", department, deadline)
        notices = [
            self._notice(
                "dispatch_notice",
                department,
                lead=department == route.lead_department,
                sign_off_due=sign_off.due,
                handling_due=handling.due,
            )
            for department in [route.lead_department, *route.assisting_departments]
        ]
        if intake.caller.phones and not praise:
            notices.append(
                self._sms(
                    "sms_received",
                    expected_reply=handling.due,
                    retrieval_code=intake.retrieval_code,
                )
            )
        await self._record(
            "dispatch",
            by,
            CaseStatus.DISPATCHED,
            {
                "lead_department": route.lead_department,
                "assisting_departments": route.assisting_departments,
                "catalogue_fallback": route.fallback,
                "note": note,
            },
            notices,
        )

    async def _reopen(self, by: str, detail: dict[str, Any]) -> None:
        state = self._state
        lead = state.lead
        assert lead is not None
        self._drop_clock(Step.CALLBACK.value)
        state.reopen_rounds += 1
        (reopen,) = await self._deadlines(Step.REOPEN)
        self._set_clock(HANDLING_KEY, lead.department, reopen)
        await self._record(
            "reopen",
            by,
            CaseStatus.HANDLING,
            detail | {"round": state.reopen_rounds},
            [
                self._notice(
                    "reply_rejected",
                    lead.department,
                    note=f"回访不满意，第{state.reopen_rounds}次重办",
                    due=reopen.due,
                )
            ],
        )

    async def _merge_into(
        self, master_case_no: str, by: str, action: str, keep_open_if_missing: bool = False
    ) -> None:
        master = workflow.get_external_workflow_handle_for(
            CaseWorkflow.run, workflow_id(master_case_no)
        )
        try:
            await master.signal(
                CaseWorkflow.link_merged, MergedCaseLink(case_no=self._state.intake.case_no, by=by)
            )
        except ApplicationError as err:
            if not keep_open_if_missing:
                raise refuse(f"master case {master_case_no} is not open: {err}") from err
            self._state.warnings.append(
                f"merge: master case {master_case_no} is not open; case kept for dispatch"
            )
            await self._start_dispatch_clock()
            await self._record(
                "merge_failed", by, CaseStatus.RECEIVED, {"master_case_no": master_case_no}
            )
            return
        self._state.merged_into = master_case_no
        await self._close(ClosureReason.MERGED, action, by, {"master_case_no": master_case_no})

    async def _close(
        self,
        reason: ClosureReason,
        action: str,
        by: str,
        detail: dict[str, Any],
        initial: bool = False,
    ) -> None:
        state = self._state
        for clock in list(state.clocks):
            self._drop_clock(clock.key)
        state.closure_reason = reason
        state.closed_at = workflow.now()
        notices: list[Notification] = []
        if (
            state.intake.caller.phones
            and state.assignments
            and reason
            in (
                ClosureReason.RESOLVED,
                ClosureReason.NO_CALLBACK_REQUIRED,
                ClosureReason.CLOSED_UNRESOLVED,
                ClosureReason.CALLBACK_UNREACHABLE,
            )
        ):
            notices.append(self._sms("closure_sms"))
        await self._record(
            action,
            by,
            CaseStatus.CLOSED,
            detail | {"closure_reason": reason.value},
            notices,
            initial=initial,
        )

    # ---- private: clocks -------------------------------------------------------------------

    async def _sleep_until_next_milestone(self) -> None:
        # One timer, for the earliest milestone of all clocks; re-armed only when that moves.
        upcoming = self._armed_for = self._next_milestone()
        if upcoming is None:
            await workflow.wait_condition(self._should_wake)
            return
        remaining = upcoming - workflow.now()
        if remaining <= timedelta(0):
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(self._should_wake, timeout=remaining)

    def _should_wake(self) -> bool:
        return self._state.status is CaseStatus.CLOSED or self._next_milestone() != self._armed_for

    def _next_milestone(self) -> datetime | None:
        times = [m[0] for c in self._state.clocks if (m := self._milestone(c)) is not None]
        return min(times, default=None)

    def _milestone(self, clock: Clock) -> tuple[datetime, ClockStage] | None:
        if clock.key == Step.RETURN_WINDOW.value:
            return None  # a limit on returning, not a duty: nothing to escalate
        if clock.deadline.step is Step.PRAISE_CLOSE:
            return (
                (clock.deadline.due, ClockStage.OVERDUE)
                if clock.stage is not (ClockStage.OVERDUE)
                else None
            )
        return next_milestone(clock)

    async def _fire_due_milestones(self) -> None:
        now = workflow.now()
        for clock in list(self._state.clocks):
            while (milestone := self._milestone(clock)) is not None and milestone[0] <= now:
                if self._state.status is CaseStatus.CLOSED:
                    return
                await self._fire(clock, milestone[1])

    async def _fire(self, clock: Clock, stage: ClockStage) -> None:
        state = self._state
        clock.stage = stage
        if clock.deadline.step is Step.PRAISE_CLOSE:
            await self._close(
                ClosureReason.PRAISE_NOTED, "praise_closed", "system", {"department": clock.owner}
            )
            return
        department_step = clock.deadline.step in DEPARTMENT_STEPS
        detail: dict[str, Any] = {
            "clock": clock.key,
            "step": clock.deadline.step.value,
            "owner": clock.owner,
            "due": clock.deadline.due.isoformat(),
        }
        notices: list[Notification] = []
        if stage is ClockStage.WARNED:
            action = "deadline_warning"
            notices.append(
                self._notice(
                    "warning", clock.owner, step=clock.deadline.step.value, due=clock.deadline.due
                )
            )
        elif stage is ClockStage.OVERDUE:
            action = "deadline_overdue"
            state.ever_overdue = True
            notices.append(
                self._notice(
                    "urging_notice",
                    clock.owner,
                    step=clock.deadline.step.value,
                    due=clock.deadline.due,
                    days_overdue=0,
                )
            )
            if department_step and state.escalation_level < escalation_rules.OVERDUE_LEVEL:
                state.escalation_level = escalation_rules.OVERDUE_LEVEL
        else:
            action = "deadline_level2"
            if department_step and state.escalation_level < escalation_rules.LEVEL2:
                state.escalation_level = escalation_rules.LEVEL2
                notices.append(
                    self._notice(
                        "escalation_notice",
                        clock.owner,
                        level=escalation_rules.LEVEL2,
                        note=f"超期{escalation_rules.LEVEL2_AFTER_WORKING_DAYS}个工作日仍未办结，予以通报",
                        by="system",
                    )
                )
        detail["escalation_level"] = state.escalation_level
        await self._record(action, "system", state.status, detail, notices)

    def _set_clock(
        self, key: str, owner: str, deadline: Deadline, original_due: datetime | None = None
    ) -> None:
        previous = self._state.clock(key)
        self._drop_clock(key)
        clock = Clock(key=key, owner=owner, deadline=deadline, original_due=original_due)
        if previous is not None and original_due is not None:
            # A moved deadline: milestones already announced for this step are not repeated;
            # those now due at the new times fire on the next pass of the main loop.
            clock.stage = earlier_stage(previous.stage, stage_at(clock, workflow.now()))
        self._state.clocks.append(clock)
        for warning in deadline.calendar_warnings:
            if warning not in self._state.warnings:
                self._state.warnings.append(warning)

    def _drop_clock(self, key: str) -> None:
        self._state.clocks = [c for c in self._state.clocks if c.key != key]

    @staticmethod
    def _pin_limits_edition() -> int:
        # Pinned once, when the case starts: a new case records the newest amendment's patch
        # marker; replaying a case started before that amendment finds no marker there and
        # keeps the older edition, so every later step computes the limits it always did.
        for amendment in reversed(time_limits.AMENDMENTS):
            if workflow.patched(amendment.patch_id):
                return amendment.edition
        return time_limits.FIRST_EDITION

    async def _deadlines(
        self,
        *steps: Step,
        extend_due: datetime | None = None,
        extra_working_days: int = 0,
        fixed_due: datetime | None = None,
    ) -> list[Deadline]:
        intake = self._state.intake
        now = workflow.now()
        requests = [
            DeadlineRequest(
                step=step,
                start=now,
                urgency=intake.urgency,
                case_type=intake.case_type,
                complex=intake.complex,
                extend_due=extend_due,
                extra_working_days=extra_working_days,
                fixed_due=fixed_due,
                limits_edition=self._state.limits_edition,
            )
            for step in steps
        ]
        deadlines: list[Deadline] = await workflow.execute_local_activity(
            "compute_deadlines",
            requests,
            result_type=list[Deadline],
            start_to_close_timeout=timedelta(seconds=10),
        )
        return deadlines

    # ---- private: archive ----------------------------------------------------------------------

    async def _archive(self) -> None:
        case_no = self._state.intake.case_no
        # Histories that ended before the archive existed scheduled `archive_case` here; their
        # replay finds no patch marker and must do the same.
        if not workflow.patched(ARCHIVE_HISTORY_PATCH):

            async def stamp() -> ApplicationError | None:
                return await self._try_activity(ARCHIVE_CASE, case_no, workflow.now())

            failure = await stamp()
            if failure is not None:
                self._open_fault(ARCHIVE_CASE, failure, stamp)
                await workflow.wait_condition(
                    lambda: not self._state.open_faults and workflow.all_handlers_finished()
                )
            return
        await workflow.start_child_workflow(
            ArchiveCaseWorkflow.run,
            ArchiveRequest(
                case_no=case_no,
                workflow_id=workflow.info().workflow_id,
                run_id=workflow.info().run_id,
            ),
            id=archive_workflow_id(case_no),
            parent_close_policy=ParentClosePolicy.ABANDON,
        )

    # ---- private: recording ------------------------------------------------------------------

    async def _record(
        self,
        action: str,
        actor: str,
        to_status: CaseStatus,
        detail: dict[str, Any],
        notifications: list[Notification] | None = None,
        initial: bool = False,
    ) -> None:
        """Append to the timeline, then persist projection, log row and outbox in one step."""
        state = self._state
        now = workflow.now()
        previous = None if initial else state.status
        state.status = to_status
        entry = TimelineEntry(
            seq=len(state.timeline) + 1,
            at=now,
            action=action,
            actor=actor,
            from_status=previous,
            to_status=to_status,
            detail={k: v for k, v in detail.items() if v is not None},
        )
        state.timeline.append(entry)
        record = TransitionRecord(
            projection=projection(state, now),
            transition=Transition(
                case_no=state.intake.case_no,
                seq=entry.seq,
                at=now,
                action=action,
                actor=actor,
                from_status=previous.value if previous else None,
                to_status=to_status.value,
                detail=entry.detail,
            ),
            notifications=[
                n.model_copy(update={"event_key": f"{entry.seq}:{n.event_key}"})
                for n in notifications or []
            ],
        )
        attributes = search_attributes(state)
        if attributes != self._search_attributes:
            changed = {k: v for k, v in attributes.items() if self._search_attributes.get(k) != v}
            workflow.upsert_search_attributes(search_attribute_updates(changed))
            self._search_attributes = attributes
        await self._persist(record)

    async def _persist(self, record: TransitionRecord) -> None:
        """Write one transition; if the write meets bad data, open a fault and keep it, and
        every later transition behind it, for `retry_faults`."""
        if self._unrecorded:
            self._unrecorded.append(record)
            return
        failure = await self._try_activity(RECORD_TRANSITION, record)
        if failure is not None:
            self._unrecorded.append(record)
            self._open_fault(
                RECORD_TRANSITION, failure, self._write_unrecorded, seq=record.transition.seq
            )

    async def _write_unrecorded(self) -> ApplicationError | None:
        """Write the held transitions in order, each with the current projection (the store
        keeps the newest version), until one fails again."""
        while self._unrecorded:
            record = self._unrecorded[0].model_copy(
                update={"projection": projection(self._state, workflow.now())}
            )
            failure = await self._try_activity(RECORD_TRANSITION, record)
            if failure is not None:
                return failure
            self._unrecorded.pop(0)
        return None

    async def _try_activity(self, activity: str, *args: Any) -> ApplicationError | None:
        """Run a database activity (retried with backoff while its failure is transient); a
        bad-data failure is returned rather than raised, so the case goes on."""
        try:
            await workflow.execute_activity(
                activity,
                args=list(args),
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=DB_RETRY,
            )
        except ActivityError as err:
            cause = err.cause
            # Histories from before faults existed failed here, and replay the same way.
            if (
                isinstance(cause, ApplicationError)
                and cause.non_retryable
                and workflow.patched(FAULTS_PATCH)
            ):
                return cause
            raise
        return None

    def _open_fault(
        self, activity: str, failure: ApplicationError, retry: RetryWork, seq: int | None = None
    ) -> None:
        state = self._state
        fault = CaseFault(
            id=len(state.faults) + 1,
            activity=activity,
            error_type=failure.type or type(failure).__name__,
            message=failure.message,
            at=workflow.now(),
            seq=seq,
        )
        state.faults.append(fault)
        self._retry_work[fault.id] = retry
        workflow.logger.warning("case fault %d opened: %s", fault.id, failure.message)
        self._upsert_faulted()

    def _upsert_faulted(self) -> None:
        workflow.upsert_search_attributes([sa.FAULTED.value_set(bool(self._state.open_faults))])

    def _notice(self, template: str, recipient: str, **context: Any) -> Notification:
        return Notification(
            case_no=self._state.intake.case_no,
            event_key=f"{template}:{recipient}",
            template=template,
            channel="internal",
            recipient=recipient,
            context=self._context() | context,
        )

    def _sms(self, template: str, **context: Any) -> Notification:
        phone = self._state.intake.caller.phones[0]
        return Notification(
            case_no=self._state.intake.case_no,
            event_key=f"{template}:{CITIZEN}",
            template=template,
            channel="sms",
            recipient=phone,
            context=self._context() | context,
        )

    def _context(self) -> dict[str, Any]:
        intake = self._state.intake
        return {
            "case_no": intake.case_no,
            "category": intake.category,
            "title": intake.title,
            "case_type": intake.case_type.value,
            "urgency": intake.urgency.value,
        }

    # ---- private: checks ---------------------------------------------------------------------

    def _require_open(self, step: str) -> None:
        if self._state.status is CaseStatus.CLOSED:
            raise refuse(f"cannot {step}: case {self._state.intake.case_no} is closed")

    def _require_status(self, *allowed: CaseStatus, step: str) -> None:
        self._require_open(step)
        if self._state.status not in allowed:
            wanted = " or ".join(s.value for s in allowed)
            raise refuse(f"cannot {step}: the case is {self._state.status.value}, not {wanted}")

    def _assignment(self, department: str) -> Assignment | None:
        return next(
            (a for a in self._state.assignments if a.department == department and a.active), None
        )


def _local(at: datetime) -> datetime:
    return at.astimezone(SHANGHAI)


def _invalid_escalation(raw: dict[str, Any]) -> str:
    try:
        Escalate.model_validate(raw)
    except ValidationError as err:
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in err.errors()
        )
    return "not a valid escalation"


def _due(clock: Clock | None) -> datetime | None:
    return clock.deadline.due if clock else None


def _step_of(clock: Clock | None) -> str:
    return clock.deadline.step.value if clock else ""


def _days_overdue(clock: Clock | None, now: datetime) -> int:
    if clock is None or now <= clock.deadline.due:
        return 0
    return (now - clock.deadline.due).days

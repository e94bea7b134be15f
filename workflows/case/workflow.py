"""CaseWorkflow: one 12345 case from intake to closure (domain §4-§7, standard chapter 6).

The handlers read in the order of the process: intake, assignment (dispatch), department
handling (sign-off, return, extension, assisting input, reply and its review), supervision
(urging, escalation; the deadlines fire in the main loop), callback, closure (withdrawal,
merge). Each delegates to the module of its stage in this package; every step ends in one
recorded transition (`recording.py`), and every time limit is a clock (`clocks.py`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.case import (
    assignment,
    callback,
    closure,
    extension,
    handling,
    patches,
    replies,
    supervision,
)
from workflows.case import intake as intake_step
from workflows.case.archiving import archive
from workflows.case.checks import refuse, require_open
from workflows.case.clocks import Clocks, pin_limits_edition
from workflows.case.context import CaseRun
from workflows.case.recording import Recorder, check_retry_faults
from workflows.case.views import case_view, current_search_attributes

with workflow.unsafe.imports_passed_through():
    from models.actions import Action
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
    from models.enums import CaseStatus
    from models.intake import CaseIntake, MergeInto, ToDispatch
    from models.records import Route
    from models.state import CaseState, CaseView


def workflow_id(case_no: str) -> str:
    return f"case-{case_no}"


@workflow.defn
class CaseWorkflow:
    @workflow.init
    def __init__(self, intake: CaseIntake) -> None:
        patches.ask_engine_patch()  # before any other patch or command of the run
        state = CaseState(intake=intake, received_at=intake.received_at or workflow.now())
        self._state = state
        self._lock = asyncio.Lock()
        self._intake_complete = False
        attributes = current_search_attributes(workflow.info().typed_search_attributes)
        state.limits_edition = pin_limits_edition()
        self._case = CaseRun(state, Recorder(state, attributes), Clocks(state))

    @workflow.run
    async def run(self, intake: CaseIntake) -> CaseView:
        async with self._lock:
            await self._take_intake(intake)
            self._intake_complete = True
        while self._state.status is not CaseStatus.CLOSED:
            await self._case.clocks.sleep_until_next_milestone()
            async with self._lock:
                await supervision.fire_due_milestones(self._case)
        # A closed case completes once every fault is retried: its history stays open for it.
        await workflow.wait_condition(
            lambda: not self._state.open_faults and workflow.all_handlers_finished()
        )
        await archive(self._case)
        return case_view(self._state)

    # ---- intake -----------------------------------------------------------------------------

    async def _take_intake(self, intake: CaseIntake) -> None:
        running = self._case
        match intake.outcome:
            case ToDispatch(lead_department=lead, assisting_departments=assisting) if (
                lead and patches.taken(patches.INTAKE_ROUTE_PATCH)
            ):
                await self._dispatch_at_intake(intake.operator_id, lead, assisting)
            case ToDispatch(lead_department=lead, assisting_departments=assisting):
                if not lead:
                    await assignment.start_dispatch_clock(running)  # the row then shows its due
                await intake_step.record_intake(running)
                if not lead:
                    return
                try:
                    await self._dispatch(intake.operator_id, lead, assisting, None)
                except ApplicationError as err:
                    await intake_step.dispatch_refused(running, err)
            case MergeInto(master_case_no=master):
                await intake_step.record_intake(running)
                await self._merge_into(
                    master, intake.operator_id, Action.INTAKE_MERGE, keep_open_if_missing=True
                )
            case outcome:
                await intake_step.close_at_intake(running, outcome)

    async def _dispatch_at_intake(self, by: str, lead: str, assisting: list[str]) -> None:
        """Record the intake while the named departments are checked, then dispatch: the
        caller's first view waits for two activities in a row instead of three."""
        running = self._case
        recorded = asyncio.create_task(intake_step.record_intake(running))
        route: Route | ApplicationError
        try:
            route = await assignment.route(running, lead, assisting)
        except ApplicationError as err:
            route = err
        await recorded
        if isinstance(route, ApplicationError):
            await intake_step.dispatch_refused(running, route)
        else:
            await assignment.assign(running, route, by, None)

    @workflow.update
    async def intake_recorded(self) -> CaseView:
        """The case's first view once its intake and the outcome's first steps are recorded:
        sent with the start (update-with-start), so the caller waits without polling. It only
        waits and reads; it changes nothing."""
        await workflow.wait_condition(lambda: self._intake_complete)
        return case_view(self._state, self._intake_complete)

    # ---- assignment -------------------------------------------------------------------------

    @workflow.update
    async def dispatch(self, command: Dispatch) -> CaseView:
        async with self._lock:
            assignment.check_dispatch(self._state, command)
            await self._dispatch(
                command.by, command.lead_department, command.assisting_departments, command.note
            )
            return case_view(self._state)

    @dispatch.validator
    def _check_dispatch(self, command: Dispatch) -> None:
        assignment.check_dispatch(self._state, command)

    async def _dispatch(
        self, by: str, lead_department: str | None, assisting: list[str], note: str | None
    ) -> None:
        route = await assignment.route(self._case, lead_department, assisting)
        await assignment.assign(self._case, route, by, note)

    # ---- department handling ----------------------------------------------------------------

    @workflow.update
    async def sign_off(self, command: SignOff) -> CaseView:
        async with self._lock:
            held = handling.check_sign_off(self._state, command)
            await handling.sign_off(self._case, command, held)
            return case_view(self._state)

    @sign_off.validator
    def _check_sign_off(self, command: SignOff) -> None:
        handling.check_sign_off(self._state, command)

    @workflow.update
    async def return_case(self, command: ReturnCase) -> CaseView:
        async with self._lock:
            lead = handling.check_return(self._state, command)
            await handling.return_case(self._case, command, lead)
            return case_view(self._state)

    @return_case.validator
    def _check_return(self, command: ReturnCase) -> None:
        handling.check_return(self._state, command)

    @workflow.update
    async def review_return(self, command: ReturnReview) -> CaseView:
        async with self._lock:
            lead = handling.check_review_return(self._state, command)
            await handling.review_return(self._case, command, lead)
            return case_view(self._state)

    @review_return.validator
    def _check_review_return(self, command: ReturnReview) -> None:
        handling.check_review_return(self._state, command)

    @workflow.update
    async def request_extension(self, command: ExtensionRequest) -> CaseView:
        async with self._lock:
            lead = extension.check_request(self._state, command)
            await extension.request(self._case, command, lead)
            return case_view(self._state)

    @request_extension.validator
    def _check_extension_request(self, command: ExtensionRequest) -> None:
        extension.check_request(self._state, command)

    @workflow.update
    async def decide_extension(self, command: ExtensionDecision) -> CaseView:
        async with self._lock:
            decision = extension.check_decision(self._state, command)
            await extension.decide(self._case, command, decision)
            return case_view(self._state)

    @decide_extension.validator
    def _check_extension_decision(self, command: ExtensionDecision) -> None:
        extension.check_decision(self._state, command)

    @workflow.update
    async def submit_assist_input(self, command: AssistInput) -> CaseView:
        async with self._lock:
            assisting = handling.check_assist_input(self._state, command)
            await handling.submit_assist_input(self._case, command, assisting)
            return case_view(self._state)

    @submit_assist_input.validator
    def _check_assist_input(self, command: AssistInput) -> None:
        handling.check_assist_input(self._state, command)

    @workflow.update
    async def reply(self, command: Reply) -> CaseView:
        async with self._lock:
            lead = replies.check_reply(self._state, command)
            await replies.reply(self._case, command, lead)
            return case_view(self._state)

    @reply.validator
    def _check_reply(self, command: Reply) -> None:
        replies.check_reply(self._state, command)

    @workflow.update
    async def review_reply(self, command: ReplyReview) -> CaseView:
        async with self._lock:
            lead = replies.check_review(self._state, command)
            await replies.review(self._case, command, lead)
            return case_view(self._state)

    @review_reply.validator
    def _check_review_reply(self, command: ReplyReview) -> None:
        replies.check_review(self._state, command)

    # ---- supervision (the deadlines themselves fire in `run`) ---------------------------------

    @workflow.update
    async def urge(self, command: Urge) -> CaseView:
        async with self._lock:
            lead = supervision.check_urge(self._state, command)
            await supervision.urge(self._case, command, lead)
            return case_view(self._state)

    @urge.validator
    def _check_urge(self, command: Urge) -> None:
        supervision.check_urge(self._state, command)

    @workflow.signal(name="escalate")
    async def escalate(self, request: Escalate | dict[str, Any]) -> None:
        async with self._lock:
            await supervision.escalate(self._case, request)

    # ---- callback ---------------------------------------------------------------------------

    @workflow.update
    async def record_callback(self, command: CallbackResult) -> CaseView:
        async with self._lock:
            attempt = callback.check_callback(self._state, command)
            await callback.record_callback(self._case, command, attempt)
            return case_view(self._state)

    @record_callback.validator
    def _check_callback(self, command: CallbackResult) -> None:
        callback.check_callback(self._state, command)

    # ---- closure: withdrawal and merge --------------------------------------------------------

    @workflow.update
    async def withdraw(self, command: Withdraw) -> CaseView:
        async with self._lock:
            closure.check_withdraw(self._state, command)
            await closure.withdraw(self._case, command)
            return case_view(self._state)

    @withdraw.validator
    def _check_withdraw(self, command: Withdraw) -> None:
        closure.check_withdraw(self._state, command)

    @workflow.update
    async def merge(self, command: MergeCase) -> CaseView:
        async with self._lock:
            closure.check_merge(self._state, command)
            await self._merge_into(command.master_case_no, command.by, Action.MERGE)
            return case_view(self._state)

    @merge.validator
    def _check_merge(self, command: MergeCase) -> None:
        closure.check_merge(self._state, command)

    async def _merge_into(
        self, master_case_no: str, by: str, action: Action, keep_open_if_missing: bool = False
    ) -> None:
        master = workflow.get_external_workflow_handle_for(
            CaseWorkflow.run, workflow_id(master_case_no)
        )
        link = MergedCaseLink(case_no=self._state.intake.case_no, by=by)
        try:
            await master.signal(CaseWorkflow.link_merged, link)
        except ApplicationError as err:
            if not keep_open_if_missing:
                raise refuse(f"master case {master_case_no} is not open: {err}") from err
            await closure.kept_for_dispatch(self._case, master_case_no, by)
            return
        await closure.merged(self._case, master_case_no, action, by)

    @workflow.signal
    async def link_merged(self, link: MergedCaseLink) -> None:
        async with self._lock:
            await closure.link_merged(self._case, link)

    # ---- any time: notes, repair, reading -------------------------------------------------------

    @workflow.update
    async def add_note(self, command: AddNote) -> CaseView:
        async with self._lock:
            self._check_note(command)
            await self._case.recorder.record(
                Action.NOTE, command.by, self._state.status, {"note": command.note}
            )
            return case_view(self._state)

    @add_note.validator
    def _check_note(self, command: AddNote) -> None:
        require_open(self._state, "add a note")
        if not command.note:
            raise refuse("a note needs text")

    @workflow.update
    async def retry_faults(self, command: RetryFaults) -> CaseView:
        """Re-run the work of every open fault, oldest first; each that succeeds is resolved.
        If one fails again, its fault stays open (with the new error) and the Update fails."""
        async with self._lock:
            check_retry_faults(self._state)
            await self._case.recorder.retry_faults(command.by, command.note)
            return case_view(self._state)

    @retry_faults.validator
    def _check_retry_faults(self, command: RetryFaults) -> None:
        check_retry_faults(self._state)

    @workflow.query
    def state(self) -> CaseState:
        return self._state

    @workflow.query
    def view(self) -> CaseView:
        return case_view(self._state, self._intake_complete)

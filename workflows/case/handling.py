"""Department handling: sign-off (签收), return (退单) and its review, assisting input (协办).

Each step has a check (its Update's validator, which also hands the handler the assignment it
acts on) and the step itself.
"""

from __future__ import annotations

from temporalio import workflow

from workflows.case.assignment import assign, route, start_dispatch_clock
from workflows.case.checks import (
    active_assignment,
    local,
    refuse,
    require_lead,
    require_open,
    require_status,
)
from workflows.case.clocks import HANDLING_KEY, assist_key
from workflows.case.closure import close
from workflows.case.context import CaseRun
from workflows.case.notices import due_of, notice

with workflow.unsafe.imports_passed_through():
    from models.actions import Action
    from models.commands import AssistInput, ReturnCase, ReturnReview, SignOff
    from models.enums import CENTRE, CaseStatus, CaseType, ClosureReason, Step
    from models.state import Assignment, CaseState


# ---- sign-off ---------------------------------------------------------------------------------


def check_sign_off(state: CaseState, command: SignOff) -> Assignment:
    require_open(state, "sign off")
    assignment = active_assignment(state, command.department)
    if assignment is None:
        raise refuse(f"department {command.department} holds no assignment on this case")
    if assignment.signed_at is not None:
        raise refuse(f"department {command.department} has already signed for this case")
    if assignment.lead:
        require_status(state, CaseStatus.DISPATCHED, step="sign off")
    return assignment


async def sign_off(case: CaseRun, command: SignOff, assignment: Assignment) -> None:
    state = case.state
    assignment.signed_at = workflow.now()
    assignment.signed_by = command.by
    if not assignment.lead:
        await case.recorder.record(
            Action.SIGN_OFF,
            command.by,
            state.status,
            {"department": command.department, "assisting": True},
        )
        return
    case.clocks.drop(Step.SIGN_OFF.value)
    if state.intake.case_type is CaseType.PRAISE:
        await close(
            case,
            ClosureReason.PRAISE_NOTED,
            Action.SIGN_OFF,
            command.by,
            {"department": command.department},
        )
    else:
        await case.recorder.record(
            Action.SIGN_OFF, command.by, CaseStatus.HANDLING, {"department": command.department}
        )


# ---- return and its review ------------------------------------------------------------------


def check_return(state: CaseState, command: ReturnCase) -> Assignment:
    require_status(state, CaseStatus.DISPATCHED, CaseStatus.HANDLING, step="return")
    lead = state.lead
    if lead is None or lead.department != command.department:
        raise refuse(f"only the lead department can return this case, not {command.department}")
    window = state.clock(Step.RETURN_WINDOW.value)
    if window is not None and workflow.now() > window.deadline.due:
        raise refuse(
            f"the return window closed at {local(window.deadline.due)}; "
            "handle the case or ask for an extension"
        )
    if lead.replies:
        raise refuse("the department has already replied; a return is no longer possible")
    return lead


async def return_case(case: CaseRun, command: ReturnCase, lead: Assignment) -> None:
    state = case.state
    lead.returned_at = workflow.now()
    lead.return_reason = command.reason.value
    case.status_before_return = state.status
    case.clocks.drop(Step.SIGN_OFF.value)
    (review,) = await case.clocks.deadlines(Step.RETURN_REVIEW)
    case.clocks.set(Step.RETURN_REVIEW.value, CENTRE, review)
    await case.recorder.record(
        Action.RETURN,
        command.by,
        CaseStatus.RETURN_REVIEW,
        {
            "department": command.department,
            "reason": command.reason.value,
            "legal_basis": command.legal_basis,
            "note": command.note,
        },
        [
            notice(
                state,
                "return_notice",
                CENTRE,
                department=command.department,
                reason=command.reason.value,
                legal_basis=command.legal_basis,
            )
        ],
    )


def check_review_return(state: CaseState, command: ReturnReview) -> Assignment:
    require_status(state, CaseStatus.RETURN_REVIEW, step="review a return")
    if not command.approve and command.redispatch_to:
        raise refuse("redispatch_to goes with an approved return only")
    return require_lead(state, "review a return")


async def review_return(case: CaseRun, command: ReturnReview, lead: Assignment) -> None:
    state = case.state
    routed = (
        await route(case, command.redispatch_to, [])
        if command.approve and command.redispatch_to
        else None
    )
    case.clocks.drop(Step.RETURN_REVIEW.value)
    if command.approve:
        lead.active = False
        for assignment in state.assignments:
            assignment.active = False
        case.clocks.drop_all()
        await case.recorder.record(
            Action.RETURN_APPROVED,
            command.by,
            CaseStatus.RECEIVED,
            {"department": lead.department, "note": command.note},
        )
        if routed is not None:
            await assign(case, routed, command.by, command.note)
        else:
            await start_dispatch_clock(case)
        return
    lead.return_rejected = True
    previous = case.status_before_return or CaseStatus.DISPATCHED
    if previous is CaseStatus.DISPATCHED:
        (sign_off_due,) = await case.clocks.deadlines(Step.SIGN_OFF)
        case.clocks.set(Step.SIGN_OFF.value, lead.department, sign_off_due)
    await case.recorder.record(
        Action.RETURN_REJECTED,
        command.by,
        previous,
        {"department": lead.department, "note": command.note},
        [
            notice(
                state,
                "return_notice",
                lead.department,
                approved=False,
                reason=lead.return_reason or "",
                note=command.note or "",
                handling_due=due_of(state.clock(HANDLING_KEY)),
            )
        ],
    )


# ---- assisting input --------------------------------------------------------------------------


def check_assist_input(state: CaseState, command: AssistInput) -> Assignment:
    require_status(
        state,
        CaseStatus.DISPATCHED,
        CaseStatus.HANDLING,
        CaseStatus.RETURN_REVIEW,
        step="send assisting input",
    )
    assignment = active_assignment(state, command.department)
    if assignment is None or assignment.lead:
        raise refuse(f"{command.department} is not an assisting department of this case")
    if assignment.assist_input is not None:
        raise refuse(f"{command.department} has already sent its input")
    return assignment


async def submit_assist_input(case: CaseRun, command: AssistInput, assignment: Assignment) -> None:
    assignment.assist_input = command.content
    assignment.assist_input_at = workflow.now()
    case.clocks.drop(assist_key(command.department))
    await case.recorder.record(
        Action.ASSIST_INPUT, command.by, case.state.status, {"department": command.department}
    )

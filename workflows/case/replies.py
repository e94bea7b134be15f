"""The reply (答复) of the lead department and the centre's review of it.

An approved reply goes to callback when the callback policy (`rules/callback.py`) calls for one,
else closes the case; a rejected one goes back to the department as a redo with its own limit.
"""

from __future__ import annotations

from temporalio import workflow

from workflows.case.checks import refuse, require_lead, require_status
from workflows.case.clocks import HANDLING_KEY
from workflows.case.closure import close
from workflows.case.context import CaseRun
from workflows.case.notices import notice

with workflow.unsafe.imports_passed_through():
    from models.actions import Action
    from models.commands import Reply, ReplyReview
    from models.enums import CENTRE, CaseStatus, ClosureReason, Step
    from models.state import Assignment, CaseState, ReplyRecord
    from rules import callback as callback_rules


def check_reply(state: CaseState, command: Reply) -> Assignment:
    require_status(state, CaseStatus.HANDLING, step="reply")
    lead = state.lead
    if lead is None or lead.department != command.department:
        raise refuse(f"only the lead department can reply, not {command.department}")
    return lead


async def reply(case: CaseRun, command: Reply, lead: Assignment) -> None:
    state = case.state
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
    case.clocks.drop(HANDLING_KEY)
    case.clocks.drop(Step.RETURN_WINDOW.value)
    (review,) = await case.clocks.deadlines(Step.REPLY_REVIEW)
    case.clocks.set(Step.REPLY_REVIEW.value, CENTRE, review)
    await case.recorder.record(
        Action.REPLY,
        command.by,
        CaseStatus.REPLIED,
        {
            "department": command.department,
            "result": command.result.value,
            "officer": command.officer,
            "on_time": on_time,
        },
    )


def check_review(state: CaseState, command: ReplyReview) -> Assignment:
    require_status(state, CaseStatus.REPLIED, step="review a reply")
    return require_lead(state, "review a reply")


async def review(case: CaseRun, command: ReplyReview, lead: Assignment) -> None:
    state = case.state
    case.clocks.drop(Step.REPLY_REVIEW.value)
    state.replies[-1].approved = command.approve
    if not command.approve:
        (redo,) = await case.clocks.deadlines(Step.REDO)
        case.clocks.set(HANDLING_KEY, lead.department, redo)
        await case.recorder.record(
            Action.REPLY_REJECTED,
            command.by,
            CaseStatus.HANDLING,
            {"note": command.note},
            [
                notice(
                    state, "reply_rejected", lead.department, note=command.note or "", due=redo.due
                )
            ],
        )
        return
    if state.callback_required is None:
        state.callback_required = callback_rules.callback_required(
            state.intake.case_type, state.intake.case_no
        )
    if not state.callback_required:
        await close(
            case,
            ClosureReason.NO_CALLBACK_REQUIRED,
            Action.REPLY_APPROVED,
            command.by,
            {"note": command.note},
        )
        return
    (callback,) = await case.clocks.deadlines(Step.CALLBACK)
    case.clocks.set(Step.CALLBACK.value, CENTRE, callback)
    await case.recorder.record(
        Action.REPLY_APPROVED,
        command.by,
        CaseStatus.CALLBACK,
        {"note": command.note},
        [
            notice(
                state,
                "callback_script",
                CENTRE,
                department=lead.department,
                reply_result=state.replies[-1].result.value,
            )
        ],
    )

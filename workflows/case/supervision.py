"""Supervision: the deadlines firing along the ladder, a supervisor's urging and escalation.

Both ways a case climbs the ladder are here: a clock reaching a milestone (warning, overdue,
level 2: `rules/escalation.py`), and the `escalate` Signal. What each does to the case's level
and which notices go out is the supervision policy, `rules/supervision.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

from workflows.case import patches
from workflows.case.checks import require_lead, require_status
from workflows.case.clocks import HANDLING_KEY
from workflows.case.closure import close
from workflows.case.context import CaseRun
from workflows.case.notices import days_overdue, due_of, notice, step_of

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from models.actions import Action
    from models.commands import Escalate, Urge
    from models.enums import CENTRE, CaseStatus, ClockStage, ClosureReason, Step
    from models.records import Notification
    from models.state import Assignment, CaseState, Clock
    from rules import escalation as escalation_rules
    from rules import supervision as supervision_rules


SYSTEM = "system"
SUPERVISED_CLOCKS = (Step.SIGN_OFF.value, HANDLING_KEY)
"""The department's clocks a supervisor's deadline may shorten."""

# ---- the ladder -----------------------------------------------------------------------------


async def fire_due_milestones(case: CaseRun) -> None:
    now = workflow.now()
    for clock in list(case.state.clocks):
        while (next_one := escalation_rules.milestone(clock)) is not None and next_one[0] <= now:
            if case.state.status is CaseStatus.CLOSED:
                return
            await fire(case, clock, next_one[1])


async def fire(case: CaseRun, clock: Clock, stage: ClockStage) -> None:
    state = case.state
    clock.stage = stage
    step = clock.deadline.step
    if step is Step.PRAISE_CLOSE:
        await close(
            case,
            ClosureReason.PRAISE_NOTED,
            Action.PRAISE_CLOSED,
            SYSTEM,
            {"department": clock.owner},
        )
        return
    detail: dict[str, Any] = {
        "clock": clock.key,
        "step": step.value,
        "owner": clock.owner,
        "due": clock.deadline.due.isoformat(),
    }
    notices: list[Notification] = []
    if stage is ClockStage.WARNED:
        notices.append(
            notice(state, "warning", clock.owner, step=step.value, due=clock.deadline.due)
        )
    elif stage is ClockStage.OVERDUE:
        state.ever_overdue = True
        notices.append(
            notice(
                state,
                "urging_notice",
                clock.owner,
                step=step.value,
                due=clock.deadline.due,
                days_overdue=0,
            )
        )
    announce = supervision_rules.announces_level2(stage, step, state.escalation_level)
    state.escalation_level = supervision_rules.milestone_level(stage, step, state.escalation_level)
    if announce:
        notices.append(
            notice(
                state,
                "escalation_notice",
                clock.owner,
                level=escalation_rules.LEVEL2,
                note=supervision_rules.LEVEL2_NOTE,
                by=SYSTEM,
            )
        )
    detail["escalation_level"] = state.escalation_level
    await case.recorder.record(
        supervision_rules.MILESTONE_ACTIONS[stage], SYSTEM, state.status, detail, notices
    )


# ---- urging -----------------------------------------------------------------------------------


def check_urge(state: CaseState, command: Urge) -> Assignment:
    require_status(state, CaseStatus.DISPATCHED, CaseStatus.HANDLING, step="urge")
    return require_lead(state, "urge")


async def urge(case: CaseRun, command: Urge, lead: Assignment) -> None:
    state = case.state
    clock = state.clock(HANDLING_KEY) or state.clock(Step.SIGN_OFF.value)
    await case.recorder.record(
        Action.URGE,
        command.by,
        state.status,
        {"note": command.note},
        [
            notice(
                state,
                "urging_notice",
                lead.department,
                step=step_of(clock),
                due=due_of(clock),
                days_overdue=days_overdue(clock, workflow.now()),
            )
        ],
    )


# ---- escalation -------------------------------------------------------------------------------


async def escalate(case: CaseRun, request: Escalate | dict[str, Any]) -> None:
    """Anything the stock CLI sends arrives here; input that is not a valid escalation is
    recorded as refused (visible to the supervisor and auditors) instead of dropped."""
    state = case.state
    if state.status is CaseStatus.CLOSED:
        workflow.logger.info("escalation ignored: case closed")
        return
    if isinstance(request, dict):
        await case.recorder.record(
            Action.ESCALATION_REFUSED,
            str(request.get("by") or "unknown"),
            state.status,
            {"reason": _invalid_escalation(request)},
        )
        return
    if (
        request.deadline is not None
        and request.deadline.tzinfo is None
        and patches.taken(patches.ESCALATION_DEADLINE_OFFSET_PATCH)
    ):
        # Old histories read such a deadline as Beijing time; new signals refuse it.
        await case.recorder.record(
            Action.ESCALATION_REFUSED,
            request.by,
            state.status,
            {"reason": supervision_rules.NAIVE_DEADLINE_REASON},
        )
        return
    level = escalation_rules.raised_level(state.escalation_level, request.level)
    detail: dict[str, Any] = {
        "requested_level": request.level,
        "level": level,
        "note": request.note,
    }
    if request.deadline is not None:
        await _shorten_deadlines(case, request.deadline, detail)
    raised = level > state.escalation_level
    state.escalation_level = level
    recipient = state.lead.department if state.lead else CENTRE
    notices = (
        [
            notice(
                state,
                "escalation_notice",
                recipient,
                level=level,
                note=request.note,
                by=request.by,
                new_deadline=detail.get("new_deadline"),
            )
        ]
        if supervision_rules.escalation_notified(raised, "new_deadline" in detail)
        else []
    )
    await case.recorder.record(Action.ESCALATE, request.by, state.status, detail, notices)


async def _shorten_deadlines(case: CaseRun, requested: datetime, detail: dict[str, Any]) -> None:
    """A supervisor's deadline: caps the department's running clocks, never extends them."""
    requested = supervision_rules.supervisor_deadline(requested)
    clocks = [
        clock
        for key in SUPERVISED_CLOCKS
        if (clock := case.state.clock(key)) is not None
        and supervision_rules.shortens(requested, clock.deadline.due)
    ]
    if not clocks:
        detail["deadline_ignored"] = supervision_rules.DEADLINE_IGNORED
        return
    for clock in clocks:
        (shorter,) = await case.clocks.deadlines(clock.deadline.step, fixed_due=requested)
        case.clocks.set(
            clock.key,
            clock.owner,
            shorter,
            original_due=clock.original_due or clock.deadline.due,
        )
    detail["new_deadline"] = requested.isoformat()


def _invalid_escalation(raw: dict[str, Any]) -> str:
    try:
        Escalate.model_validate(raw)
    except ValidationError as err:
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in err.errors()
        )
    return "not a valid escalation"

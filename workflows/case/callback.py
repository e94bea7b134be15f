"""Callback (回访): each attempt to reach the citizen, and a reopen (重办) when they are not
satisfied. What an attempt decides is the callback policy, `rules/callback.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio import workflow

from workflows.case.checks import refuse, require_lead, require_status
from workflows.case.clocks import HANDLING_KEY
from workflows.case.closure import close
from workflows.case.context import CaseRun
from workflows.case.notices import notice

with workflow.unsafe.imports_passed_through():
    from models.actions import Action
    from models.commands import CallbackResult
    from models.enums import CaseStatus, Satisfaction, Step
    from models.state import Assignment, CallbackRecord, CaseState
    from rules import callback as callback_rules


@dataclass(frozen=True)
class Reached:
    """What a citizen who was reached said."""

    satisfaction: Satisfaction
    resolved: bool


@dataclass(frozen=True)
class Attempt:
    """A callback attempt as checked: the lead it may reopen for, and the answer if reached."""

    lead: Assignment
    reached: Reached | None


def check_callback(state: CaseState, command: CallbackResult) -> Attempt:
    require_status(state, CaseStatus.CALLBACK, step="record a callback")
    if command.reached and (command.satisfaction is None or command.resolved is None):
        raise refuse("a reached callback needs both satisfaction and resolved")
    if not command.reached and (command.satisfaction or command.resolved is not None):
        raise refuse("an unreached callback cannot carry satisfaction or resolved")
    lead = require_lead(state, "record a callback")
    if command.satisfaction is None or command.resolved is None:
        return Attempt(lead, None)
    return Attempt(lead, Reached(command.satisfaction, command.resolved))


async def record_callback(case: CaseRun, command: CallbackResult, attempt: Attempt) -> None:
    state = case.state
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
    reached = attempt.reached
    if reached is None:
        unreached = sum(1 for c in state.callbacks if not c.reached)
        decision = callback_rules.unreached_decision(unreached)
    else:
        detail |= {"resolved": reached.resolved, "satisfaction": reached.satisfaction.value}
        decision = callback_rules.reached_decision(
            reached.satisfaction,
            reached.resolved,
            command.cause_with_department,
            state.reopen_rounds,
        )
    if decision.reopen:
        await reopen(case, attempt.lead, command.by, detail)
    elif decision.closure is None:
        await case.recorder.record(Action.CALLBACK, command.by, state.status, detail)
    else:
        if decision.rounds_exhausted:
            detail |= {"note": command.note or callback_rules.ROUNDS_EXHAUSTED_NOTE}
        await close(case, decision.closure, Action.CALLBACK, command.by, detail)


async def reopen(case: CaseRun, lead: Assignment, by: str, detail: dict[str, Any]) -> None:
    state = case.state
    case.clocks.drop(Step.CALLBACK.value)
    state.reopen_rounds += 1
    (deadline,) = await case.clocks.deadlines(Step.REOPEN)
    case.clocks.set(HANDLING_KEY, lead.department, deadline)
    await case.recorder.record(
        Action.REOPEN,
        by,
        CaseStatus.HANDLING,
        detail | {"round": state.reopen_rounds},
        [
            notice(
                state,
                "reply_rejected",
                lead.department,
                note=callback_rules.reopen_note(state.reopen_rounds),
                due=deadline.due,
            )
        ],
    )

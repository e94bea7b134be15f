"""Extension (延期): the lead department asks for more working days, the centre decides.

The policy (one approved extension, the cutoff, at most the days asked) is `rules/extension.py`.
An approval moves the handling clock by the days granted from its current due time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio import workflow

from workflows.case.checks import local, refuse, require_open, require_status
from workflows.case.clocks import HANDLING_KEY
from workflows.case.context import CaseRun
from workflows.case.notices import due_of, notice

with workflow.unsafe.imports_passed_through():
    from models.actions import Action
    from models.commands import ExtensionDecision, ExtensionRequest
    from models.enums import CENTRE, CaseStatus, Step
    from models.state import Assignment, CaseState, Clock
    from rules import extension as extension_rules


NO_HANDLING_CLOCK = "there is no running handling deadline to extend"


@dataclass(frozen=True)
class Granted:
    """A decision to approve: the days granted and the handling clock they move."""

    lead: Assignment
    working_days: int
    handling: Clock


@dataclass(frozen=True)
class Denied:
    lead: Assignment


def check_request(state: CaseState, command: ExtensionRequest) -> Assignment:
    require_status(state, CaseStatus.HANDLING, step="request an extension")
    lead = state.lead
    if lead is None or lead.department != command.department:
        raise refuse(f"only the lead department can ask for an extension, not {command.department}")
    if lead.extension_requested_days is not None and not lead.extension_decided:
        raise refuse("an extension request is already waiting for the centre's decision")
    if extension_rules.already_extended(lead.extension_approved_days):
        raise refuse("this assignment already had its one approved extension")
    clock = state.clock(HANDLING_KEY)
    if clock is None:
        raise refuse(NO_HANDLING_CLOCK)
    if extension_rules.too_late_to_ask(workflow.now(), clock.deadline.due):
        due = local(clock.deadline.due)
        cutoff = extension_rules.request_cutoff(clock.deadline.due)
        raise refuse(
            f"an extension must be requested before {cutoff:%Y-%m-%d %H:%M} "
            f"(deadline {due:%Y-%m-%d %H:%M})"
        )
    return lead


async def request(case: CaseRun, command: ExtensionRequest, lead: Assignment) -> None:
    lead.extension_requested_days = command.working_days
    lead.extension_requested_at = workflow.now()
    lead.extension_decided = False
    (review,) = await case.clocks.deadlines(Step.EXTENSION_REVIEW)
    case.clocks.set(Step.EXTENSION_REVIEW.value, CENTRE, review)
    await case.recorder.record(
        Action.EXTENSION_REQUESTED,
        command.by,
        case.state.status,
        {
            "department": command.department,
            "working_days": command.working_days,
            "reason": command.reason,
        },
    )


def check_decision(state: CaseState, command: ExtensionDecision) -> Granted | Denied:
    require_open(state, "decide an extension")
    lead = state.lead
    if lead is None or lead.extension_requested_days is None or lead.extension_decided:
        raise refuse("no extension request is waiting for a decision")
    requested = lead.extension_requested_days
    if command.approve and not extension_rules.grantable(requested, command.working_days):
        raise refuse(
            f"cannot grant {command.working_days} working days: {requested} were requested"
        )
    if not command.approve and command.working_days:
        raise refuse("working_days goes with an approval only")
    if not command.approve:
        return Denied(lead)
    clock = state.clock(HANDLING_KEY)
    if clock is None:  # replied meanwhile: nothing left to extend
        raise refuse(NO_HANDLING_CLOCK)
    return Granted(lead, extension_rules.granted(requested, command.working_days), clock)


async def decide(case: CaseRun, command: ExtensionDecision, decision: Granted | Denied) -> None:
    state = case.state
    lead = decision.lead
    lead.extension_decided = True
    case.clocks.drop(Step.EXTENSION_REVIEW.value)
    detail: dict[str, Any] = {"department": lead.department, "approved": command.approve}
    if isinstance(decision, Granted):
        clock = decision.handling
        lead.extension_approved_days = decision.working_days
        (moved,) = await case.clocks.deadlines(
            clock.deadline.step,
            extend_due=clock.deadline.due,
            extra_working_days=decision.working_days,
        )
        moved = moved.model_copy(update={"start": clock.deadline.start})
        case.clocks.set(
            HANDLING_KEY,
            lead.department,
            moved,
            original_due=clock.original_due or clock.deadline.due,
        )
        detail |= {"working_days": decision.working_days, "new_due": moved.due.isoformat()}
    await case.recorder.record(
        Action.EXTENSION_DECIDED,
        command.by,
        state.status,
        detail,
        [
            notice(
                state,
                "extension_decision",
                lead.department,
                approved=command.approve,
                working_days=detail.get("working_days"),
                new_due=due_of(state.clock(HANDLING_KEY)),
                note=command.note,
            )
        ],
    )

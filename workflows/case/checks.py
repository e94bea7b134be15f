"""What every step's validator checks first: the case is open, in the right status, held by a
lead department; and how a refused step is answered (before it reaches the history)."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.enums import CaseStatus
    from models.errors import STEP_REFUSED
    from models.state import Assignment, CaseState
    from models.timestamps import BEIJING


REFUSED = STEP_REFUSED


def refuse(message: str) -> ApplicationError:
    return ApplicationError(message, type=REFUSED, non_retryable=True)


def require_open(state: CaseState, step: str) -> None:
    if state.status is CaseStatus.CLOSED:
        raise refuse(f"cannot {step}: case {state.intake.case_no} is closed")


def require_status(state: CaseState, *allowed: CaseStatus, step: str) -> None:
    require_open(state, step)
    if state.status not in allowed:
        wanted = " or ".join(s.value for s in allowed)
        raise refuse(f"cannot {step}: the case is {state.status.value}, not {wanted}")


def require_lead(state: CaseState, step: str) -> Assignment:
    """The lead department's assignment. Every status that lets `step` through has one; this
    only turns a state that cannot arise into a refusal instead of a stuck case."""
    lead = state.lead
    if lead is None:
        raise refuse(f"cannot {step}: no lead department holds case {state.intake.case_no}")
    return lead


def active_assignment(state: CaseState, department: str) -> Assignment | None:
    return next((a for a in state.assignments if a.department == department and a.active), None)


def local(at: datetime) -> datetime:
    """Beijing time, as refusals quote it."""
    return at.astimezone(BEIJING)

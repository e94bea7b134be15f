"""The notifications a case step sends: department and centre notices, and SMS to the citizen.

Each names its template (`activities/templates/<name>.j2`) and carries the case's common
context plus the step's own keys; the renderer lets through only the keys a template declares.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.records import Notification
    from models.state import CaseState, Clock


CITIZEN = "citizen"


def notice(state: CaseState, template: str, recipient: str, **context: Any) -> Notification:
    """An internal notice to a department (by id) or to the centre."""
    return Notification(
        case_no=state.intake.case_no,
        event_key=f"{template}:{recipient}",
        template=template,
        channel="internal",
        recipient=recipient,
        context=_context(state) | context,
    )


def sms(state: CaseState, template: str, **context: Any) -> Notification:
    """An SMS to the caller's first phone (the caller must have one)."""
    phone = state.intake.caller.phones[0]
    return Notification(
        case_no=state.intake.case_no,
        event_key=f"{template}:{CITIZEN}",
        template=template,
        channel="sms",
        recipient=phone,
        context=_context(state) | context,
    )


def _context(state: CaseState) -> dict[str, Any]:
    intake = state.intake
    return {
        "case_no": intake.case_no,
        "category": intake.category,
        "title": intake.title,
        "case_type": intake.case_type.value,
        "urgency": intake.urgency.value,
    }


def due_of(clock: Clock | None) -> datetime | None:
    return clock.deadline.due if clock else None


def step_of(clock: Clock | None) -> str:
    return clock.deadline.step.value if clock else ""


def days_overdue(clock: Clock | None, now: datetime) -> int:
    if clock is None or now <= clock.deadline.due:
        return 0
    return (now - clock.deadline.due).days

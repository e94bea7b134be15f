"""What the operator reads out when a call is taken: the case number, the citizen's retrieval
code (查询码) and the expected reply time.

The retrieval code is for the caller's ears only: it is shown on the operator's screen and never
put in a URL or a log. The expected reply time is the handling deadline of a case dispatched at
intake; of a case waiting for a dispatcher it is estimated from now by the same time-limit table
and working-day calendar the case will use (`rules.deadlines`), and said to be an estimate.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio.client import Client

from activities.calendar_source import load_overrides
from activities.store import retrieval_code
from db.engine import SessionFactory
from models.enums import CaseStatus, CaseType, Step
from models.records import DeadlineRequest
from models.state import CaseState
from rules.calendar import WorkingCalendar
from rules.deadlines import compute_deadline
from services.cases import show
from settings.environment import Settings

HANDLING_STEPS = (Step.HANDLING, Step.PRAISE_CLOSE)


@dataclass(frozen=True)
class IntakeReceipt:
    """The intake's result as the operator tells the caller (`reply_due` None: no reply to
    wait for, the contact was answered or closed on the spot)."""

    case_no: str
    retrieval_code: str | None
    reply_due: datetime | None
    estimated: bool
    working_days: int | None
    hours: float | None
    merged_into: str | None
    warnings: tuple[str, ...] = ()
    assisting: tuple[str, ...] = ()


@functools.cache
def _base_calendar() -> WorkingCalendar:
    return WorkingCalendar.load(Settings.from_env().holidays_dir)


def working_calendar(sessions: SessionFactory) -> WorkingCalendar:
    """The calendar the cases use: the shipped years with the administrator's published ones."""
    return _base_calendar().with_schedules(load_overrides(sessions))


def _handling_due(
    sessions: SessionFactory, state: CaseState, now: datetime
) -> tuple[datetime | None, bool, int | None, float | None]:
    for clock in state.clocks:
        if clock.deadline.step in HANDLING_STEPS:
            deadline = clock.deadline
            return deadline.due, False, deadline.working_days, deadline.hours
    if state.status is not CaseStatus.RECEIVED:
        return None, False, None, None
    intake = state.intake
    step = Step.PRAISE_CLOSE if intake.case_type is CaseType.PRAISE else Step.HANDLING
    estimate = compute_deadline(
        working_calendar(sessions),
        DeadlineRequest(
            step=step,
            start=now,
            urgency=intake.urgency,
            case_type=intake.case_type,
            complex=intake.complex,
            limits_edition=state.limits_edition,
        ),
    )
    return estimate.due, True, estimate.working_days, estimate.hours


async def intake_receipt(
    client: Client, sessions: SessionFactory, case_no: str, now: datetime | None = None
) -> IntakeReceipt:
    """The receipt of a case just taken in (its state read once from its workflow)."""
    now = now or datetime.now(UTC)
    state = await show(client, case_no)
    code = await asyncio.to_thread(retrieval_code, sessions, case_no)
    due, estimated, working_days, hours = await asyncio.to_thread(
        _handling_due, sessions, state, now
    )
    return IntakeReceipt(
        case_no=case_no,
        retrieval_code=code,
        reply_due=due,
        estimated=estimated,
        working_days=working_days,
        hours=hours,
        merged_into=state.merged_into,
        warnings=tuple(state.warnings),
        assisting=tuple(a.department for a in state.assignments if not a.lead and a.active),
    )

"""Deadline computation: the time-limit table applied through the official working-day calendar.

Runs as a (local) activity so that each computed deadline is fixed in the case history: a later
change of the calendar data or of the limits never moves a deadline already running.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from models.records import DeadlineRequest
from models.state import Deadline
from rules.calendar import WorkingCalendar
from rules.escalation import (
    LEVEL2_AFTER_WORKING_DAYS,
    WORKING_DAYS_WARNING_BEFORE,
    hours_warning_at,
)
from rules.time_limits import limit_for


def compute_deadlines(calendar: WorkingCalendar, requests: list[DeadlineRequest]) -> list[Deadline]:
    return [compute_deadline(calendar, request) for request in requests]


def compute_deadline(calendar: WorkingCalendar, request: DeadlineRequest) -> Deadline:
    """The due time, warning time and level-2 time of one step."""
    limit = limit_for(
        request.step, request.urgency, request.case_type, request.complex, request.limits_edition
    )
    warnings: list[str] = []

    def note(found: tuple[str, ...]) -> None:
        warnings.extend(w for w in found if w not in warnings)

    start = request.start
    if request.fixed_due is not None:
        due = request.fixed_due
        warn_at = hours_warning_at(start, due)
    elif request.extend_due is not None:
        extended = calendar.add_working_days(request.extend_due, request.extra_working_days)
        note(extended.warnings)
        due = extended.at
        warn_at = _working_day_warning(calendar, start, due, note)
    elif limit.working_days is not None:
        result = calendar.add_working_days(start, limit.working_days)
        note(result.warnings)
        due = result.at
        warn_at = _working_day_warning(calendar, start, due, note)
    else:
        assert limit.hours is not None
        due = start + timedelta(hours=limit.hours)
        warn_at = hours_warning_at(start, due)
    derived_from_table = request.fixed_due is None and request.extend_due is None
    level2 = calendar.add_working_days(due, LEVEL2_AFTER_WORKING_DAYS)
    note(level2.warnings)
    return Deadline(
        step=request.step,
        start=start,
        due=due,
        warn_at=warn_at,
        level2_at=level2.at,
        working_days=limit.working_days if derived_from_table else None,
        hours=limit.hours if derived_from_table else None,
        calendar_warnings=warnings,
        limits_edition=request.limits_edition,
    )


def _working_day_warning(
    calendar: WorkingCalendar,
    start: datetime,
    due: datetime,
    note: Callable[[tuple[str, ...]], None],
) -> datetime:
    """One working day before the deadline; for a deadline too close for that, at 75% of it."""
    before = due
    for _ in range(WORKING_DAYS_WARNING_BEFORE):
        result = calendar.working_day_before(before)
        note(result.warnings)
        before = result.at
    if before <= start:
        return hours_warning_at(start, due)
    return before

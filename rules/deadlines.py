"""Deadline computation: the time-limit table applied through the official working-day calendar.

Pure: the calendar is data passed in. The case workflow runs it through the local activity
`compute_deadlines`, so each computed deadline is fixed in the case history: a later change of
the calendar data or of the limits never moves a deadline already running.
"""

from __future__ import annotations

from datetime import timedelta

from models.records import DeadlineRequest
from models.state import Deadline
from rules.calendar import WorkingCalendar
from rules.escalation import hours_warning_at, level2_at, working_day_warning_at
from rules.time_limits import limit_for


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
        warn_at = working_day_warning_at(calendar, start, due, note)
    elif limit.working_days is not None:
        result = calendar.add_working_days(start, limit.working_days)
        note(result.warnings)
        due = result.at
        warn_at = working_day_warning_at(calendar, start, due, note)
    elif limit.hours is not None:
        due = start + timedelta(hours=limit.hours)
        warn_at = hours_warning_at(start, due)
    else:  # `Limit` refuses to exist without one of the two
        raise ValueError(f"the limit of {request.step.value} has neither working days nor hours")
    derived_from_table = request.fixed_due is None and request.extend_due is None
    level2 = level2_at(calendar, due)
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

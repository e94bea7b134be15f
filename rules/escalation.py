"""The escalation ladder (domain §7): the milestones of every time limit and when each falls.

A deadline clock climbs RUNNING → WARNED (warning) → OVERDUE (level 1) → LEVEL2, one milestone
at a time; the warning and level-2 times are derived from the due time here. What the case does
at each milestone (level raises, notices) is the supervision policy, `rules/supervision.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from models.enums import ClockStage, Step
from models.state import Clock
from rules.calendar import CalendarResult, WorkingCalendar

# Warning for an hours limit when this share of the time remains.
HOURS_WARNING_REMAINING = 0.25
# Warning for a working-day limit: this many working days before the deadline (18:00 of it).
WORKING_DAYS_WARNING_BEFORE = 1
# Still overdue this many working days after the deadline: level 2 (circular to leadership).
LEVEL2_AFTER_WORKING_DAYS = 5

LEVEL_NAMES = {1: "中心督办", 2: "领导督办", 3: "政府督查"}
OVERDUE_LEVEL = 1
LEVEL2 = 2

ORDER = (ClockStage.RUNNING, ClockStage.WARNED, ClockStage.OVERDUE, ClockStage.LEVEL2)

CalendarNote = Callable[[tuple[str, ...]], None]
"""Collects the calendar warnings met while computing a time."""


def hours_warning_at(start: datetime, due: datetime) -> datetime:
    return start + (due - start) * (1 - HOURS_WARNING_REMAINING)


def working_day_warning_at(
    calendar: WorkingCalendar, start: datetime, due: datetime, note: CalendarNote
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


def level2_at(calendar: WorkingCalendar, due: datetime) -> CalendarResult:
    return calendar.add_working_days(due, LEVEL2_AFTER_WORKING_DAYS)


def earlier_stage(a: ClockStage, b: ClockStage) -> ClockStage:
    return min(a, b, key=ORDER.index)


def milestone(clock: Clock) -> tuple[datetime, ClockStage] | None:
    """When the clock reaches its next milestone, and which one; None when it has no more.

    The return window is a limit on returning, not a duty: nothing to escalate. A praise case's
    one-working-day clock has a single milestone, its due time, when the case closes itself.
    """
    if clock.deadline.step is Step.RETURN_WINDOW:
        return None
    if clock.deadline.step is Step.PRAISE_CLOSE:
        if clock.stage is ClockStage.OVERDUE:
            return None
        return clock.deadline.due, ClockStage.OVERDUE
    return next_milestone(clock)


def next_milestone(clock: Clock) -> tuple[datetime, ClockStage] | None:
    """The next stage of the full ladder, and when the clock reaches it."""
    deadline = clock.deadline
    if clock.stage is ClockStage.RUNNING:
        return deadline.warn_at, ClockStage.WARNED
    if clock.stage is ClockStage.WARNED:
        return deadline.due, ClockStage.OVERDUE
    if clock.stage is ClockStage.OVERDUE:
        return deadline.level2_at, ClockStage.LEVEL2
    return None


def stage_at(clock: Clock, now: datetime) -> ClockStage:
    """The stage a clock should be in at `now` (after its deadline moved)."""
    deadline = clock.deadline
    if now >= deadline.level2_at:
        return ClockStage.LEVEL2
    if now >= deadline.due:
        return ClockStage.OVERDUE
    if now >= deadline.warn_at:
        return ClockStage.WARNED
    return ClockStage.RUNNING


def raised_level(current: int, requested: int) -> int:
    """Levels never go down."""
    return max(current, requested)

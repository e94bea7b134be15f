"""Which escalation milestone of a deadline clock comes next (pure; used inside the workflow)."""

from __future__ import annotations

from datetime import datetime

from models.enums import ClockStage
from models.state import Clock

ORDER = (ClockStage.RUNNING, ClockStage.WARNED, ClockStage.OVERDUE, ClockStage.LEVEL2)


def earlier_stage(a: ClockStage, b: ClockStage) -> ClockStage:
    return min(a, b, key=ORDER.index)


def next_milestone(clock: Clock) -> tuple[datetime, ClockStage] | None:
    """When the clock reaches its next stage, and which stage that is."""
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

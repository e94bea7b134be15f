"""Supervision (domain §7): what a case does at each milestone of the ladder and on escalation.

The ladder itself (the milestones and their times) is `rules/escalation.py`. Here: which clocks
raise the case's escalation level when they run over, to which level, the wording the automatic
level-2 notice carries, and the policy of a supervisor's escalation (levels never go down, a new
deadline only shortens, a deadline without a UTC offset is refused).
"""

from __future__ import annotations

from datetime import datetime

from models.actions import Action
from models.enums import ClockStage, Step
from models.timestamps import BEIJING
from rules.escalation import LEVEL2, LEVEL2_AFTER_WORKING_DAYS, OVERDUE_LEVEL

# Clocks owned by a department; their overdue raises the case's escalation level.
DEPARTMENT_STEPS = frozenset({Step.SIGN_OFF, Step.HANDLING, Step.REDO, Step.REOPEN})

MILESTONE_ACTIONS = {
    ClockStage.WARNED: Action.DEADLINE_WARNING,
    ClockStage.OVERDUE: Action.DEADLINE_OVERDUE,
    ClockStage.LEVEL2: Action.DEADLINE_LEVEL2,
}
"""The timeline action each milestone records."""

MILESTONE_LEVELS = {ClockStage.OVERDUE: OVERDUE_LEVEL, ClockStage.LEVEL2: LEVEL2}
"""The escalation level a department's clock raises the case to at each milestone."""

LEVEL2_NOTE = f"超期{LEVEL2_AFTER_WORKING_DAYS}个工作日仍未办结，予以通报"
"""The instruction of the automatic level-2 escalation notice (carried in the notice's
context, so it stays exactly as cases already recorded it)."""

NAIVE_DEADLINE_REASON = "deadline: needs a UTC offset (+08:00 for Beijing time, or Z for UTC)"
DEADLINE_IGNORED = "a new deadline may only shorten the current one"


def milestone_level(stage: ClockStage, step: Step, current: int) -> int:
    """The case's escalation level after a clock of `step` reached `stage`."""
    raised = MILESTONE_LEVELS.get(stage)
    if raised is None or step not in DEPARTMENT_STEPS or current >= raised:
        return current
    return raised


def announces_level2(stage: ClockStage, step: Step, current: int) -> bool:
    """Whether the milestone raises the case to level 2, which the department is told of."""
    return stage is ClockStage.LEVEL2 and milestone_level(stage, step, current) > current


def supervisor_deadline(requested: datetime) -> datetime:
    """A supervisor's deadline as the case applies it: without an offset, Beijing time (how
    escalations recorded before offsets were required are read)."""
    if requested.tzinfo is None:
        return requested.replace(tzinfo=BEIJING)
    return requested


def shortens(requested: datetime, due: datetime) -> bool:
    """A supervisor's deadline caps a running clock; it never extends one."""
    return requested < due


def escalation_notified(level_raised: bool, deadline_moved: bool) -> bool:
    """An escalation tells the department when it raises the level or moves a deadline."""
    return level_raised or deadline_moved

"""The time-limit table (domain §6): every service deadline of the hotline, in one place.

Change a number here and every new step uses it; steps already running keep the deadline
that was computed (and recorded in the case history) when they started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from models.enums import CaseType, Step, Urgency


@dataclass(frozen=True)
class Limit:
    """Either a number of working days (ending 18:00) or a number of calendar hours."""

    working_days: int | None = None
    hours: float | None = None

    def __post_init__(self) -> None:
        if (self.working_days is None) == (self.hours is None):
            raise ValueError("a limit is either working days or hours")


def days(n: int) -> Limit:
    return Limit(working_days=n)


def hours(h: float) -> Limit:
    return Limit(hours=h)


# step -> urgency -> limit. Handling depends on the case type: see HANDLING below.
STEP_LIMITS: dict[Step, dict[Urgency, Limit]] = {
    Step.DISPATCH: {
        Urgency.NORMAL: hours(2),
        Urgency.URGENT: hours(10 / 60),
        Urgency.UTILITY: hours(0.5),
    },
    Step.SIGN_OFF: {Urgency.NORMAL: days(1), Urgency.URGENT: hours(0.5), Urgency.UTILITY: hours(2)},
    Step.RETURN_WINDOW: {
        Urgency.NORMAL: days(2),
        Urgency.URGENT: hours(1),
        Urgency.UTILITY: hours(4),
    },
    Step.RETURN_REVIEW: {
        Urgency.NORMAL: days(1),
        Urgency.URGENT: hours(0.5),
        Urgency.UTILITY: hours(1),
    },
    Step.EXTENSION_REVIEW: {
        Urgency.NORMAL: days(1),
        Urgency.URGENT: hours(0.5),
        Urgency.UTILITY: hours(1),
    },
    Step.REPLY_REVIEW: {
        Urgency.NORMAL: days(1),
        Urgency.URGENT: hours(0.5),
        Urgency.UTILITY: hours(1),
    },
    Step.REDO: {Urgency.NORMAL: days(3), Urgency.URGENT: hours(2), Urgency.UTILITY: hours(12)},
    Step.CALLBACK: {Urgency.NORMAL: days(2), Urgency.URGENT: days(2), Urgency.UTILITY: days(2)},
    Step.REOPEN: {Urgency.NORMAL: days(5), Urgency.URGENT: days(5), Urgency.UTILITY: days(5)},
    Step.PRAISE_CLOSE: {Urgency.NORMAL: days(1), Urgency.URGENT: days(1), Urgency.UTILITY: days(1)},
}

# Handling, counted from dispatch (not sign-off): normal cases by type; urgent and
# utility-urgent cases by urgency whatever their type.
HANDLING_NORMAL: dict[CaseType, Limit] = {
    CaseType.CONSULTATION: days(2),
    CaseType.HELP: days(5),
    CaseType.SUGGESTION: days(5),
    CaseType.COMPLAINT: days(10),
    CaseType.REPORT: days(10),
    CaseType.OTHER: days(5),
    CaseType.PRAISE: days(1),
}
HANDLING_COMPLEX = days(15)
HANDLING_URGENT: dict[Urgency, Limit] = {Urgency.URGENT: hours(2), Urgency.UTILITY: hours(24)}

# Extensions: one approved extension per assignment, of at most this many working days,
# requested before this local time on the deadline day.
MAX_EXTENSION_WORKING_DAYS = 10
EXTENSION_CUTOFF = time(17, 0)


def limit_for(step: Step, urgency: Urgency, case_type: CaseType, complex_case: bool) -> Limit:
    """The limit of one step for one case."""
    if step in (Step.HANDLING, Step.ASSIST_INPUT):
        if urgency is not Urgency.NORMAL:
            return HANDLING_URGENT[urgency]
        if complex_case:
            return HANDLING_COMPLEX
        return HANDLING_NORMAL[case_type]
    return STEP_LIMITS[step][urgency]

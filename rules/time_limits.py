"""The time-limit table (domain §6): every service deadline of the hotline, in one place.

Do not edit a number in place for a running system: add an `Amendment` (bottom of the file), so
cases started before it keep their limits on every later step and their histories replay (the
README's "Changing a rule for running cases" works one through).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
# Extensions of the handling limit: `rules/extension.py`.


@dataclass(frozen=True)
class Amendment:
    """A later edition of the table: the limits it changes, for cases started under it.

    A case pins its edition when it starts (`workflows.case.clocks.pin_limits_edition`, through
    `workflow.patched(patch_id)`), so a case already running keeps the limits it started with on
    every later step, and replaying its history computes the same deadlines.
    """

    edition: int
    patch_id: str
    summary: str
    step_limits: dict[Step, dict[Urgency, Limit]] = field(default_factory=dict)
    handling_normal: dict[CaseType, Limit] = field(default_factory=dict)


FIRST_EDITION = 1  # the table above: DB5201/T 110-2020 as written in domain §6
AMENDMENTS: tuple[Amendment, ...] = ()
"""Amendments in order, newest last; see "Changing a rule" in the README before adding one."""


def limit_for(
    step: Step,
    urgency: Urgency,
    case_type: CaseType,
    complex_case: bool,
    edition: int = FIRST_EDITION,
) -> Limit:
    """The limit of one step for one case, under the edition of the table the case started with.

    The newest amendment up to `edition` that names the limit wins; otherwise the table above.
    """
    handling = step in (Step.HANDLING, Step.ASSIST_INPUT)
    if handling and urgency is not Urgency.NORMAL:
        return HANDLING_URGENT[urgency]
    if handling and complex_case:
        return HANDLING_COMPLEX
    for amendment in reversed(AMENDMENTS):
        if amendment.edition > edition:
            continue
        amended = (
            amendment.handling_normal.get(case_type)
            if handling
            else amendment.step_limits.get(step, {}).get(urgency)
        )
        if amended is not None:
            return amended
    return HANDLING_NORMAL[case_type] if handling else STEP_LIMITS[step][urgency]

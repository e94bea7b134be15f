"""Closure policy (domain §5, §7): how an intake outcome closes a case, and who is told.

A contact answered on the spot (direct answer, three-way call, emergency hand-off, not accepted)
closes its case at intake; a case a department handled tells the citizen by SMS when it closes
for one of the reasons below. Merged, withdrawn and praise cases close without an SMS.
"""

from __future__ import annotations

from models.enums import ClosureReason, IntakeOutcomeKind

INTAKE_CLOSURES: dict[IntakeOutcomeKind, ClosureReason] = {
    IntakeOutcomeKind.DIRECT_ANSWER: ClosureReason.DIRECT_ANSWER,
    IntakeOutcomeKind.THREE_WAY_CALL: ClosureReason.THREE_WAY_CALL,
    IntakeOutcomeKind.EMERGENCY_HANDOFF: ClosureReason.EMERGENCY_HANDOFF,
    IntakeOutcomeKind.NOT_ACCEPTED: ClosureReason.NOT_ACCEPTED,
}
"""Intake outcomes that close the case at once, and the closure reason each records."""

CLOSURE_SMS_REASONS = frozenset(
    {
        ClosureReason.RESOLVED,
        ClosureReason.NO_CALLBACK_REQUIRED,
        ClosureReason.CLOSED_UNRESOLVED,
        ClosureReason.CALLBACK_UNREACHABLE,
    }
)
"""Closures the citizen is told of by SMS, when the case reached a department and has a phone."""


def intake_closure(kind: IntakeOutcomeKind) -> ClosureReason:
    return INTAKE_CLOSURES[kind]


def sends_closure_sms(reason: ClosureReason, has_phone: bool, was_assigned: bool) -> bool:
    return has_phone and was_assigned and reason in CLOSURE_SMS_REASONS

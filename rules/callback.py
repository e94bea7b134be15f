"""The callback policy (domain §5-§6): who is called back, attempts, satisfaction, reopen rounds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from models.enums import CaseType, ClosureReason, Satisfaction

# Always called back.
CALLBACK_REQUIRED_TYPES = frozenset({CaseType.HELP, CaseType.COMPLAINT, CaseType.REPORT})
# Called back on a sample.
CALLBACK_SAMPLED_TYPES = frozenset({CaseType.CONSULTATION, CaseType.SUGGESTION, CaseType.OTHER})
CALLBACK_SAMPLE_RATE = 0.30
CALLBACK_MAX_ATTEMPTS = 3
MAX_REOPEN_ROUNDS = 2
SATISFIED = frozenset(
    {Satisfaction.VERY_SATISFIED, Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED}
)
"""The levels that count as satisfied: 非常满意, 满意 and 基本满意 (不满意 and 非常不满意 do not).
The callback closes a case on them, and the satisfaction rate (满意率) counts them."""


def callback_required(case_type: CaseType, case_no: str) -> bool:
    """Required types always; sampled types by a stable hash of the case number (no randomness)."""
    if case_type in CALLBACK_REQUIRED_TYPES:
        return True
    if case_type in CALLBACK_SAMPLED_TYPES:
        digest = hashlib.sha256(case_no.encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32 < CALLBACK_SAMPLE_RATE
    return False


def is_satisfied(satisfaction: Satisfaction) -> bool:
    return satisfaction in SATISFIED


@dataclass(frozen=True)
class CallbackDecision:
    """What one callback attempt does to the case."""

    closure: ClosureReason | None = None  # None: the case stays open
    reopen: bool = False  # back to the lead department for another round (重办)
    rounds_exhausted: bool = False  # closed unresolved because the reopen rounds ran out


ROUNDS_EXHAUSTED_NOTE = "reopen rounds exhausted"
"""The note recorded when a dissatisfied callback finds no reopen round left (and none given)."""


def unreached_decision(unreached_attempts: int) -> CallbackDecision:
    """After an attempt that did not reach the citizen: try again, or close after the last."""
    if unreached_attempts >= CALLBACK_MAX_ATTEMPTS:
        return CallbackDecision(closure=ClosureReason.CALLBACK_UNREACHABLE)
    return CallbackDecision()


def reached_decision(
    satisfaction: Satisfaction, resolved: bool, cause_with_department: bool, reopen_rounds: int
) -> CallbackDecision:
    """Satisfied closes as resolved; dissatisfied with the department's handling reopens the
    case while rounds remain, else closes it unresolved; dissatisfied for another cause closes
    it as the citizen says it stands."""
    if is_satisfied(satisfaction):
        return CallbackDecision(closure=ClosureReason.RESOLVED)
    if cause_with_department and reopen_rounds < MAX_REOPEN_ROUNDS:
        return CallbackDecision(reopen=True)
    if cause_with_department:
        return CallbackDecision(closure=ClosureReason.CLOSED_UNRESOLVED, rounds_exhausted=True)
    return CallbackDecision(
        closure=ClosureReason.RESOLVED if resolved else ClosureReason.CLOSED_UNRESOLVED
    )


def reopen_note(round_no: int) -> str:
    """The instruction of the redo notice a reopened case sends its department."""
    return f"回访不满意，第{round_no}次重办"

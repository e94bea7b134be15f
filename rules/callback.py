"""The callback policy (domain §5-§6): who is called back, attempts, satisfaction, reopen rounds."""

from __future__ import annotations

import hashlib

from models.enums import CaseType, Satisfaction

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

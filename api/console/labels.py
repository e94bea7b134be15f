"""The console's lookup of a code's Chinese name by kind, over the shared `models.labels`."""

from __future__ import annotations

from collections.abc import Mapping

from models.labels import (
    ACTION_LABELS,
    CASE_TYPE_LABELS,
    CLOSURE_LABELS,
    NOT_ACCEPTED_LABELS,
    REPLY_RESULT_LABELS,
    RETURN_REASON_LABELS,
    ROLE_LABELS,
    SATISFACTION_LABELS,
    STAGE_LABELS,
    STATUS_LABELS,
    STEP_LABELS,
    URGENCY_LABELS,
)

LABELS: Mapping[str, Mapping[str, str]] = {
    "role": ROLE_LABELS,
    "status": STATUS_LABELS,
    "stage": STAGE_LABELS,
    "satisfaction": SATISFACTION_LABELS,
    "not_accepted": NOT_ACCEPTED_LABELS,
    "closure": CLOSURE_LABELS,
    "case_type": CASE_TYPE_LABELS,
    "urgency": URGENCY_LABELS,
    "reply_result": REPLY_RESULT_LABELS,
    "return_reason": RETURN_REASON_LABELS,
    "step": STEP_LABELS,
    "action": ACTION_LABELS,
}


def label(code: object, kind: str) -> str:
    """The Chinese name of `code` of kind `kind`, or the code itself when it has none."""
    text = getattr(code, "value", code)
    if text is None:
        return ""
    return LABELS.get(kind, {}).get(str(text), str(text))

"""Free text that every store accepts: no NUL, no other control characters but tab and
newlines, no unpaired surrogates (PostgreSQL refuses NUL, UTF-8 cannot carry a lone surrogate,
and neither has any business in a case)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, field_validator

_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
"""For query parameters: one line of printable text."""


def check_text(value: Any) -> Any:
    """Reject strings (also inside lists) that carry control characters."""
    if isinstance(value, str) and _FORBIDDEN.search(value):
        raise ValueError("contains a control character or an unpaired surrogate")
    if isinstance(value, list):
        for item in value:
            check_text(item)
    return value


class CleanText(BaseModel):
    """Base for models whose strings end up in the database and in notifications."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return check_text(value)

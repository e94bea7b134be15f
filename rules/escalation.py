"""The escalation ladder (domain §7): warning, overdue (level 1), level 2, manual levels."""

from __future__ import annotations

from datetime import datetime

# Warning for an hours limit when this share of the time remains.
HOURS_WARNING_REMAINING = 0.25
# Warning for a working-day limit: this many working days before the deadline (18:00 of it).
WORKING_DAYS_WARNING_BEFORE = 1
# Still overdue this many working days after the deadline: level 2 (circular to leadership).
LEVEL2_AFTER_WORKING_DAYS = 5

LEVEL_NAMES = {1: "中心督办", 2: "领导督办", 3: "政府督查"}
OVERDUE_LEVEL = 1
LEVEL2 = 2


def hours_warning_at(start: datetime, due: datetime) -> datetime:
    return start + (due - start) * (1 - HOURS_WARNING_REMAINING)


def raised_level(current: int, requested: int) -> int:
    """Levels never go down."""
    return max(current, requested)

"""The knowledge base's process rules (domain §8), all in one place.

Review of a submitted article version by the centre:

- time limit: ``REVIEW_WORKING_DAYS`` working days on the official calendar, counted from the
  day after submission (次日起算) and ending 18:00 local on the last one, exactly like the
  working-day limits of ``rules.time_limits``;
- warning: one reminder to the centre at 18:00 of the working day before the due day (none when
  that moment is not after the submission);
- overdue: a reminder to the centre at the due time, then one at 18:00 of each following working
  day, ``OVERDUE_REMINDERS`` in all; after that the review waits without reminding.

Weekly sweep (flags articles past their review-by date and reminds their owners, withdraws
expired ones): every ``SWEEP_WEEKDAY`` (Friday, the departments' usual update cycle) at
``SWEEP_TIME`` in ``SWEEP_TIME_ZONE``. An article is stale when its review-by date is before the
sweep's local date, expired when its expiry date is.

A review computes its times once, in an activity, and keeps them in its history: changing a
number here affects reviews submitted afterwards, never one already running.
"""

from __future__ import annotations

import calendar as weekdays
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final

from models.timestamps import BEIJING
from rules.calendar import WorkingCalendar

REVIEW_WORKING_DAYS: Final[int] = 3
"""Working days the centre has to decide on a submitted version."""

WARNING_WORKING_DAYS_BEFORE: Final[int] = 1
"""The warning goes out at 18:00 this many working days before the due day."""

OVERDUE_REMINDERS: Final[int] = 5
"""Overdue reminders to the centre at most: at the due time, then each following working day."""

"""Recipient of the review's warning and overdue reminders."""

SWEEP_WEEKDAY: Final[int] = weekdays.FRIDAY
"""Day of the weekly sweep, counted like ``date.weekday()``: 0 = Monday … 6 = Sunday."""

SWEEP_TIME: Final[time] = time(9, 0)
"""Local time of the weekly sweep."""

SWEEP_TIME_ZONE: Final[str] = "Asia/Shanghai"
"""Time zone of the sweep's schedule (UTC+8, like ``rules.calendar.BEIJING``)."""


@dataclass(frozen=True)
class ReviewTimes:
    """When a review is due and when the centre is reminded of it."""

    due: datetime
    warn_at: datetime | None
    overdue_at: tuple[datetime, ...]  # the first is `due`
    warnings: tuple[str, ...]  # calendar fallbacks met on the way (unpublished years)


def review_times(calendar: WorkingCalendar, submitted_at: datetime) -> ReviewTimes:
    """The due time, warning time and overdue reminder times of a version submitted then."""
    warnings: list[str] = []

    def note(found: tuple[str, ...]) -> None:
        warnings.extend(w for w in found if w not in warnings)

    result = calendar.add_working_days(submitted_at, REVIEW_WORKING_DAYS)
    note(result.warnings)
    due = result.at
    warning = due
    for _ in range(WARNING_WORKING_DAYS_BEFORE):
        before = calendar.working_day_before(warning)
        note(before.warnings)
        warning = before.at
    warn_at = warning if warning > submitted_at else None
    overdue = [due]
    while len(overdue) < OVERDUE_REMINDERS:
        following = calendar.add_working_days(overdue[-1], 1)
        note(following.warnings)
        overdue.append(following.at)
    return ReviewTimes(
        due=due, warn_at=warn_at, overdue_at=tuple(overdue), warnings=tuple(warnings)
    )


def reminder_milestones(
    warn_at: datetime | None, overdue_at: Sequence[datetime]
) -> list[tuple[datetime, str, str]]:
    """(when, kind, event-key suffix) of the centre's reminders of a pending review, in order:
    the warning, then the overdue reminders `overdue-1`, `overdue-2`, …"""
    milestones: list[tuple[datetime, str, str]] = []
    if warn_at is not None:
        milestones.append((warn_at, "warning", "warning"))
    milestones += [(at, "overdue", f"overdue-{n}") for n, at in enumerate(overdue_at, 1)]
    return milestones


def sweep_date(moment: datetime) -> date:
    """The local (Asia/Shanghai) date a sweep running at ``moment`` works for."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"moment must be timezone-aware, got {moment.isoformat()}")
    return moment.astimezone(BEIJING).date()


def is_stale(review_by: date, today: date) -> bool:
    """Past its review-by date: flagged, and its owner reminded, by the sweep."""
    return review_by < today


def is_expired(expires_on: date | None, today: date) -> bool:
    """Past its expiry date: withdrawn from search by the sweep."""
    return expires_on is not None and expires_on < today

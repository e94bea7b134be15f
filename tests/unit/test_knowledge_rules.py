"""The knowledge base's review time limit, its reminders and the sweep's predicates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from models.timestamps import BEIJING as SHANGHAI
from rules import knowledge
from rules.calendar import WorkingCalendar, YearSchedule, default_calendar
from rules.knowledge import is_expired, is_stale, review_times, sweep_date


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_submitted_on_a_friday_the_weekend_does_not_count() -> None:
    times = review_times(default_calendar(), local(2026, 12, 4))  # a Friday
    assert times.due == local(2026, 12, 9, 18)  # Mon, Tue, Wed
    assert times.warn_at == local(2026, 12, 8, 18)
    assert times.overdue_at == (
        local(2026, 12, 9, 18),
        local(2026, 12, 10, 18),
        local(2026, 12, 11, 18),
        local(2026, 12, 14, 18),  # Saturday and Sunday skipped
        local(2026, 12, 15, 18),
    )
    assert times.warnings == ()


def test_official_holidays_and_make_up_days_count_as_published() -> None:
    # National Day 2026: 1-7 October off, Saturday 10 October a make-up working day.
    times = review_times(default_calendar(), local(2026, 9, 30))
    assert times.due == local(2026, 10, 10, 18)
    assert times.warn_at == local(2026, 10, 9, 18)
    assert times.overdue_at[1] == local(2026, 10, 12, 18)


def test_counting_starts_the_day_after_whatever_the_hour() -> None:
    early = review_times(default_calendar(), local(2026, 12, 1, 0, 5))
    late = review_times(default_calendar(), local(2026, 12, 1, 23, 55))
    assert early.due == late.due == local(2026, 12, 4, 18)


def test_a_local_date_decides_not_the_utc_one() -> None:
    # 2026-12-03 17:00 UTC is already Friday 4 December in Shanghai.
    times = review_times(default_calendar(), datetime(2026, 12, 3, 17, tzinfo=UTC))
    assert times.due == local(2026, 12, 9, 18)


def test_an_unpublished_year_falls_back_with_a_warning() -> None:
    bare = WorkingCalendar({2026: YearSchedule(2026, frozenset(), frozenset())})
    times = review_times(bare, local(2099, 12, 31))
    assert times.due.weekday() < 5
    assert times.warnings == ("calendar: no official schedule for 2100; Monday-Friday used",)


def test_no_warning_when_the_working_day_before_is_already_past(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(knowledge, "REVIEW_WORKING_DAYS", 1)
    evening = review_times(default_calendar(), local(2026, 12, 1, 19))
    assert evening.due == local(2026, 12, 2, 18)
    assert evening.warn_at is None
    morning = review_times(default_calendar(), local(2026, 12, 1, 9))
    assert morning.warn_at == local(2026, 12, 1, 18)


def test_overdue_reminders_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(knowledge, "OVERDUE_REMINDERS", 2)
    times = review_times(default_calendar(), local(2026, 12, 4))
    assert times.overdue_at == (local(2026, 12, 9, 18), local(2026, 12, 10, 18))


def test_the_sweep_runs_friday_morning_in_shanghai() -> None:
    weekday, at, zone = knowledge.SWEEP_WEEKDAY, knowledge.SWEEP_TIME, knowledge.SWEEP_TIME_ZONE
    assert weekday == date(2026, 12, 4).weekday()  # a Friday
    assert (at, zone) == (time(9, 0), "Asia/Shanghai")


def test_sweep_date_is_the_local_date() -> None:
    assert sweep_date(datetime(2026, 12, 3, 17, tzinfo=UTC)) == date(2026, 12, 4)
    assert sweep_date(datetime(2026, 12, 3, 15, tzinfo=UTC)) == date(2026, 12, 3)
    with pytest.raises(ValueError, match="timezone-aware"):
        sweep_date(datetime(2026, 12, 3, 15))


def test_stale_and_expired_mean_strictly_before_today() -> None:
    today = date(2026, 12, 4)
    assert is_stale(date(2026, 12, 3), today)
    assert not is_stale(today, today)
    assert is_expired(date(2026, 12, 3), today)
    assert not is_expired(today, today)
    assert not is_expired(None, today)

"""The calendar source lays administrators' years over the files and refreshes on a timer."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.exc import OperationalError

from activities.calendar_source import CalendarSource
from models.timestamps import BEIJING as SHANGHAI
from rules.calendar import WorkingCalendar, YearSchedule

SPRING_2027 = YearSchedule(
    2027, holidays=frozenset({date(2027, 2, 8), date(2027, 2, 9)}), workdays=frozenset()
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_overrides_apply_after_the_refresh_interval() -> None:
    published: dict[int, YearSchedule] = {}
    clock = Clock()
    source = CalendarSource(WorkingCalendar(), lambda: dict(published), 60, clock)
    friday = datetime(2027, 2, 5, 10, tzinfo=SHANGHAI)
    before = source.current().add_working_days(friday, 1)
    assert before.at.date() == date(2027, 2, 8) and before.warnings

    published[2027] = SPRING_2027
    clock.now = 59
    assert source.current().add_working_days(friday, 1).at.date() == date(2027, 2, 8)
    clock.now = 60
    after = source.current().add_working_days(friday, 1)
    assert after.at.date() == date(2027, 2, 10)
    assert after.warnings == ()


def test_a_database_failure_keeps_the_last_calendar() -> None:
    calls = {"n": 0}

    def overrides() -> dict[int, YearSchedule]:
        calls["n"] += 1
        if calls["n"] > 1:
            raise OperationalError("select", {}, Exception("database down"))
        return {2027: SPRING_2027}

    clock = Clock()
    source = CalendarSource(WorkingCalendar(), overrides, 60, clock)
    first = source.current()
    clock.now = 120
    assert source.current() is first
    assert calls["n"] == 2

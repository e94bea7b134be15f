"""Tests for the official working-day calendar (rules/calendar.py).

Expected dates are hard-coded from the published 2026 schedule (as held by chinese_calendar
1.11): Spring Festival off 2026-02-15..02-23 with make-up Saturdays 02-14 and 02-28;
Mid-Autumn off 2026-09-25..09-27; National Day off 2026-10-01..10-07 with make-up days
2026-09-20 (Sunday) and 2026-10-10 (Saturday). 2027 is not published in the package.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from models.timestamps import BEIJING as SHANGHAI
from rules.calendar import (
    END_OF_DAY,
    CalendarDataError,
    CalendarResult,
    WorkingCalendar,
    YearSchedule,
    default_calendar,
    load_schedule_file,
)
from settings.environment import Settings

WARN_2027 = "calendar: no official schedule for 2027; Monday-Friday used"
SAMPLE = Path(__file__).resolve().parents[2] / "rules" / "holidays" / "example-year.yml.sample"


def sh(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def eod(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 18, 0, tzinfo=SHANGHAI)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


@pytest.fixture
def cal() -> WorkingCalendar:
    """Package schedule only: no data files."""
    return WorkingCalendar()


@pytest.fixture(autouse=True)
def _no_env_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_HOLIDAYS_DIR", raising=False)


# --- constants -------------------------------------------------------------------------------


def test_shanghai_is_fixed_utc_plus_8_and_office_day_ends_at_18() -> None:
    assert SHANGHAI.utcoffset(None) == timedelta(hours=8)
    assert datetime(2026, 7, 1, tzinfo=SHANGHAI).utcoffset() == timedelta(hours=8)  # no DST
    assert SHANGHAI.tzname(None) == "Asia/Shanghai"
    assert (END_OF_DAY.hour, END_OF_DAY.minute) == (18, 0)


# --- 2026 Spring Festival --------------------------------------------------------------------


def test_spring_festival_2026_days(cal: WorkingCalendar) -> None:
    for day in days(date(2026, 2, 15), date(2026, 2, 23)):
        assert cal.is_working_day(day) == (False, None), day
    assert cal.is_working_day(date(2026, 2, 14)) == (True, None)  # Saturday, make-up day
    assert cal.is_working_day(date(2026, 2, 28)) == (True, None)  # Saturday, make-up day
    assert cal.is_working_day(date(2026, 2, 13)) == (True, None)  # Friday
    assert cal.is_working_day(date(2026, 2, 24)) == (True, None)  # Tuesday after
    assert cal.is_working_day(date(2026, 3, 1)) == (False, None)  # ordinary Sunday


def test_friday_before_spring_festival_one_day_is_make_up_saturday(cal: WorkingCalendar) -> None:
    result = cal.add_working_days(sh(2026, 2, 13), 1)
    assert result == CalendarResult(at=eod(2026, 2, 14), warnings=())
    assert result.at.tzinfo is SHANGHAI


def test_add_working_days_jumps_over_spring_festival(cal: WorkingCalendar) -> None:
    # Working days after Fri 02-13: 02-14 (Sat), 02-24, 02-25, 02-26, 02-27, 02-28 (Sat), 03-02.
    assert cal.add_working_days(sh(2026, 2, 13), 2).at == eod(2026, 2, 24)
    assert cal.add_working_days(sh(2026, 2, 13), 5).at == eod(2026, 2, 27)
    assert cal.add_working_days(sh(2026, 2, 13), 6).at == eod(2026, 2, 28)
    assert cal.add_working_days(sh(2026, 2, 13), 7).at == eod(2026, 3, 2)
    # An event on the make-up Saturday itself counts from the next day.
    assert cal.add_working_days(sh(2026, 2, 14), 1).at == eod(2026, 2, 24)
    # An event during the holiday.
    assert cal.add_working_days(sh(2026, 2, 17), 1).at == eod(2026, 2, 24)
    assert cal.add_working_days(sh(2026, 2, 17), 3).at == eod(2026, 2, 26)


def test_working_day_before_across_spring_festival(cal: WorkingCalendar) -> None:
    assert cal.working_day_before(sh(2026, 2, 24)) == CalendarResult(eod(2026, 2, 14), ())
    assert cal.working_day_before(sh(2026, 2, 20)).at == eod(2026, 2, 14)
    assert cal.working_day_before(eod(2026, 2, 14)).at == eod(2026, 2, 13)
    assert cal.working_day_before(sh(2026, 3, 2)).at == eod(2026, 2, 28)


def test_working_days_between_spring_festival(cal: WorkingCalendar) -> None:
    # (02-13, 02-28]: 02-14, 02-24, 02-25, 02-26, 02-27, 02-28.
    assert cal.working_days_between(sh(2026, 2, 13), sh(2026, 2, 28)) == 6
    assert cal.working_days_between(sh(2026, 2, 14), sh(2026, 2, 23)) == 0
    assert cal.working_days_between(sh(2026, 2, 28), sh(2026, 2, 13)) == 0
    assert cal.working_days_between(sh(2026, 2, 13, 9), sh(2026, 2, 13, 17)) == 0


# --- 2026 Mid-Autumn and National Day --------------------------------------------------------


def test_national_day_2026_days(cal: WorkingCalendar) -> None:
    for day in days(date(2026, 10, 1), date(2026, 10, 7)):
        assert cal.is_working_day(day) == (False, None), day
    assert cal.is_working_day(date(2026, 9, 20)) == (True, None)  # Sunday, make-up day
    assert cal.is_working_day(date(2026, 10, 10)) == (True, None)  # Saturday, make-up day
    assert cal.is_working_day(date(2026, 10, 8)) == (True, None)
    assert cal.is_working_day(date(2026, 10, 9)) == (True, None)
    assert cal.is_working_day(date(2026, 10, 11)) == (False, None)  # ordinary Sunday
    # Mid-Autumn is a separate break the week before: Fri 09-25 is off.
    for day in days(date(2026, 9, 25), date(2026, 9, 27)):
        assert cal.is_working_day(day) == (False, None), day
    assert cal.is_working_day(date(2026, 9, 19)) == (False, None)  # ordinary Saturday


def test_add_working_days_over_national_day(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(sh(2026, 9, 30), 1).at == eod(2026, 10, 8)
    assert cal.add_working_days(sh(2026, 9, 30), 2).at == eod(2026, 10, 9)
    assert cal.add_working_days(sh(2026, 9, 30), 3).at == eod(2026, 10, 10)
    assert cal.add_working_days(sh(2026, 9, 30), 4).at == eod(2026, 10, 12)
    # Make-up Sunday 09-20 counts; Mid-Autumn 09-25..27 does not.
    # After Sat 09-19: 09-20, 09-21, 09-22, 09-23, 09-24, 09-28.
    assert cal.add_working_days(sh(2026, 9, 19), 1).at == eod(2026, 9, 20)
    assert cal.add_working_days(sh(2026, 9, 19), 6).at == eod(2026, 9, 28)
    assert cal.add_working_days(sh(2026, 9, 24), 1).at == eod(2026, 9, 28)


def test_working_day_before_over_national_day(cal: WorkingCalendar) -> None:
    assert cal.working_day_before(sh(2026, 10, 8)).at == eod(2026, 9, 30)
    assert cal.working_day_before(sh(2026, 10, 11)).at == eod(2026, 10, 10)
    assert cal.working_day_before(sh(2026, 9, 28)).at == eod(2026, 9, 24)
    assert cal.working_day_before(sh(2026, 9, 21)).at == eod(2026, 9, 20)


def test_working_days_between_national_day(cal: WorkingCalendar) -> None:
    # (09-30, 10-12]: 10-08, 10-09, 10-10, 10-12.
    assert cal.working_days_between(sh(2026, 9, 30), sh(2026, 10, 12)) == 4
    # (09-18, 09-30]: 09-20..09-24 (5) and 09-28..09-30 (3).
    assert cal.working_days_between(sh(2026, 9, 18), sh(2026, 9, 30)) == 8


# --- ordinary weeks, time of day, time zones -------------------------------------------------


def test_ordinary_weekend(cal: WorkingCalendar) -> None:
    # Week of 2026-03-02 (Mon) .. 03-08 (Sun) has no holidays.
    assert cal.is_working_day(date(2026, 3, 7)) == (False, None)
    assert cal.is_working_day(date(2026, 3, 8)) == (False, None)
    assert cal.add_working_days(sh(2026, 3, 5), 1).at == eod(2026, 3, 6)
    assert cal.add_working_days(sh(2026, 3, 6), 1).at == eod(2026, 3, 9)
    assert cal.add_working_days(sh(2026, 3, 7), 1).at == eod(2026, 3, 9)
    assert cal.add_working_days(sh(2026, 3, 6), 5).at == eod(2026, 3, 13)
    assert cal.add_working_days(sh(2026, 3, 6), 15).at == eod(2026, 3, 27)
    assert cal.working_day_before(sh(2026, 3, 9)).at == eod(2026, 3, 6)
    assert cal.working_days_between(sh(2026, 3, 6), sh(2026, 3, 13)) == 5


def test_event_late_in_the_evening_counts_from_next_day(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(sh(2026, 3, 3, 23, 30), 1).at == eod(2026, 3, 4)
    assert cal.add_working_days(sh(2026, 3, 3, 0, 0), 1).at == eod(2026, 3, 4)


def test_utc_input_already_next_day_in_shanghai(cal: WorkingCalendar) -> None:
    # 2026-03-05 16:30 UTC is Friday 2026-03-06 00:30 in Shanghai.
    start = datetime(2026, 3, 5, 16, 30, tzinfo=UTC)
    result = cal.add_working_days(start, 1)
    assert result.at == eod(2026, 3, 9)
    assert result.at.tzinfo is SHANGHAI
    # 15:59 UTC is still Thursday 23:59 in Shanghai.
    assert cal.add_working_days(datetime(2026, 3, 5, 15, 59, tzinfo=UTC), 1).at == eod(2026, 3, 6)
    # Friday 00:30 local, previous working day is Thursday.
    assert cal.working_day_before(start).at == eod(2026, 3, 5)
    assert cal.working_days_between(start, datetime(2026, 3, 9, 2, tzinfo=UTC)) == 1


def test_other_offset_input(cal: WorkingCalendar) -> None:
    new_york = timezone(timedelta(hours=-5))
    # 2026-03-05 20:00 -05:00 is 2026-03-06 09:00 in Shanghai.
    assert cal.add_working_days(datetime(2026, 3, 5, 20, tzinfo=new_york), 1).at == eod(2026, 3, 9)


# --- unknown year: Monday-Friday fallback ----------------------------------------------------


def test_unknown_year_falls_back_with_warning(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(date(2027, 1, 1)) == (True, WARN_2027)  # Friday
    assert cal.is_working_day(date(2027, 1, 2)) == (False, WARN_2027)  # Saturday
    result = cal.add_working_days(sh(2027, 3, 5), 3)  # Friday
    assert result == CalendarResult(eod(2027, 3, 10), (WARN_2027,))
    before = cal.working_day_before(sh(2027, 3, 8))  # Monday
    assert before == CalendarResult(eod(2027, 3, 5), (WARN_2027,))
    assert cal.working_days_between(sh(2027, 3, 5), sh(2027, 3, 12)) == 5


def test_result_spanning_into_unknown_year_warns_once(cal: WorkingCalendar) -> None:
    # After Thu 2026-12-31: Fri 2027-01-01, Mon 01-04, ..., Fri 01-08 (Mon-Fri fallback).
    result = cal.add_working_days(sh(2026, 12, 31), 6)
    assert result.at == eod(2027, 1, 8)
    assert result.warnings == (WARN_2027,)
    # Wholly inside 2026: no warning.
    assert cal.add_working_days(sh(2026, 12, 28), 3).warnings == ()
    # Backwards across the new year, through the unknown weekend.
    back = cal.working_day_before(sh(2027, 1, 1))
    assert back == CalendarResult(eod(2026, 12, 31), ())
    back = cal.working_day_before(sh(2027, 1, 4))
    assert back == CalendarResult(eod(2027, 1, 1), (WARN_2027,))


# --- administrator data files ----------------------------------------------------------------

DATA_2027 = """\
year: 2027
holidays: [2027-01-01, 2027-02-08, 2027-02-09]
workdays: [2027-02-06]
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def check_2027_follows_file(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(date(2027, 1, 1)) == (False, None)  # Friday, holiday in file
    assert cal.is_working_day(date(2027, 2, 6)) == (True, None)  # Saturday, make-up in file
    assert cal.is_working_day(date(2027, 1, 4)) == (True, None)  # Monday, unlisted
    assert cal.is_working_day(date(2027, 1, 9)) == (False, None)  # Saturday, unlisted
    # After Thu 2026-12-31: 01-01 off, weekend off, Mon 01-04.
    assert cal.add_working_days(sh(2026, 12, 31), 1) == CalendarResult(eod(2027, 1, 4), ())
    # After Fri 02-05: Sat 02-06 (make-up), Mon 02-08 and Tue 02-09 off, Wed 02-10.
    assert cal.add_working_days(sh(2027, 2, 5), 2) == CalendarResult(eod(2027, 2, 10), ())
    assert cal.working_day_before(sh(2027, 2, 10)) == CalendarResult(eod(2027, 2, 6), ())


def test_data_file_via_extra_dir(tmp_path: Path) -> None:
    write(tmp_path, "2027.yml", DATA_2027)
    check_2027_follows_file(WorkingCalendar.load(extra_dir=tmp_path))


def test_data_file_via_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "2027.yml", DATA_2027)
    monkeypatch.setenv("HOTLINE_HOLIDAYS_DIR", str(tmp_path))
    check_2027_follows_file(WorkingCalendar.load(Settings.from_env().holidays_dir))


def test_load_without_extra_dir_keeps_2027_fallback() -> None:
    # Nothing official for 2027 is shipped; only the .sample file, which is never loaded.
    cal = WorkingCalendar.load()
    assert cal.is_working_day(date(2027, 1, 4)) == (True, WARN_2027)
    assert cal.is_working_day(date(2099, 1, 1)) == (
        True,
        "calendar: no official schedule for 2099; Monday-Friday used",
    )


def test_data_file_overrides_known_year(tmp_path: Path) -> None:
    # Correcting 2026: declare 2026-03-06 (Friday) a holiday and 2026-03-07 a make-up day.
    write(tmp_path, "2026.yml", "year: 2026\nholidays: [2026-03-06]\nworkdays: ['2026-03-07']\n")
    cal = WorkingCalendar.load(extra_dir=tmp_path)
    assert cal.is_working_day(date(2026, 3, 6)) == (False, None)
    assert cal.is_working_day(date(2026, 3, 7)) == (True, None)
    # The file replaces the whole year: the package's Spring Festival no longer applies.
    assert cal.is_working_day(date(2026, 2, 16)) == (True, None)


def test_schedules_mapping_and_year_schedule() -> None:
    schedule = YearSchedule(2027, frozenset({date(2027, 1, 1)}), frozenset({date(2027, 1, 2)}))
    cal = WorkingCalendar({2027: schedule})
    assert cal.is_working_day(date(2027, 1, 1)) == (False, None)
    assert cal.is_working_day(date(2027, 1, 2)) == (True, None)
    with pytest.raises(ValueError, match="2027"):
        WorkingCalendar({2028: schedule})
    with pytest.raises(ValueError, match="both"):
        YearSchedule(2027, frozenset({date(2027, 1, 1)}), frozenset({date(2027, 1, 1)}))
    with pytest.raises(ValueError, match="2028-01-01"):
        YearSchedule(2027, frozenset({date(2028, 1, 1)}), frozenset())


def test_load_schedule_file_reads_sample() -> None:
    schedule = load_schedule_file(SAMPLE)
    assert schedule == YearSchedule(
        year=2099,
        holidays=frozenset({date(2099, 1, 1), date(2099, 5, 1), date(2099, 5, 4)}),
        workdays=frozenset({date(2099, 5, 9)}),
    )


def test_empty_lists_are_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, "2027.yml", "year: 2027\nholidays: []\n")
    assert load_schedule_file(path) == YearSchedule(2027, frozenset(), frozenset())


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("year: 2027\nholidays: [2026-12-31]\n", "2026-12-31"),
        ("year: 2027\nworkdays: [2028-01-02]\n", "2028-01-02"),
        ("year: 2027\nholidays: [2027-02-06]\nworkdays: [2027-02-06]\n", "2027-02-06"),
        ("year: 2027\nholidays: [2027-02-30]\n", "2027-02-30"),
        ("year: 2027\nholidays: [2027-02-06 09:00:00]\n", "2027-02-06 09:00:00"),
        ("year: 2027\nholidays: [20270206]\n", "20270206"),
        ("year: 2027\nholidays: [2027-2-6]\n", "2027-2-6"),
        ("year: 2027\nholidays: 2027-01-01\n", "list"),
        ("year: '2027'\n", "year"),
        ("holidays: [2027-01-01]\n", "year"),
        ("year: 2027\nholiday: [2027-01-01]\n", "holiday"),
        ("- 2027-01-01\n", "mapping"),
        ("", "mapping"),
        ("year: 2027\nholidays: [2027-01-01\n", "YAML"),
    ],
)
def test_invalid_data_file_raises_naming_file(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, "bad-2027.yml", text)
    with pytest.raises(CalendarDataError) as info:
        load_schedule_file(path)
    assert "bad-2027.yml" in str(info.value)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(CalendarDataError, match=re.escape("bad-2027.yml")):
        WorkingCalendar.load(extra_dir=tmp_path)


def test_duplicate_year_in_one_directory(tmp_path: Path) -> None:
    write(tmp_path, "2027.yml", DATA_2027)
    write(tmp_path, "2027-copy.yml", DATA_2027)
    with pytest.raises(CalendarDataError, match="already defined"):
        WorkingCalendar.load(extra_dir=tmp_path)


def test_missing_extra_dir_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(CalendarDataError, match="nope"):
        WorkingCalendar.load(extra_dir=missing)
    monkeypatch.setenv("HOTLINE_HOLIDAYS_DIR", str(missing))
    with pytest.raises(CalendarDataError, match="nope"):
        WorkingCalendar.load(Settings.from_env().holidays_dir)


def test_non_yml_files_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "2027.yml.sample", "year: 2027\nholidays: [2027-01-04]\n")
    write(tmp_path, "notes.txt", "not yaml: [")
    cal = WorkingCalendar.load(extra_dir=tmp_path)
    assert cal.is_working_day(date(2027, 1, 4)) == (True, WARN_2027)


# --- argument checks and guards --------------------------------------------------------------


def test_naive_datetime_raises(cal: WorkingCalendar) -> None:
    naive = datetime(2026, 3, 5, 10, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_days(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_day_before(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_days_between(naive, sh(2026, 3, 9))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_days_between(sh(2026, 3, 5), naive)


@pytest.mark.parametrize("bad", [0, -1])
def test_days_below_one_raises(cal: WorkingCalendar, bad: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        cal.add_working_days(sh(2026, 3, 5), bad)


def test_is_working_day_rejects_datetime(cal: WorkingCalendar) -> None:
    with pytest.raises(TypeError):
        cal.is_working_day(sh(2026, 3, 5))


def test_loops_are_capped() -> None:
    def all_off(year: int) -> YearSchedule:
        return YearSchedule(
            year, frozenset(days(date(year, 1, 1), date(year, 12, 31))), frozenset()
        )

    cal = WorkingCalendar({year: all_off(year) for year in range(2027, 2040)})
    assert cal.is_working_day(date(2027, 3, 1)) == (False, None)
    with pytest.raises(ValueError, match="3660"):
        cal.add_working_days(sh(2027, 1, 1), 1)
    with pytest.raises(ValueError, match="3660"):
        cal.working_day_before(sh(2039, 12, 31))
    with pytest.raises(ValueError, match="3660"):
        cal.working_days_between(sh(2026, 1, 1), sh(2040, 1, 1))


def test_default_calendar_is_cached() -> None:
    assert default_calendar() is default_calendar()
    assert default_calendar().add_working_days(sh(2026, 2, 13), 1).at == eod(2026, 2, 14)

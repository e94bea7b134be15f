"""The official working-day calendar used for every working-day time limit.

Working days follow the State Council holiday schedule: statutory holidays are off and the
make-up weekend days (调休) are working days. The ``chinese_calendar`` package supplies the
published years; an administrator can add a year the package does not know yet (or correct one
it does) with a YAML data file, see ``rules/holidays/README.md``. For a year with neither, the
calendar falls back to Monday-Friday and reports a warning string that the caller records on
the case, so an unpublished schedule never stops case handling.

All day arithmetic is done on local dates in Asia/Shanghai (UTC+8, no daylight saving time). The
zone is a fixed offset, so no time-zone database is needed. Apart from reading the data files
once, in ``WorkingCalendar.load``, everything here is pure and deterministic.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import chinese_calendar
import yaml

from models.errors import ConfigurationError
from models.timestamps import BEIJING

__all__ = [
    "END_OF_DAY",
    "CalendarDataError",
    "CalendarResult",
    "WorkingCalendar",
    "YearSchedule",
    "default_calendar",
    "load_schedule_file",
]


END_OF_DAY: Final[time] = time(18, 0)
"""A working-day time limit ends at this local time of its last working day."""

MAX_SCAN_DAYS: Final[int] = 3660
"""No computation walks more calendar days than this (about ten years)."""

_SHIPPED_HOLIDAYS_DIR: Final[Path] = Path(__file__).resolve().parent / "holidays"

_DATA_KEYS: Final[frozenset[str]] = frozenset({"year", "holidays", "workdays"})
_ONE_DAY: Final[timedelta] = timedelta(days=1)
_ISO_DATE: Final[re.Pattern[str]] = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _DataLoader(yaml.SafeLoader):
    """Safe YAML loader that leaves dates as text, so each is validated (and reported) here."""


_DataLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


class CalendarDataError(ConfigurationError, ValueError):
    """A holiday data file is unreadable or inconsistent."""


@dataclass(frozen=True)
class YearSchedule:
    """The official schedule of one year as deviations from Monday-Friday.

    ``holidays`` are days off that would otherwise be working days; ``workdays`` are make-up
    weekend days that are working. Listing a weekend day as a holiday (or a weekday as a
    workday) is allowed and harmless, so a whole holiday span can be copied from the notice.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]

    def __post_init__(self) -> None:
        for name, days in (("holidays", self.holidays), ("workdays", self.workdays)):
            for day in days:
                if _is_datetime(day) or not isinstance(day, date):
                    raise ValueError(f"{name} entry {day!r} is not a date")
                if day.year != self.year:
                    raise ValueError(f"{name} entry {day.isoformat()} is not in year {self.year}")
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ValueError(f"{both[0].isoformat()} is listed in both holidays and workdays")

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() < 5


@dataclass(frozen=True)
class CalendarResult:
    """A computed local time plus the calendar warnings met on the way (each at most once)."""

    at: datetime
    warnings: tuple[str, ...]


def _fallback_warning(year: int) -> str:
    """The warning recorded when ``year`` has no official schedule."""
    return f"calendar: no official schedule for {year}; Monday-Friday used"


class WorkingCalendar:
    """Working-day arithmetic over the official schedule.

    ``schedules`` (usually from data files) take precedence over the ``chinese_calendar``
    package for their years; a year in neither falls back to Monday-Friday with a warning.
    """

    def __init__(self, schedules: Mapping[int, YearSchedule] | None = None) -> None:
        own: dict[int, YearSchedule] = {}
        for year, schedule in (schedules or {}).items():
            if schedule.year != year:
                raise ValueError(f"schedule for {schedule.year} given under year {year}")
            own[year] = schedule
        self._schedules: Mapping[int, YearSchedule] = MappingProxyType(own)

    @classmethod
    def load(cls, extra_dir: Path | None = None) -> WorkingCalendar:
        """Read the shipped data files, then those of ``extra_dir`` (the administrator's directory,
        ``HOTLINE_HOLIDAYS_DIR`` in the settings), a later file replacing an earlier one's year.

        A missing shipped directory means no shipped files; a missing extra directory is an
        error, since it is a configuration mistake that would silently change deadlines.
        """
        schedules: dict[int, YearSchedule] = {}
        if _SHIPPED_HOLIDAYS_DIR.is_dir():
            schedules.update(_load_dir(_SHIPPED_HOLIDAYS_DIR))
        if extra_dir is not None:
            if not extra_dir.is_dir():
                raise CalendarDataError(f"{extra_dir}: holiday data directory does not exist")
            schedules.update(_load_dir(extra_dir))
        return cls(schedules)

    def with_schedules(self, schedules: Mapping[int, YearSchedule]) -> WorkingCalendar:
        """This calendar with ``schedules`` replacing its own for their years."""
        return WorkingCalendar({**self._schedules, **schedules})

    def is_working_day(self, day: date) -> tuple[bool, str | None]:
        """Whether ``day`` (a local date) is a working day, and the fallback warning if any."""
        if _is_datetime(day):
            raise TypeError("is_working_day takes a date; convert a datetime to its local date")
        schedule = self._schedules.get(day.year)
        if schedule is not None:
            return schedule.is_working_day(day), None
        try:
            return bool(chinese_calendar.is_workday(day)), None
        except NotImplementedError:
            return day.weekday() < 5, _fallback_warning(day.year)

    def add_working_days(self, start: datetime, days: int) -> CalendarResult:
        """18:00 local of the ``days``-th working day after the local date of ``start``.

        Counting starts on the day after the event (次日起算), whatever its time of day.
        """
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError(f"days must be an int, got {days!r}")
        if days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        day = _local_date(start, "start")
        warnings = _Warnings()
        counted = 0
        for _ in range(MAX_SCAN_DAYS):
            day = _step(day, _ONE_DAY)
            working, warning = self.is_working_day(day)
            warnings.add(warning)
            if working:
                counted += 1
                if counted == days:
                    return CalendarResult(_end_of_day(day), warnings.as_tuple())
        raise ValueError(
            f"{days} working days after {start.isoformat()} not reached within "
            f"{MAX_SCAN_DAYS} calendar days"
        )

    def working_day_before(self, due: datetime) -> CalendarResult:
        """18:00 local of the last working day strictly before the local date of ``due``."""
        day = _local_date(due, "due")
        warnings = _Warnings()
        for _ in range(MAX_SCAN_DAYS):
            day = _step(day, -_ONE_DAY)
            working, warning = self.is_working_day(day)
            warnings.add(warning)
            if working:
                return CalendarResult(_end_of_day(day), warnings.as_tuple())
        raise ValueError(
            f"no working day within {MAX_SCAN_DAYS} calendar days before {due.isoformat()}"
        )

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Number of working days ``d`` with local date of ``start`` < ``d`` <= that of ``end``.

        Zero when ``end`` is not on a later local date. Fallback warnings are not reported
        here; spans longer than ``MAX_SCAN_DAYS`` calendar days raise ``ValueError``.
        """
        first = _local_date(start, "start")
        last = _local_date(end, "end")
        span = (last - first).days
        if span <= 0:
            return 0
        if span > MAX_SCAN_DAYS:
            raise ValueError(f"span of {span} days exceeds {MAX_SCAN_DAYS} calendar days")
        return sum(
            1 for offset in range(1, span + 1) if self.is_working_day(first + offset * _ONE_DAY)[0]
        )


def _local_date(moment: datetime, name: str = "datetime") -> date:
    """The Asia/Shanghai calendar date of an aware datetime."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment.isoformat()}")
    return moment.astimezone(BEIJING).date()


def _end_of_day(day: date) -> datetime:
    """18:00 Asia/Shanghai on ``day``."""
    return datetime.combine(day, END_OF_DAY, tzinfo=BEIJING)


def load_schedule_file(path: Path) -> YearSchedule:
    """Read and validate one YAML data file (format in ``rules/holidays/README.md``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarDataError(f"{path}: cannot read holiday data file: {exc}") from exc
    try:
        data: Any = yaml.load(text, Loader=_DataLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise CalendarDataError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CalendarDataError(f"{path}: expected a mapping with year, holidays and workdays")
    unknown = sorted(str(key) for key in data if key not in _DATA_KEYS)
    if unknown:
        raise CalendarDataError(f"{path}: unknown key(s) {', '.join(unknown)}")
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
        raise CalendarDataError(f"{path}: 'year' must be a year number, got {year!r}")
    holidays = _parse_dates(path, year, "holidays", data.get("holidays"))
    workdays = _parse_dates(path, year, "workdays", data.get("workdays"))
    both = sorted(holidays & workdays)
    if both:
        raise CalendarDataError(
            f"{path}: date {both[0].isoformat()} is listed in both holidays and workdays"
        )
    return YearSchedule(year=year, holidays=holidays, workdays=workdays)


@functools.cache
def default_calendar() -> WorkingCalendar:
    """The calendar of the shipped data files, loaded once (an extra directory is passed to
    ``WorkingCalendar.load`` by whoever read the settings)."""
    return WorkingCalendar.load()


def _parse_dates(path: Path, year: int, key: str, raw: object) -> frozenset[date]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise CalendarDataError(f"{path}: '{key}' must be a list of dates, got {raw!r}")
    days: set[date] = set()
    for item in raw:
        text = str(item).strip()
        if not isinstance(item, str) or not _ISO_DATE.fullmatch(text):
            raise CalendarDataError(f"{path}: {key} entry {item!r} is not a YYYY-MM-DD date")
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise CalendarDataError(f"{path}: {key} entry {text} is not a valid date") from exc
        if day.year != year:
            raise CalendarDataError(
                f"{path}: date {day.isoformat()} in '{key}' is not in year {year}"
            )
        days.add(day)
    return frozenset(days)


def _load_dir(directory: Path) -> dict[int, YearSchedule]:
    found: dict[int, YearSchedule] = {}
    origin: dict[int, Path] = {}
    for path in sorted(directory.glob("*.yml")):
        if not path.is_file():
            continue
        schedule = load_schedule_file(path)
        if schedule.year in found:
            raise CalendarDataError(
                f"{path}: year {schedule.year} is already defined in {origin[schedule.year]}"
            )
        found[schedule.year] = schedule
        origin[schedule.year] = path
    return found


def _is_datetime(value: object) -> bool:
    return isinstance(value, datetime)


def _step(day: date, delta: timedelta) -> date:
    try:
        return day + delta
    except OverflowError as exc:
        raise ValueError(f"date out of range stepping from {day.isoformat()}") from exc


class _Warnings:
    """Ordered set of warning strings."""

    def __init__(self) -> None:
        self._seen: dict[str, None] = {}

    def add(self, warning: str | None) -> None:
        if warning is not None:
            self._seen.setdefault(warning, None)

    def as_tuple(self) -> tuple[str, ...]:
        return tuple(self._seen)

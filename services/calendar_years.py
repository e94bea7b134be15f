"""The official holiday schedules administrators publish: list the years, publish or replace one.

The API (`api/routes/calendar.py`) and the console's holiday page both call these. A schedule is
checked by `rules.calendar.YearSchedule` before anything is written; a refused one raises
`ScheduleRefused` with the reason per field (`holidays`, `workdays`), and nothing is stored.
Deadlines computed from then on follow the new schedule (workers re-read it within
`REFRESH_SECONDS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from activities.calendar_source import REFRESH_SECONDS
from db.engine import SessionFactory
from db.tables import CalendarYearRow
from models.errors import RefusedError
from rules.calendar import YearSchedule

FIRST_YEAR = 2000
LAST_YEAR = 2100


class YearScheduleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    holidays: list[date] = Field(max_length=366, description="days off (statutory holidays)")
    workdays: list[date] = Field(
        default_factory=list, max_length=366, description="make-up weekend days (调休)"
    )


class PublishedYear(YearScheduleBody):
    year: int
    updated_by: str
    updated_at: datetime
    takes_effect_within_seconds: float = REFRESH_SECONDS


class ScheduleRefused(RefusedError, ValueError):
    """A schedule the calendar rules refuse: `errors` maps each field to its reason."""

    def __init__(self, year: int, errors: dict[str, str]) -> None:
        super().__init__(f"schedule {year}: " + "; ".join(errors.values()))
        self.year = year
        self.errors = errors


def schedule_errors(
    year: int, holidays: Iterable[date], workdays: Iterable[date]
) -> dict[str, str]:
    """What `YearSchedule` refuses in a schedule, by field (empty when it may be published)."""
    days = {"holidays": frozenset(holidays), "workdays": frozenset(workdays)}
    errors: dict[str, str] = {}
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return {"year": f"year {year} is not between {FIRST_YEAR} and {LAST_YEAR}"}
    for field in ("holidays", "workdays"):
        alone = {name: frozenset[date]() for name in days} | {field: days[field]}
        try:
            YearSchedule(year, alone["holidays"], alone["workdays"])
        except ValueError as err:
            errors[field] = str(err)
    if not errors:
        try:
            YearSchedule(year, days["holidays"], days["workdays"])
        except ValueError as err:
            errors["workdays"] = str(err)  # a day in both lists
    return errors


def list_years(sessions: SessionFactory) -> list[PublishedYear]:
    """Every published year, oldest first."""
    with sessions() as session:
        rows = session.scalars(select(CalendarYearRow).order_by(CalendarYearRow.year))
        return [_published(row) for row in rows]


def publish_year(
    sessions: SessionFactory, year: int, schedule: YearScheduleBody, by: str
) -> PublishedYear:
    """Publish `year`'s schedule, replacing any published before; ScheduleRefused if the
    calendar rules refuse it (nothing written)."""
    errors = schedule_errors(year, schedule.holidays, schedule.workdays)
    if errors:
        raise ScheduleRefused(year, errors)
    with sessions.begin() as session:
        row = session.get(CalendarYearRow, year) or CalendarYearRow(year=year)
        row.holidays = sorted(d.isoformat() for d in set(schedule.holidays))
        row.workdays = sorted(d.isoformat() for d in set(schedule.workdays))
        row.updated_by = by
        row.updated_at = datetime.now(UTC)
        session.add(row)
        session.flush()
        return _published(row)


def _published(row: CalendarYearRow) -> PublishedYear:
    return PublishedYear(
        year=row.year,
        holidays=[date.fromisoformat(d) for d in row.holidays],
        workdays=[date.fromisoformat(d) for d in row.workdays],
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )

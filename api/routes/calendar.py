"""The official holiday schedule of a year, published by administrators (e.g. 2027 once the
State Council announces it); deadlines computed from then on follow it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from activities.calendar_source import REFRESH_SECONDS
from api.auth import current_principal, require
from api.context import ApiContext, get_context
from api.problems import Problem
from db.tables import CalendarYearRow
from rules.calendar import YearSchedule
from rules.permissions import Action, Principal

router = APIRouter(prefix="/calendar/years", tags=["administration"])
Year = Annotated[int, Path(ge=2000, le=2100)]


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


@router.get("", response_model=list[PublishedYear])
async def list_years(
    principal: Annotated[Principal, Depends(current_principal)],
    context: Annotated[ApiContext, Depends(get_context)],
) -> list[PublishedYear]:
    def fetch() -> list[PublishedYear]:
        with context.sessions() as session:
            rows = session.scalars(select(CalendarYearRow).order_by(CalendarYearRow.year))
            return [_published(row) for row in rows]

    return await run_in_threadpool(fetch)


@router.put("/{year}", response_model=PublishedYear)
async def publish_year(
    year: Year,
    body: YearScheduleBody,
    principal: Annotated[Principal, Depends(require(Action.MANAGE_CALENDAR))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> PublishedYear:
    try:
        YearSchedule(year, frozenset(body.holidays), frozenset(body.workdays))
    except ValueError as err:
        raise Problem(422, f"schedule {year}: {err}") from err

    def save() -> PublishedYear:
        with context.sessions.begin() as session:
            row = session.get(CalendarYearRow, year) or CalendarYearRow(year=year)
            row.holidays = sorted(d.isoformat() for d in set(body.holidays))
            row.workdays = sorted(d.isoformat() for d in set(body.workdays))
            row.updated_by = principal.user_id
            row.updated_at = datetime.now(UTC)
            session.add(row)
            session.flush()
            return _published(row)

    return await run_in_threadpool(save)


def _published(row: CalendarYearRow) -> PublishedYear:
    return PublishedYear(
        year=row.year,
        holidays=[date.fromisoformat(d) for d in row.holidays],
        workdays=[date.fromisoformat(d) for d in row.workdays],
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )

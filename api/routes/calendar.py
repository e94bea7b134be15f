"""The official holiday schedule of a year, published by administrators (e.g. 2027 once the
State Council announces it); deadlines computed from then on follow it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from starlette.concurrency import run_in_threadpool

from api.auth import current_principal, require
from api.context import ApiContext, get_context
from api.problems import Problem
from rules.permissions import Action, Principal
from services import calendar_years
from services.calendar_years import (
    FIRST_YEAR,
    LAST_YEAR,
    PublishedYear,
    ScheduleRefused,
    YearScheduleBody,
)

router = APIRouter(prefix="/calendar/years", tags=["administration"])
Year = Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR)]


@router.get("", response_model=list[PublishedYear])
async def list_years(
    principal: Annotated[Principal, Depends(current_principal)],
    context: Annotated[ApiContext, Depends(get_context)],
) -> list[PublishedYear]:
    return await run_in_threadpool(calendar_years.list_years, context.sessions)


@router.put("/{year}", response_model=PublishedYear)
async def publish_year(
    year: Year,
    body: YearScheduleBody,
    principal: Annotated[Principal, Depends(require(Action.MANAGE_CALENDAR))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> PublishedYear:
    try:
        return await run_in_threadpool(
            calendar_years.publish_year, context.sessions, year, body, principal.user_id
        )
    except ScheduleRefused as err:
        raise Problem(422, str(err)) from err

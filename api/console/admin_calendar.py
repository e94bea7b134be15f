"""Holiday years: the published years, and publishing (or replacing) a year's official schedule
of holidays and make-up working days, as the API's `PUT /calendar/years/{year}` does.

Dates are typed one per line (or separated by commas or spaces) as YYYY-MM-DD. A date that is
not one, and what the calendar rules refuse (a day outside the year, a day in both lists), is
shown beside its field with status 422; nothing is published then
(`services.calendar_years.publish_year`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console.admin_common import admin_page
from api.console.web import posted, require, signed_in
from api.context import get_context
from rules.permissions import Action
from services.calendar_years import (
    FIRST_YEAR,
    LAST_YEAR,
    PublishedYear,
    ScheduleRefused,
    YearScheduleBody,
    list_years,
    publish_year,
)
from services.console_auth import ConsoleSession

router = APIRouter(include_in_schema=False)
SEPARATORS = re.compile(r"[\s,，、;；]+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_DAYS = 366


def parse_days(text: str) -> tuple[list[date], str]:
    """The dates of a field, and the reason if any entry is not a date (empty when all are)."""
    days: list[date] = []
    for position, entry in enumerate((e for e in SEPARATORS.split(text) if e), start=1):
        try:
            if not ISO_DATE.fullmatch(entry):
                raise ValueError(entry)
            days.append(date.fromisoformat(entry))
        except ValueError:
            return days, f"第 {position} 项“{entry[:20]}”不是有效日期（应为 YYYY-MM-DD）。"
    if len(days) > MAX_DAYS:
        return days, f"最多 {MAX_DAYS} 个日期。"
    return days, ""


def _page(
    request: Request,
    session: ConsoleSession,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    return admin_page(
        request,
        session,
        "admin_holidays.html",
        status,
        section="/admin/holidays",
        years=list_years(get_context(request).sessions),
        values=values or {},
        errors=errors or {},
        notice=notice,
        refusal="请更正标出的内容，该年度未发布。" if errors else "",
        first=FIRST_YEAR,
        last=LAST_YEAR,
    )


def _values_of(year: PublishedYear) -> dict[str, str]:
    return {
        "year": str(year.year),
        "holidays": "\n".join(d.isoformat() for d in year.holidays),
        "workdays": "\n".join(d.isoformat() for d in year.workdays),
    }


@router.get("/admin/holidays")
async def holidays(
    request: Request,
    session: Annotated[ConsoleSession, Depends(signed_in)],
    year: int | None = None,
    done: int | None = None,
) -> HTMLResponse:
    """The published years; `year` fills the form with that year's schedule, to replace it."""
    require(session, Action.MANAGE_CALENDAR)

    def draw() -> HTMLResponse:
        published = list_years(get_context(request).sessions)
        chosen = next((y for y in published if y.year == year), None)
        values = _values_of(chosen) if chosen else ({"year": str(year)} if year else {})
        notice = f"{done} 年的节假日安排已发布，一分钟内用于新计算的时限。" if done else ""
        return _page(request, session, values=values, notice=notice)

    return await run_in_threadpool(draw)


@router.post("/admin/holidays")
async def publish(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    form = await posted(request, session)
    require(session, Action.MANAGE_CALENDAR)
    values = {name: form.get(name, "").strip() for name in ("year", "holidays", "workdays")}
    errors: dict[str, str] = {}
    year = int(values["year"]) if values["year"].isdigit() else 0
    if not FIRST_YEAR <= year <= LAST_YEAR:
        errors["year"] = f"年度应为 {FIRST_YEAR} 至 {LAST_YEAR} 之间的整数。"
    holidays, holidays_error = parse_days(values["holidays"])
    workdays, workdays_error = parse_days(values["workdays"])
    for field, reason in (("holidays", holidays_error), ("workdays", workdays_error)):
        if reason:
            errors[field] = reason
    if not errors:
        schedule = YearScheduleBody(holidays=holidays, workdays=workdays)
        try:
            await run_in_threadpool(
                publish_year, get_context(request).sessions, year, schedule, session.user.id
            )
        except ScheduleRefused as err:
            errors = {field: f"日历规则不允许：{reason}" for field, reason in err.errors.items()}
    if errors:
        return await run_in_threadpool(
            lambda: _page(request, session, values=values, errors=errors, status=422)
        )
    return RedirectResponse(f"/admin/holidays?done={year}", status_code=303)

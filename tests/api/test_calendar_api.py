"""Administrators publish a year's schedule over HTTP; deadlines computed afterwards follow it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import delete

from activities.calendar_source import CalendarSource, load_overrides
from activities.case_activities import CaseActivities
from db.tables import CalendarYearRow
from models.enums import CaseType, Step, Urgency
from models.records import DeadlineRequest
from models.timestamps import BEIJING as SHANGHAI
from rules.calendar import WorkingCalendar
from tests.api.http import Api
from workers.composition import transition_hooks


@pytest.fixture
def clean_years(api: Api) -> Iterator[None]:
    yield
    with api.sessions.begin() as session:
        session.execute(delete(CalendarYearRow))


async def test_published_year_drives_new_deadlines(api: Api, clean_years: None) -> None:
    admin = api.token_for("admin")
    schedule = {"holidays": ["2027-02-08", "2027-02-09"], "workdays": ["2027-02-13"]}
    operator = api.token_for("operator")
    denied = await api.http.put("/calendar/years/2027", json=schedule, headers=operator)
    assert denied.status_code == 403
    saved = await api.http.put("/calendar/years/2027", json=schedule, headers=admin)
    assert saved.status_code == 200, saved.text
    assert saved.json()["updated_by"].startswith("admin-")
    listed = (await api.http.get("/calendar/years", headers=operator)).json()
    assert [y["year"] for y in listed] == [2027]

    activities = CaseActivities(
        api.sessions,
        CalendarSource(WorkingCalendar(), lambda: load_overrides(api.sessions)),
        hooks=transition_hooks(),
    )
    (deadline,) = activities.compute_deadlines(
        [
            DeadlineRequest(
                step=Step.SIGN_OFF,
                start=datetime(2027, 2, 5, 10, tzinfo=SHANGHAI),
                urgency=Urgency.NORMAL,
                case_type=CaseType.COMPLAINT,
            )
        ]
    )
    assert deadline.due.date() == date(2027, 2, 10)
    assert not any("2027" in w for w in deadline.calendar_warnings)


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ({"holidays": ["2026-10-01"]}, "not in year 2027"),
        ({"holidays": ["2027-02-08"], "workdays": ["2027-02-08"]}, "both holidays and workdays"),
        ({"holidays": ["2027-02-30"]}, "holidays.0"),
    ],
)
async def test_invalid_schedules_are_refused(
    api: Api, clean_years: None, schedule: dict[str, list[str]], reason: str
) -> None:
    response = await api.http.put(
        "/calendar/years/2027", json=schedule, headers=api.token_for("admin")
    )
    assert response.status_code == 422
    assert reason in response.text

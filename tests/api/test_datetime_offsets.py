"""Every datetime that enters over HTTP carries a UTC offset, or it is refused before anything
is written: intake bodies, escalation bodies, list filters, the access log's window, cursors.

A naive time (`2026-12-01T10:00:00`) names no instant. Before, a naive `received_at` was
accepted, burnt a case number and left a case whose projection could never be written; naive
filters answered a plain-text 500. Now each is a 422 problem naming the field.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from db.tables import CaseNumberRow, CaseRow, UtcDateTime
from models.commands import Escalate, EscalationRequest
from models.timestamps import OFFSET_RULE
from services.access_log import access_entries
from tests.api.http import Api
from tests.api.test_cases_api import PROBLEM, intake_body, open_case

BEIJING = timezone(timedelta(hours=8))
NAIVE = "2026-12-01T10:00:00"


def case_numbers(api: Api) -> int:
    with api.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(CaseNumberRow)) or 0)


def refused_field(response: Any, field: str) -> dict[str, Any]:
    """The 422 problem of `response`, which names `field` as breaking the offset rule."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    assert problem["status"] == 422
    [error] = [e for e in problem["errors"] if e["field"] == field]
    assert error["rule"] == OFFSET_RULE
    assert "UTC offset" in error["message"]
    assert field in problem["detail"]
    return problem


def received_at_of(api: Api, case_no: str) -> datetime:
    with api.sessions() as session:
        row = session.get(CaseRow, case_no)
        assert row is not None
        return row.received_at


async def test_a_naive_received_at_is_refused_and_burns_no_case_number(api: Api) -> None:
    operator = api.token_for("operator")
    previous = await open_case(api, operator)
    before = case_numbers(api)

    naive = await api.http.post(
        "/cases",
        json=intake_body(received_at=NAIVE),
        headers=operator | {"Idempotency-Key": uuid.uuid4().hex},
    )

    refused_field(naive, "body.received_at")
    assert case_numbers(api) == before
    case_no = await open_case(api, operator, received_at="2026-12-01T10:00:00+08:00")
    day, serial = previous.rsplit("-", 1)
    assert case_no == f"{day}-{int(serial) + 1:06d}"  # the next number: none was burnt
    assert case_numbers(api) == before + 1


@pytest.mark.parametrize(
    "given", ["2026-12-01T10:00:00+08:00", "2026-12-01T02:00:00Z", "2026-12-01T03:00:00+01:00"]
)
async def test_a_received_at_with_an_offset_is_the_instant_it_names(api: Api, given: str) -> None:
    operator = api.token_for("operator")

    case_no = await open_case(api, operator, received_at=given)

    instant = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert received_at_of(api, case_no) == instant
    detail = (await api.http.get(f"/cases/{case_no}", headers=operator)).json()
    assert datetime.fromisoformat(detail["state"]["received_at"]) == instant


async def test_naive_list_filters_are_refused_and_offsets_filter(api: Api) -> None:
    operator = api.token_for("operator")
    tag = uuid.uuid4().hex[:8]
    case_no = await open_case(api, operator, title=f"路灯不亮 {tag}")
    due = (await api.http.get("/cases", params={"q": tag}, headers=operator)).json()["items"][0]
    deadline = datetime.fromisoformat(due["next_deadline"])

    for name in ("due_after", "due_before"):
        naive = await api.http.get("/cases", params={"q": tag, name: NAIVE}, headers=operator)
        refused_field(naive, f"query.{name}")

    def listed(**window: str) -> Any:
        return api.http.get("/cases", params={"q": tag, **window}, headers=operator)

    minute = timedelta(minutes=1)
    beijing = (deadline - minute).astimezone(BEIJING).isoformat()
    utc = (deadline + minute).astimezone(UTC).isoformat().replace("+00:00", "Z")
    inside = (await listed(due_after=beijing, due_before=utc)).json()["items"]
    assert [c["case_no"] for c in inside] == [case_no]
    after = (await listed(due_after=utc)).json()["items"]
    assert after == []
    # An unencoded `+` of the offset reaches the server as a space: it is still the offset.
    raw = beijing.replace("+", " ")
    unencoded = await api.http.get(f"/cases?q={tag}&due_after={raw}", headers=operator)
    assert unencoded.status_code == 200, unencoded.text
    assert [c["case_no"] for c in unencoded.json()["items"]] == [case_no]


async def test_a_naive_access_log_window_is_refused_and_offsets_select(api: Api) -> None:
    operator = api.token_for("operator")
    auditor = api.token_for("auditor")
    start = datetime.now(UTC) - timedelta(seconds=1)
    case_no = await open_case(api, operator)
    assert (await api.http.get(f"/cases/{case_no}", headers=operator)).status_code == 200
    end = datetime.now(UTC) + timedelta(seconds=1)

    for name in ("since", "until"):
        naive = await api.http.get(
            "/access-log", params={"case_no": case_no, name: NAIVE}, headers=auditor
        )
        refused_field(naive, f"query.{name}")

    def log(**window: str) -> Any:
        return api.http.get("/access-log", params={"case_no": case_no, **window}, headers=auditor)

    within = await log(since=start.astimezone(BEIJING).isoformat(), until=end.isoformat())
    assert within.status_code == 200, within.text
    assert [entry["case_no"] for entry in within.json()] == [case_no]
    later = await log(since=end.isoformat().replace("+00:00", "Z"))
    assert later.json() == []


async def test_a_crafted_cursor_with_a_naive_time_is_refused(api: Api) -> None:
    operator = api.token_for("operator")
    tag = uuid.uuid4().hex[:8]
    opened = [await open_case(api, operator, title=f"井盖缺失 {tag} {i}") for i in range(2)]
    first = (await api.http.get("/cases", params={"q": tag, "limit": 1}, headers=operator)).json()
    assert first["next_cursor"] is not None

    crafted = base64.urlsafe_b64encode(json.dumps([NAIVE, opened[1]]).encode()).decode()
    naive = await api.http.get("/cases", params={"q": tag, "cursor": crafted}, headers=operator)

    refused_field(naive, "query.cursor")
    second = await api.http.get(
        "/cases", params={"q": tag, "limit": 1, "cursor": first["next_cursor"]}, headers=operator
    )
    assert second.status_code == 200, second.text
    pages = [first["items"][0]["case_no"], second.json()["items"][0]["case_no"]]
    assert sorted(pages) == sorted(opened)


async def test_a_naive_escalation_deadline_is_refused_and_an_offset_one_is_sent(api: Api) -> None:
    operator = api.token_for("operator")
    supervisor = api.token_for("supervisor")
    case_no = await open_case(api, operator)
    body = {"level": 1, "note": "市领导关注"}

    naive = await api.post(f"/cases/{case_no}/escalations", supervisor, **body, deadline=NAIVE)

    refused_field(naive, "body.deadline")
    detail = (await api.http.get(f"/cases/{case_no}", headers=supervisor)).json()
    assert detail["state"]["escalation_level"] == 0
    sent = await api.post(
        f"/cases/{case_no}/escalations", supervisor, **body, deadline="2026-11-30T18:00:00+08:00"
    )
    assert sent.status_code == 202, sent.text


def test_the_escalate_signal_payload_still_reads_old_naive_deadlines() -> None:
    """Histories hold escalations sent with a naive deadline (read as Beijing time by the
    workflow); they must still replay, so only the request at the edge is strict."""
    old = {"level": 2, "by": "sup-1", "deadline": NAIVE}
    assert Escalate.model_validate(old).deadline == datetime(2026, 12, 1, 10, 0)
    with pytest.raises(ValueError, match="UTC offset"):
        EscalationRequest.model_validate(old)


def test_the_utc_column_refuses_a_naive_datetime_by_name(api: Api) -> None:
    column = UtcDateTime()
    dialect = api.sessions.kw["bind"].dialect
    with pytest.raises(ValueError, match="naive datetime"):
        column.process_bind_param(datetime(2026, 12, 1, 10, 0), dialect)
    with pytest.raises(TypeError, match="not a datetime"):
        column.process_bind_param(NAIVE, dialect)  # type: ignore[arg-type]
    aware = datetime(2026, 12, 1, 10, 0, tzinfo=BEIJING)
    assert column.process_bind_param(aware, dialect) == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

    with api.sessions() as session, pytest.raises(Exception, match="naive datetime") as caught:
        session.scalars(select(CaseRow).where(CaseRow.received_at < datetime(2026, 12, 1))).all()
    assert "2026-12-01T00:00:00" in str(caught.value)


def test_the_access_log_reader_refuses_a_naive_window(api: Api) -> None:
    with pytest.raises(ValueError, match="since is a naive datetime"):
        access_entries(api.sessions, since=datetime(2026, 12, 1, 10, 0))
    with pytest.raises(ValueError, match="until is a naive datetime"):
        access_entries(api.sessions, until=datetime(2026, 12, 1, 10, 0))
    assert access_entries(api.sessions, since=datetime(2999, 1, 1, tzinfo=UTC)) == []

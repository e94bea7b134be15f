"""GET requests: the `notes` history as a case moves on, and the spec's filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.client import Client

from models.commands import Dispatch, Withdraw
from models.timestamps import BEIJING
from services.cases import act
from tests.open311.support import (
    BASE,
    NOISE_CODE,
    W3C,
    WATER_CODE,
    errors,
    flat,
    json_of,
    request_form,
    xml,
)
from workflows.case import CaseWorkflow


async def post(http: httpx.AsyncClient, api_key: str, **fields: str) -> str:
    response = await http.post(f"{BASE}/requests.json", data=request_form(api_key, **fields))
    assert response.status_code == 201, response.text
    case_no: str = json_of(response)[0]["service_request_id"]
    return case_no


async def one(http: httpx.AsyncClient, case_no: str) -> dict[str, object]:
    response = await http.get(f"{BASE}/requests/{case_no}.json")
    assert response.status_code == 200
    [document] = json_of(response)
    assert isinstance(document, dict)
    return document


async def listed(http: httpx.AsyncClient, fmt: str = "json", **params: str) -> list[str]:
    response = await http.get(f"{BASE}/requests.{fmt}", params=params)
    assert response.status_code == 200, response.text
    if fmt == "xml":
        return [flat(request)["service_request_id"] or "" for request in xml(response)]
    return [request["service_request_id"] for request in json_of(response)]


async def test_notes_follow_the_case_to_closure(
    http: httpx.AsyncClient, api_key: str, client: Client
) -> None:
    case_no = await post(http, api_key)
    await act(client, case_no, CaseWorkflow.dispatch, Dispatch(by="dispatcher-1"))
    dispatched = await one(http, case_no)
    assert dispatched["status"] == "open"
    assert dispatched["status_notes"] == "已派单，等待承办单位签收"
    assert dispatched["agency_responsible"] == "贵阳市水务管理局"
    assert W3C.match(str(dispatched["expected_datetime"]))
    notes = dispatched["notes"]
    assert isinstance(notes, list)
    assert [n["description"] for n in notes] == ["热线受理", "派单至贵阳市水务管理局"]
    assert [n["type"] for n in notes] == ["opened", "activity"]

    await act(client, case_no, CaseWorkflow.withdraw, Withdraw(by="op-1", reason="已自行解决"))
    closed = await one(http, case_no)
    assert closed["status"] == "closed"
    assert closed["status_notes"] == "诉求人已撤回"
    assert closed["expected_datetime"] is None
    assert closed["service_notice"] is None
    notes = closed["notes"]
    assert isinstance(notes, list)
    assert [n["description"] for n in notes] == [
        "热线受理",
        "派单至贵阳市水务管理局",
        "诉求人撤回诉求；诉求人已撤回",
    ]
    assert [n["type"] for n in notes] == ["opened", "activity", "closed"]
    assert closed["updated_datetime"] == notes[-1]["datetime"]
    assert "已自行解决" not in str(closed)

    [request] = xml(await http.get(f"{BASE}/requests/{case_no}.xml"))
    xml_notes = request.find("notes")
    assert xml_notes is not None
    assert [flat(note) for note in xml_notes] == notes


async def test_filters(http: httpx.AsyncClient, api_key: str, client: Client) -> None:
    water = await post(http, api_key)
    noise = await post(http, api_key, service_code=NOISE_CODE)
    closed = await post(http, api_key)
    await act(client, closed, CaseWorkflow.withdraw, Withdraw(by="op-1", reason="重复"))

    everything = await listed(http)
    assert {water, noise, closed} <= set(everything)
    # newest intake first
    assert everything.index(closed) < everything.index(noise) < everything.index(water)

    open_ = await listed(http, status="open")
    assert {water, noise} <= set(open_) and closed not in open_
    done = await listed(http, "xml", status="closed")
    assert closed in done and water not in done
    assert {water, closed, noise} <= set(await listed(http, status="open,closed"))

    by_code = await listed(http, service_code=WATER_CODE)
    assert {water, closed} <= set(by_code) and noise not in by_code
    assert noise in await listed(http, "xml", service_code=f"{WATER_CODE},{NOISE_CODE}")
    assert await listed(http, service_code="0000000000") == []

    now = datetime.now(UTC)
    recent = {"start_date": (now - timedelta(hours=1)).isoformat(), "end_date": ""}
    assert {water, noise, closed} <= set(await listed(http, **recent))
    future = (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert await listed(http, start_date=future) == []
    past = {"start_date": "2020-01-01T00:00:00+08:00", "end_date": "2020-03-01T00:00:00+08:00"}
    assert await listed(http, **past) == []
    assert water in await listed(http, end_date=(now + timedelta(minutes=5)).isoformat())
    today = now.astimezone(BEIJING).date().isoformat()
    assert water in await listed(http, start_date=today, end_date=today)

    # service_request_id overrides every other argument
    chosen = await listed(
        http, service_request_id=f"{water}, {closed},GY20000101-999999", status="closed"
    )
    assert set(chosen) == {water, closed}


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"status": "pending"}, "status"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-11-28T09:00:00"}, "time zone"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
        ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "before"),
    ],
)
async def test_bad_filters_are_400(
    http: httpx.AsyncClient, fmt: str, params: dict[str, str], fragment: str
) -> None:
    response = await http.get(f"{BASE}/requests.{fmt}", params=params)
    assert response.status_code == 400
    [(code, description)] = errors(response, fmt)
    assert code == 400 and fragment in description

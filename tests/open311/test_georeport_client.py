"""Interop: the PyPI GeoReport v2 client `georeport` against the live API, in XML and JSON.

The whole application (`api.app.create_app`, every middleware) is served by uvicorn on a free
port of this machine, over the tests' Temporal server, worker and database; the client talks
to it over HTTP exactly as it talks to a city's endpoint. `georeport` 0.3 reads (services,
service definitions, requests, a request); it has no POST and no tokens, and the other Python
clients on PyPI (`open311`, `three`) are Python 2 only and do not import on Python 3. So the
request is posted with `requests` (the HTTP library `georeport` itself uses), with the
specification's example body, and the token is read the same way.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import requests
import xmltodict  # type: ignore[import-untyped]
from georeport import GeoReport  # type: ignore[import-untyped]
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import ApiContext
from api.server import ApiSettings, serve_api
from db.engine import SessionFactory
from models.commands import Withdraw
from services.cases import act
from tests.conftest import TASK_QUEUE
from tests.open311.support import NOISE_CODE, WATER_CODE
from tests.open311.test_spec_conformance import spec_form
from tests.tcp_proxy import free_port
from workflows.case import CaseWorkflow

FORMATS = ["xml", "json"]
JURISDICTION = "guiyang"


@pytest.fixture(scope="module")
async def endpoint(
    env: WorkflowEnvironment, worker: None, sessions: SessionFactory
) -> AsyncIterator[str]:
    """The root address of the live Open311 endpoint (`http://127.0.0.1:<port>/open311/v2`)."""
    app = create_app(ApiContext(client=env.client, sessions=sessions, task_queue=TASK_QUEUE))
    settings = ApiSettings(host="127.0.0.1", port=free_port())
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_api(app, settings, stop))
    root = f"http://{settings.host}:{settings.port}/open311/v2"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(200):
                try:
                    if (await http.get(f"{root}/services.xml")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            else:
                pytest.fail("the API did not start")
        yield root
    finally:
        stop.set()
        await serving


def as_list(value: Any) -> list[Any]:
    """xmltodict gives one repeated element as a dict, several as a list, none as None."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def requests_of(found: Any, fmt: str) -> list[dict[str, Any]]:
    """What `get_service_requests` returns, as a list in either format."""
    return list(found) if fmt == "json" else as_list(found)


def notes_of(request: dict[str, Any], fmt: str) -> list[dict[str, Any]]:
    notes = request["notes"]
    return list(notes) if fmt == "json" else as_list((notes or {}).get("note"))


def parse(response: requests.Response, fmt: str) -> Any:
    return response.json() if fmt == "json" else xmltodict.parse(response.content)


async def post(root: str, fmt: str, api_key: str, key: str, **changes: str) -> str:
    """POST the specification's example request; the new service_request_id."""
    form = spec_form(api_key, **changes)
    response = await asyncio.to_thread(
        requests.post,
        f"{root}/requests.{fmt}",
        data=form,
        headers={"Idempotency-Key": key},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    body = parse(response, fmt)
    created = body[0] if fmt == "json" else body["service_requests"]["request"]
    case_no: str = created["service_request_id"]
    return case_no


@pytest.mark.parametrize("fmt", FORMATS)
async def test_georeport_reads_the_services_and_a_definition(endpoint: str, fmt: str) -> None:
    client = GeoReport(endpoint, jurisdiction=JURISDICTION, output_format=fmt)
    services = await asyncio.to_thread(client.get_service_list)
    assert isinstance(services, list) and len(services) > 1
    water = next(s for s in services if s["service_code"] == WATER_CODE)
    assert water["service_name"] == "停水"
    assert water["metadata"] in (True, "true")
    assert water["type"] == "realtime"
    assert {s["service_code"] for s in services} >= {WATER_CODE, NOISE_CODE}

    definition = await asyncio.to_thread(client.get_service_definition, WATER_CODE)
    assert definition["service_code"] == WATER_CODE
    attributes = (
        definition["attributes"]
        if fmt == "json"
        else as_list(definition["attributes"]["attribute"])
    )
    assert [a["code"] for a in attributes] == ["district", "street", "case_type"]
    district = attributes[0]
    values = district["values"] if fmt == "json" else as_list(district["values"]["value"])
    assert {"key": "云岩区", "name": "云岩区"} in [dict(v) for v in values]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_post_then_georeport_reads_the_request_back(
    endpoint: str, api_key: str, env: WorkflowEnvironment, fmt: str
) -> None:
    key = str(uuid.uuid4())
    case_no = await post(endpoint, fmt, api_key, key)
    # `georeport` cannot read an empty XML list (`<service_requests />` parses to None), so
    # the `status=closed` query below has a closed request to find
    withdrawn = await post(endpoint, fmt, api_key, str(uuid.uuid4()))
    await act(env.client, withdrawn, CaseWorkflow.withdraw, Withdraw(by="op-1", reason="重复"))
    client = GeoReport(endpoint, jurisdiction=JURISDICTION, output_format=fmt)

    request = await asyncio.to_thread(client.get_service_request, case_no)
    assert request["service_request_id"] == case_no
    assert request["status"] == "open"
    assert request["service_code"] == WATER_CODE
    # present, and empty: the publication policy does not publish the point
    assert "lat" in request and "long" in request
    assert request["lat"] is None and request["long"] is None
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        moment = datetime.fromisoformat(request[name])
        assert moment.utcoffset() == timedelta(hours=8), name
    [note] = notes_of(request, fmt)
    assert dict(note) == {
        "datetime": request["requested_datetime"],
        "description": "热线受理",
        "type": "opened",
    }

    by_id = await asyncio.to_thread(client.get_service_requests, service_request_id=case_no)
    assert [r["service_request_id"] for r in requests_of(by_id, fmt)] == [case_no]
    now = datetime.now(UTC)
    filtered = await asyncio.to_thread(
        client.get_service_requests,
        service_code=f"{WATER_CODE},{NOISE_CODE}",
        status="open",
        start_date=(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        end_date=(now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    assert case_no in [r["service_request_id"] for r in requests_of(filtered, fmt)]
    closed = await asyncio.to_thread(client.get_service_requests, status="closed")
    closed_ids = [r["service_request_id"] for r in requests_of(closed, fmt)]
    assert withdrawn in closed_ids and case_no not in closed_ids

    token = await asyncio.to_thread(requests.get, f"{endpoint}/tokens/{key}.{fmt}", timeout=30)
    assert token.status_code == 200
    body = parse(token, fmt)
    lookup = body[0] if fmt == "json" else body["service_requests"]["request"]
    assert dict(lookup) == {"service_request_id": case_no, "token": key}


@pytest.mark.parametrize("fmt", FORMATS)
async def test_georeport_sees_the_specs_errors(endpoint: str, api_key: str, fmt: str) -> None:
    client = GeoReport(endpoint, jurisdiction=JURISDICTION, output_format=fmt)
    with pytest.raises(requests.HTTPError) as missing:
        await asyncio.to_thread(client.get_service_request, "GY20000101-999999")
    assert missing.value.response is not None
    assert missing.value.response.status_code == 404
    body = parse(missing.value.response, fmt)
    [error] = body if fmt == "json" else as_list(body["errors"]["error"])
    assert int(error["code"]) == 404 and "not found" in error["description"]

    other = GeoReport(endpoint, jurisdiction="sfgov.org", output_format=fmt)
    with pytest.raises(requests.HTTPError) as jurisdiction:
        await asyncio.to_thread(other.get_service_list)
    assert jurisdiction.value.response is not None
    assert jurisdiction.value.response.status_code == 404

    refused = await asyncio.to_thread(
        requests.post, f"{endpoint}/requests.{fmt}", data=spec_form("xyz"), timeout=30
    )
    assert refused.status_code == 403
    body = parse(refused, fmt)
    [error] = body if fmt == "json" else as_list(body["errors"]["error"])
    assert int(error["code"]) == 403

"""Every Open311 answer, field by field, against the GeoReport v2 specification's own examples.

First the specification's example documents (`spec_examples/`) are checked against the field
tables of `tests.open311.spec`, so the tables say what the examples say; then every method of
this API, in XML and JSON, is checked against the same tables: field names, their order, their
kinds (booleans, integers, coordinates, identifiers) and W3C datetimes with their offset.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from sqlalchemy import delete
from temporalio.client import Client

from db.engine import SessionFactory
from db.tables import CaseRow
from models.commands import Dispatch, Withdraw
from services.cases import act
from tests.builders import received_projection
from tests.open311 import spec
from tests.open311.support import (
    BASE,
    NOISE_CODE,
    W3C,
    WATER_CODE,
    WATER_OUTAGE,
    json_of,
    xml,
)
from workflows.case import CaseWorkflow

FORMATS = ["xml", "json"]
EXAMPLES = [
    ("services", spec.SERVICE_LIST),
    ("service_definition", spec.SERVICE_DEFINITION),
    ("post_service_request", spec.POST_ANSWER),
    ("token", spec.TOKEN_ANSWER),
    ("service_requests", spec.REQUESTS),
    ("service_request", spec.REQUESTS),
    ("errors", spec.ERRORS),
]
GUIYANG = {"lat": "26.5783", "long": "106.7135"}
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


def example(name: str, fmt: str) -> Any:
    return spec.example_xml(name) if fmt == "xml" else spec.example_json(name)


def parsed(response: httpx.Response, fmt: str) -> Any:
    return xml(response) if fmt == "xml" else json_of(response)


def field_names(document: Any, fmt: str) -> list[list[str]]:
    """The field names of each item of a list document (or of the one item)."""
    if fmt == "xml":
        items = [document] if len(document) and document[0].tag == "service_code" else document
        return [[child.tag for child in item] for item in items]
    return [list(item) for item in (document if isinstance(document, list) else [document])]


def spec_form(api_key: str, **changes: str) -> dict[str, str]:
    """The specification's example POST body, for this jurisdiction and one of its services."""
    text = (spec.EXAMPLES / "post_service_request.txt").read_text(encoding="utf-8")
    body = text.strip().splitlines()[-1]
    form = {k: v for k, v in parse_qsl(body) if not k.startswith("attribute[")}
    assert set(form) == {
        "api_key",
        "jurisdiction_id",
        "service_code",
        "lat",
        "long",
        "address_string",
        "email",
        "device_id",
        "account_id",
        "first_name",
        "last_name",
        "phone",
        "description",
        "media_url",
    }
    form |= {"api_key": api_key, "jurisdiction_id": "guiyang", "service_code": WATER_CODE}
    return form | GUIYANG | changes


async def post_spec_form(http: httpx.AsyncClient, fmt: str, form: dict[str, str]) -> httpx.Response:
    return await http.post(
        f"{BASE}/requests.{fmt}", content=urlencode(form), headers={"Content-Type": FORM_TYPE}
    )


# ---- the specification's examples --------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("name", "document"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_the_spec_examples_fit_the_field_tables(
    name: str, document: spec.Document, fmt: str
) -> None:
    # entries two and three of the spec's service list are in another order (see README)
    assert spec.problems(example(name, fmt), document, fmt, ordered=name != "services") == []


@pytest.mark.parametrize("name", [name for name, _ in EXAMPLES])
def test_the_spec_examples_are_the_same_in_xml_and_json(name: str) -> None:
    assert field_names(example(name, "xml"), "xml") == field_names(example(name, "json"), "json")


def test_the_first_service_of_the_example_is_in_the_tables_order() -> None:
    for fmt in FORMATS:
        assert field_names(example("services", fmt), fmt)[0] == list(spec.SERVICE.fields)


def test_the_update_history_example_fits_the_note_table() -> None:
    [request] = spec.example_json("update_history")
    assert [list(note) for note in request["notes"]] == [["datetime", "description", "type"]] * 2
    found = spec.problems(request["notes"], spec.Document("notes", spec.NOTE), "json")
    assert found == []
    # the rest of the example: the standard fields it has are of the standard's kinds
    standard = {k: v for k, v in request.items() if k in spec.REQUEST.fields}
    assert spec.problems([standard], spec.REQUESTS, "json", ordered=True) == [
        "service_requests[0]: missing ['status_notes', 'agency_responsible', 'service_notice', "
        "'expected_datetime', 'address_id', 'zipcode']"
    ]


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda r: r.pop("lat"), "missing ['lat']"),
        (lambda r: r.update(summary="x"), "not in the specification ['summary']"),
        (lambda r: r.update(requested_datetime="2010-04-14T06:37:38"), "is not datetime"),
        (lambda r: r.update(requested_datetime="2010-04-14 06:37:38Z"), "is not datetime"),
        (lambda r: r.update(lat="37.76"), "is not number"),
        (lambda r: r.update(status="pending"), "is not text"),
        (lambda r: r.update(service_name=None), "service_name: null"),
        (lambda r: r.update(lat=r.pop("lat")), "order"),
    ],
)
def test_the_checker_catches_every_kind_of_departure(change: Any, complaint: str) -> None:
    """The tables are not a formality: each departure from the example is found."""
    [request] = copy.deepcopy(spec.example_json("service_request"))
    change(request)
    found = spec.problems([request], spec.REQUESTS, "json")
    assert any(complaint in problem for problem in found), found


# ---- this API, method by method ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
async def test_services(http: httpx.AsyncClient, fmt: str) -> None:
    response = await http.get(f"{BASE}/services.{fmt}", params={"jurisdiction_id": "guiyang"})
    assert response.status_code == 200
    document = parsed(response, fmt)
    assert spec.problems(document, spec.SERVICE_LIST, fmt) == []
    assert len(document) > 0


@pytest.mark.parametrize("fmt", FORMATS)
async def test_service_definition(http: httpx.AsyncClient, fmt: str) -> None:
    response = await http.get(f"{BASE}/services/{WATER_CODE}.{fmt}")
    assert response.status_code == 200
    document = parsed(response, fmt)
    assert spec.problems(document, spec.SERVICE_DEFINITION, fmt) == []
    if fmt == "json":
        orders = [attribute["order"] for attribute in document["attributes"]]
        assert sorted(orders) == orders and len(set(orders)) == len(orders) and orders[0] >= 1


@pytest.mark.parametrize("fmt", FORMATS)
async def test_post_the_spec_example_request_then_its_token(
    http: httpx.AsyncClient, api_key: str, fmt: str
) -> None:
    key = str(uuid.uuid4())
    response = await http.post(
        f"{BASE}/requests.{fmt}",
        content=urlencode(spec_form(api_key)),
        headers={"Content-Type": FORM_TYPE, "Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    document = parsed(response, fmt)
    assert spec.problems(document, spec.POST_ANSWER, fmt) == []
    for personal in ("smit333@sfgov.edu", "tt222111", "john", "smith", "111111111"):
        assert personal not in response.text
    account_id = document[0]["account_id"] if fmt == "json" else document[0].findtext("account_id")
    assert account_id in (None, "")  # "may not be returned": the client's own id is not kept
    token = await http.get(f"{BASE}/tokens/{key}.{fmt}")
    assert token.status_code == 200
    assert spec.problems(parsed(token, fmt), spec.TOKEN_ANSWER, fmt) == []


@pytest.mark.parametrize("fmt", FORMATS)
async def test_get_request_and_requests_with_every_field(
    http: httpx.AsyncClient, api_key: str, client: Client, fmt: str
) -> None:
    """A request posted with a point, dispatched (agency and expected time filled), and one
    withdrawn (closed): both methods, every field of the table, then the notes."""
    posted = json_of(await post_spec_form(http, "json", spec_form(api_key)))
    dispatched = posted[0]["service_request_id"]
    await act(client, dispatched, CaseWorkflow.dispatch, Dispatch(by="dispatcher-1"))
    posted = json_of(await post_spec_form(http, "json", spec_form(api_key)))
    closed = posted[0]["service_request_id"]
    await act(client, closed, CaseWorkflow.withdraw, Withdraw(by="op-1", reason="已解决"))

    one = await http.get(f"{BASE}/requests/{dispatched}.{fmt}")
    assert one.status_code == 200
    document = parsed(one, fmt)
    assert spec.problems(document, spec.REQUESTS_WITH_NOTES, fmt) == []
    many = await http.get(
        f"{BASE}/requests.{fmt}", params={"service_request_id": f"{dispatched},{closed}"}
    )
    listed = parsed(many, fmt)
    assert spec.problems(listed, spec.REQUESTS_WITH_NOTES, fmt) == []
    assert len(listed) == 2

    fields = [_fields(item, fmt) for item in listed]
    by_id = {item["service_request_id"]: item for item in fields}
    assert set(by_id) == {dispatched, closed}
    for item in fields:
        # posted with a point: the fields are there and empty (the publication policy)
        assert item["lat"] is None and item["long"] is None
        for name in ("requested_datetime", "updated_datetime"):
            assert W3C.match(item[name]), name
        assert item["notes"][0]["type"] == "opened"
        assert all(W3C.match(note["datetime"]) for note in item["notes"])
    assert "26.5783" not in many.text and "106.7135" not in many.text
    assert W3C.match(by_id[dispatched]["expected_datetime"])
    assert by_id[dispatched]["agency_responsible"] == "贵阳市水务管理局"
    assert [n["type"] for n in by_id[dispatched]["notes"]] == ["opened", "activity"]
    shut = by_id[closed]
    assert shut["status"] == "closed" and shut["expected_datetime"] is None
    assert [n["type"] for n in shut["notes"]] == ["opened", "closed"]
    # "for requests with status=closed, this will be the date the request was closed"
    assert shut["updated_datetime"] == shut["notes"][-1]["datetime"]


def _fields(item: Any, fmt: str) -> dict[str, Any]:
    """One request as a dict of typed values, from either format."""
    if fmt == "json":
        return dict(item)
    fields: dict[str, Any] = {child.tag: child.text for child in item if child.tag != "notes"}
    notes = item.find("notes")
    fields["notes"] = [{c.tag: c.text for c in note} for note in notes]
    return fields


ERROR_CASES: list[tuple[str, str, dict[str, str] | None, dict[str, str] | None, int]] = [
    ("GET", "services.{fmt}", {"jurisdiction_id": "city.gov"}, None, 404),
    ("GET", "services/0000000000.{fmt}", None, None, 404),
    ("POST", "requests.{fmt}", None, {"service_code": WATER_CODE, **GUIYANG}, 403),
    ("POST", "requests.{fmt}", None, {"api_key": "xyz", "service_code": WATER_CODE}, 403),
    ("GET", "requests.{fmt}", {"status": "pending"}, None, 400),
    ("GET", "requests.{fmt}", {"start_date": "2010-05-24T00:00:00"}, None, 400),
    (
        "GET",
        "requests.{fmt}",
        {"start_date": "2010-01-01T00:00:00Z", "end_date": "2010-06-24T00:00:00Z"},
        None,
        400,
    ),
    ("GET", "requests/GY20000101-999999.{fmt}", None, None, 404),
    ("GET", "requests/638344.{fmt}", None, None, 404),
    ("GET", "tokens/12345678-unknown.{fmt}", None, None, 404),
    ("PUT", "services.{fmt}", None, None, 400),
    ("DELETE", "requests.{fmt}", None, None, 400),
    ("GET", "discovery.{fmt}", None, None, 404),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("method", "path", "params", "form", "status"), ERROR_CASES)
async def test_errors(
    http: httpx.AsyncClient,
    fmt: str,
    method: str,
    path: str,
    params: dict[str, str] | None,
    form: dict[str, str] | None,
    status: int,
) -> None:
    response = await http.request(
        method, f"{BASE}/{path.format(fmt=fmt)}", params=params, data=form
    )
    assert response.status_code == status, response.text
    document = parsed(response, fmt)
    assert spec.problems(document, spec.ERRORS, fmt) == []
    codes = (
        [error["code"] for error in document]
        if fmt == "json"
        else [int(error.findtext("code") or 0) for error in document]
    )
    assert codes and set(codes) == {status}


@pytest.mark.parametrize("fmt", FORMATS)
async def test_post_errors(http: httpx.AsyncClient, api_key: str, fmt: str) -> None:
    """The POST errors the spec lists, each with its status and a description naming what."""
    cases = [
        (spec_form(api_key, service_code=""), 400, "service_code was not provided"),
        (spec_form(api_key, service_code="001"), 404, "service_code '001' was not found"),
        (spec_form(api_key, jurisdiction_id="city.gov"), 404, "jurisdiction_id"),
        (spec_form(api_key, lat="", long="", address_string=""), 400, "location"),
        (spec_form(api_key, **{"attribute[WHISPAWN]": "123456"}), 400, "attribute[WHISPAWN]"),
        (spec_form(api_key, description="x" * 4001), 400, "4000"),
    ]
    for form, status, fragment in cases:
        response = await post_spec_form(http, fmt, form)
        assert response.status_code == status, fragment
        document = parsed(response, fmt)
        assert spec.problems(document, spec.ERRORS, fmt) == []
        assert fragment in response.text
    assert (
        await post_spec_form(http, fmt, spec_form(api_key, description="停" * 4000))
    ).status_code == 201


# ---- GET requests: each filter, the defaults and the limit --------------------------------------


async def ids(http: httpx.AsyncClient, params: Any = None) -> list[str]:
    response = await http.get(f"{BASE}/requests.json", params=params)
    assert response.status_code == 200, response.text
    return [request["service_request_id"] for request in json_of(response)]


async def test_each_filter_of_get_requests(
    http: httpx.AsyncClient, api_key: str, client: Client
) -> None:
    water = json_of(await post_spec_form(http, "json", spec_form(api_key)))[0]
    noise = json_of(
        await post_spec_form(http, "json", spec_form(api_key, service_code=NOISE_CODE))
    )[0]
    water, noise = water["service_request_id"], noise["service_request_id"]
    await act(client, noise, CaseWorkflow.withdraw, Withdraw(by="op-1", reason="重复"))
    both = {water, noise}

    # service_request_id: comma delimited or repeated; it overrides every other argument
    assert set(await ids(http, {"service_request_id": f"{water},{noise}"})) == both
    repeated = [("service_request_id", water), ("service_request_id", noise)]
    assert set(await ids(http, [*repeated, ("status", "open"), ("service_code", "x")])) == both
    # service_code: comma delimited or repeated
    assert water in await ids(http, {"service_code": WATER_CODE})
    assert noise not in await ids(http, {"service_code": WATER_CODE})
    assert both <= set(await ids(http, {"service_code": f"{WATER_CODE},{NOISE_CODE}"}))
    codes = [("service_code", WATER_CODE), ("service_code", NOISE_CODE)]
    assert both <= set(await ids(http, codes))
    # status: open, closed, comma delimited or repeated
    assert water in await ids(http, {"status": "open"})
    assert noise not in await ids(http, {"status": "open"})
    assert noise in await ids(http, {"status": "closed"})
    assert water not in await ids(http, {"status": "closed"})
    assert both <= set(await ids(http, {"status": "open,closed"}))
    assert both <= set(await ids(http, [("status", "open"), ("status", "closed")]))
    # start_date / end_date: W3C datetimes, Z or any offset, with or without seconds
    now = datetime.now(UTC)
    for start in (
        (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        (now - timedelta(hours=1)).astimezone().isoformat(timespec="seconds"),
        (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.25Z"),
        (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%MZ"),
        (now - timedelta(hours=6))
        .astimezone(timezone(timedelta(hours=-5)))
        .isoformat(timespec="seconds"),
    ):
        end = (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert both <= set(await ids(http, {"start_date": start, "end_date": end})), start
    assert both.isdisjoint(await ids(http, {"end_date": "2010-06-24T00:00:00Z"}))
    # optional arguments: empty is the same as not sent
    empty = {
        name: ""
        for name in (
            "jurisdiction_id",
            "service_request_id",
            "service_code",
            "start_date",
            "end_date",
            "status",
        )
    }
    assert await ids(http, empty) == await ids(http)


async def test_the_90_day_and_1000_request_defaults(
    http: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    """1001 published requests 80 days ago and one 200 days ago (rows of the projection):
    the default answer is the newest 1000 of the last 90 days, a window is capped at 1000."""
    now = datetime.now(UTC).replace(microsecond=0)
    first = now - timedelta(days=80)
    old_at = now - timedelta(days=200)
    numbers = [f"GY19990101-{n:06d}" for n in range(1, 1002)]
    old = "GY19990101-999999"
    rows = [(number, first + timedelta(seconds=i)) for i, number in enumerate(numbers)]
    with sessions.begin() as session:
        for case_no, at in [*rows, (old, old_at)]:
            projection = received_projection(
                case_no, at, channel="open311", case_type="help", category=WATER_OUTAGE
            )
            session.add(CaseRow(**projection.model_dump(), archived_at=None))
    try:
        default = await ids(http)
        assert len(default) == 1000 and old not in default
        window = {
            "start_date": (first - timedelta(seconds=1)).isoformat(),
            "end_date": (first + timedelta(seconds=1001)).isoformat(),
        }
        capped = await ids(http, window)
        assert capped == list(reversed(numbers))[:1000]  # newest first; the first one left out
        # start_date alone: 90 days from it; end_date alone: the 90 days before it
        start_only = {"start_date": (old_at - timedelta(seconds=1)).isoformat()}
        assert await ids(http, start_only) == [old]
        end_only = {"end_date": (old_at + timedelta(seconds=1)).isoformat()}
        assert await ids(http, end_only) == [old]
        response = await http.get(f"{BASE}/requests.xml", params=window)
        assert spec.problems(xml(response), spec.REQUESTS_WITH_NOTES, "xml") == []
        assert len(xml(response)) == 1000
    finally:
        with sessions.begin() as session:
            session.execute(delete(CaseRow).where(CaseRow.case_no.in_([*numbers, old])))

"""POST a service request and read it back; idempotency, tokens and the spec's errors."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import Client

from db.engine import SessionFactory
from db.tables import CaseRow
from models.intake import ToDispatch
from rules.permissions import Role
from services.cases import show
from tests.open311.conftest import new_key
from tests.open311.support import (
    BASE,
    CASE_NO,
    CREATED_FIELDS,
    NOISE_CODE,
    NOTE_FIELDS,
    REQUEST_FIELDS,
    W3C,
    WATER_CODE,
    errors,
    flat,
    json_of,
    request_form,
    tags,
    xml,
)

PERSONAL = ("李小明", "小明", "13900001111", "reporter@example.com", "中华北路100号", "acct-42")


def case_row(sessions: SessionFactory, case_no: str) -> CaseRow:
    with sessions() as session:
        row = session.scalar(select(CaseRow).where(CaseRow.case_no == case_no))
    assert row is not None
    return row


async def test_post_form_then_read_back_in_both_formats(
    http: httpx.AsyncClient,
    api_key: str,
    client_key: tuple[str, str],
    sessions: SessionFactory,
    client: Client,
) -> None:
    response = await http.post(f"{BASE}/requests.xml", data=request_form(api_key))
    assert response.status_code == 201, response.text
    root = xml(response)
    assert root.tag == "service_requests"
    [created] = root
    assert created.tag == "request"
    assert tags(created) == CREATED_FIELDS
    case_no = created.findtext("service_request_id") or ""
    assert CASE_NO.match(case_no)
    assert case_no in (created.findtext("service_notice") or "")
    assert flat(created)["account_id"] is None
    assert not any(value in response.text for value in PERSONAL)

    row = case_row(sessions, case_no)
    assert (row.channel, row.case_type, row.category) == ("open311", "help", "城乡建设/供水/停水")
    assert (row.district, row.street, row.status) == ("云岩区", None, "received")
    assert row.title == "小区从今天早上开始停水，至今没有恢复，也没有看到停水通知。"
    assert (row.caller_name, row.caller_phone) == ("李小明", "13900001111")
    assert row.operator_id == client_key[0]
    intake = (await show(client, case_no)).intake
    assert intake.location.address == "中华北路100号"
    assert (intake.location.latitude, intake.location.longitude) == (26.5783, 106.7135)
    assert intake.outcome == ToDispatch()

    as_xml = await http.get(f"{BASE}/requests/{case_no}.xml")
    assert as_xml.status_code == 200
    [request] = xml(as_xml)
    assert tags(request) == REQUEST_FIELDS
    fields = flat(request)
    assert fields["service_request_id"] == case_no
    assert fields["status"] == "open"
    assert fields["status_notes"] == "已受理，等待派单"
    assert fields["service_name"] == "停水"
    assert fields["service_code"] == WATER_CODE
    # the caller's own words stay in: without a public wording the description is the service
    assert fields["description"] == "停水"
    assert row.title not in as_xml.text
    assert fields["agency_responsible"] is None
    assert fields["service_notice"]
    assert W3C.match(fields["requested_datetime"] or "")
    assert W3C.match(fields["updated_datetime"] or "")
    assert fields["address"] == "云岩区"
    assert fields["address_id"] is None and fields["zipcode"] is None
    # posted with a point: the fields are there, and empty (the publication policy)
    assert fields["lat"] is None and fields["long"] is None
    assert fields["media_url"] is None
    notes = request.find("notes")
    assert notes is not None and tags(notes) == ["note"]
    assert tags(notes[0]) == NOTE_FIELDS
    assert flat(notes[0])["type"] == "opened"
    assert flat(notes[0])["description"] == "热线受理"
    assert W3C.match(flat(notes[0])["datetime"] or "")
    assert not any(value in as_xml.text for value in PERSONAL)

    as_json = await http.get(f"{BASE}/requests/{case_no}.json")
    assert as_json.status_code == 200
    [document] = json_of(as_json)
    assert list(document) == REQUEST_FIELDS
    assert document["lat"] is None and document["long"] is None
    assert "26.5783" not in as_json.text and "106.7135" not in as_json.text
    assert document["status"] == "open"
    assert document["service_code"] == WATER_CODE
    assert document["requested_datetime"] == fields["requested_datetime"]
    assert document["agency_responsible"] is None
    assert document["notes"] == [
        {"datetime": flat(notes[0])["datetime"], "description": "热线受理", "type": "opened"}
    ]
    assert not any(value in as_json.text for value in PERSONAL)
    assert document["description"] == "停水" and row.title not in as_json.text


async def test_post_json_body_with_attributes(
    http: httpx.AsyncClient, api_key: str, sessions: SessionFactory
) -> None:
    body = {
        "api_key": api_key,
        "service_code": NOISE_CODE,
        "lat": 26.56,
        "long": 106.71,
        "description": "夜间施工噪声扰民",
        "media_url": "https://img.example.com/noise.jpg",
        "attribute": {"district": "南明区", "street": "花果园街道", "case_type": "complaint"},
    }
    response = await http.post(f"{BASE}/requests.json", json=body)
    assert response.status_code == 201, response.text
    [created] = json_of(response)
    assert list(created) == CREATED_FIELDS
    assert created["account_id"] is None
    row = case_row(sessions, created["service_request_id"])
    assert (row.district, row.street, row.case_type) == ("南明区", "花果园街道", "complaint")
    assert row.title == "夜间施工噪声扰民"
    assert row.content == "夜间施工噪声扰民\n附件：https://img.example.com/noise.jpg"
    [document] = json_of(await http.get(f"{BASE}/requests/{row.case_no}.json"))
    # the street is the caller's text: the public address is the district only
    assert document["address"] == "南明区"
    assert document["service_name"] == "噪声污染"
    assert document["description"] == "噪声污染"
    assert "花果园街道" not in str(document) and "夜间施工" not in str(document)


async def test_form_attributes_and_address_only(
    http: httpx.AsyncClient, api_key: str, sessions: SessionFactory
) -> None:
    form = request_form(api_key, **{"attribute[district]": "观山湖区"})
    for field in ("lat", "long", "first_name", "last_name", "phone"):
        del form[field]
    form["description"] = "  很长的描述 " * 20
    response = await http.post(f"{BASE}/requests.xml", data=form)
    assert response.status_code == 201, response.text
    row = case_row(sessions, xml(response)[0].findtext("service_request_id") or "")
    assert row.district == "观山湖区"
    assert row.title == " ".join(["很长的描述"] * 20)[:60].rstrip()
    assert (row.caller_name, row.caller_phone) == (None, None)


async def test_same_idempotency_key_same_case_and_token(
    http: httpx.AsyncClient, api_key: str
) -> None:
    key = str(uuid.uuid4())
    headers = {"Idempotency-Key": key}
    first = await http.post(f"{BASE}/requests.json", data=request_form(api_key), headers=headers)
    again = await http.post(f"{BASE}/requests.json", data=request_form(api_key), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    case_no = json_of(first)[0]["service_request_id"]
    assert json_of(again)[0]["service_request_id"] == case_no
    other = await http.post(f"{BASE}/requests.json", data=request_form(api_key))
    assert json_of(other)[0]["service_request_id"] != case_no

    token_xml = await http.get(f"{BASE}/tokens/{key}.xml")
    assert token_xml.status_code == 200
    [request] = xml(token_xml)
    assert request.tag == "request"
    assert flat(request) == {"service_request_id": case_no, "token": key}
    token_json = await http.get(f"{BASE}/tokens/{key}.json")
    assert json_of(token_json) == [{"service_request_id": case_no, "token": key}]


async def test_idempotency_key_of_another_client_is_refused(
    http: httpx.AsyncClient, api_key: str, sessions: SessionFactory
) -> None:
    key = str(uuid.uuid4())
    _, other_key = new_key(sessions, Role.OPERATOR)
    first = await http.post(
        f"{BASE}/requests.xml", data=request_form(api_key), headers={"Idempotency-Key": key}
    )
    assert first.status_code == 201
    response = await http.post(
        f"{BASE}/requests.xml", data=request_form(other_key), headers={"Idempotency-Key": key}
    )
    assert response.status_code == 400
    assert "another client" in errors(response, "xml")[0][1]
    bad = await http.post(
        f"{BASE}/requests.xml", data=request_form(api_key), headers={"Idempotency-Key": "1"}
    )
    assert bad.status_code == 400


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_unknown_token_and_request_are_404(http: httpx.AsyncClient, fmt: str) -> None:
    for path in (f"tokens/{uuid.uuid4()}.{fmt}", f"requests/GY20000101-999999.{fmt}"):
        response = await http.get(f"{BASE}/{path}")
        assert response.status_code == 404
        [(code, description)] = errors(response, fmt)
        assert code == 404
        assert "not found" in description


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_api_key_missing_invalid_or_not_allowed_is_403(
    http: httpx.AsyncClient, sessions: SessionFactory, fmt: str
) -> None:
    missing = await http.post(f"{BASE}/requests.{fmt}", data=request_form(None))
    assert missing.status_code == 403
    assert errors(missing, fmt) == [(403, "api_key was not provided")]
    invalid = await http.post(f"{BASE}/requests.{fmt}", data=request_form("hl_not-a-key"))
    assert invalid.status_code == 403
    [(code, description)] = errors(invalid, fmt)
    assert code == 403 and "invalid api_key" in description
    _, auditor = new_key(sessions, Role.AUDITOR)
    refused = await http.post(f"{BASE}/requests.{fmt}", data=request_form(auditor))
    assert refused.status_code == 403
    assert errors(refused, fmt)[0][0] == 403


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_unknown_service_code_is_404(http: httpx.AsyncClient, api_key: str, fmt: str) -> None:
    response = await http.post(
        f"{BASE}/requests.{fmt}", data=request_form(api_key, service_code="0000000000")
    )
    assert response.status_code == 404
    [(code, description)] = errors(response, fmt)
    assert code == 404 and "service_code" in description


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_missing_location_and_service_code_are_400(
    http: httpx.AsyncClient, api_key: str, fmt: str
) -> None:
    form = request_form(api_key, service_code="")
    for field in ("lat", "long", "address_string"):
        del form[field]
    response = await http.post(f"{BASE}/requests.{fmt}", data=form)
    assert response.status_code == 400
    found = errors(response, fmt)
    assert [code for code, _ in found] == [400, 400]
    assert "service_code was not provided" in found[0][1]
    assert "location" in found[1][1]


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_invalid_arguments_are_400_without_personal_data(
    http: httpx.AsyncClient, api_key: str, fmt: str
) -> None:
    form = request_form(
        api_key,
        description="x" * 4001,
        phone="call me 555",
        lat="95",
        media_url="javascript:alert(1)",
        **{"attribute[district]": "朝阳区", "attribute[colour]": "red"},
    )
    del form["address_string"]
    response = await http.post(f"{BASE}/requests.{fmt}", data=form)
    assert response.status_code == 400
    found = errors(response, fmt)
    assert all(code == 400 for code, _ in found)
    text = " ".join(description for _, description in found)
    for fragment in ("attribute[colour]", "attribute[district]", "lat", "phone", "description"):
        assert fragment in text
    assert "555" not in text


async def test_oversized_body_is_400(http: httpx.AsyncClient, api_key: str) -> None:
    response = await http.post(
        f"{BASE}/requests.json", data=request_form(api_key, description="停" * 100_000)
    )
    assert response.status_code == 400
    assert errors(response, "json")[0][0] == 400


async def test_markup_is_escaped_and_control_characters_refused(
    http: httpx.AsyncClient, api_key: str, publisher: dict[str, str]
) -> None:
    text = '水管<爆裂> & "漏水" </description><x>'
    created = await http.post(f"{BASE}/requests.xml", data=request_form(api_key, description=text))
    assert created.status_code == 201
    case_no = xml(created)[0].findtext("service_request_id")
    # the description is the centre's public wording: here, the same markup
    marked = await http.put(
        f"/cases/{case_no}/publication", json={"public_text": text}, headers=publisher
    )
    assert marked.status_code == 200, marked.text
    [request] = xml(await http.get(f"{BASE}/requests/{case_no}.xml"))
    assert request.findtext("description") == text
    [document] = json_of(await http.get(f"{BASE}/requests/{case_no}.json"))
    assert document["description"] == text
    control = await http.post(
        f"{BASE}/requests.json", data=request_form(api_key, description="漏水\x01")
    )
    assert control.status_code == 400
    assert "control character" in errors(control, "json")[0][1]


async def test_other_jurisdiction_and_other_media_types_are_refused(
    http: httpx.AsyncClient, api_key: str
) -> None:
    other = await http.post(
        f"{BASE}/requests.xml", data=request_form(api_key, jurisdiction_id="sfgov.org")
    )
    assert other.status_code == 404
    assert "jurisdiction_id" in errors(other, "xml")[0][1]
    multipart = await http.post(f"{BASE}/requests.json", files={"api_key": (None, api_key)})
    assert multipart.status_code == 400
    assert "application/x-www-form-urlencoded" in errors(multipart, "json")[0][1]
    # a resource asked with a method it does not take: 400, the error document
    for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        wrong_method = await http.request(method, f"{BASE}/services.json")
        assert wrong_method.status_code == 400, method
        [(code, description)] = errors(wrong_method, "json")
        assert code == 400 and description.startswith(f"{method} is not supported"), method
    put = await http.put(f"{BASE}/requests.xml")
    assert put.status_code == 400 and "use GET or POST" in errors(put, "xml")[0][1]
    nowhere = await http.delete(f"{BASE}/nothing/here.json")
    assert nowhere.status_code == 404 and errors(nowhere, "json")[0][0] == 404


@pytest.mark.parametrize(
    "fields",
    [
        {"first_name": "泄露标记\x00"},
        {"last_name": "张\x07"},
        {"address_string": "中华北路\x01100号"},
        {"attribute[street]": "中华北路\x1b街道"},
    ],
    ids=["first_name", "last_name", "address_string", "street"],
)
@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_control_characters_in_the_reporter_or_place_are_400_naming_the_argument(
    http: httpx.AsyncClient, api_key: str, fmt: str, fields: dict[str, str]
) -> None:
    response = await http.post(f"{BASE}/requests.{fmt}", data=request_form(api_key, **fields))
    assert response.status_code == 400, response.text
    text = " ".join(description for _, description in errors(response, fmt))
    argument = next(iter(fields)).removeprefix("attribute[").removesuffix("]")
    assert argument in text and "not valid" in text
    for value in fields.values():
        assert value.strip("\x00\x01\x07\x1b") not in text


async def test_the_point_is_shown_to_the_block_once_the_centre_published_the_wording(
    http: httpx.AsyncClient, api_key: str, publisher: dict[str, str], sessions: SessionFactory
) -> None:
    created = await http.post(f"{BASE}/requests.json", data=request_form(api_key))
    assert created.status_code == 201, created.text
    [answer] = json_of(created)
    case_no = answer["service_request_id"]
    assert (case_row(sessions, case_no).latitude, case_row(sessions, case_no).longitude) == (
        26.5783,
        106.7135,
    )
    [before] = json_of(await http.get(f"{BASE}/requests/{case_no}.json"))
    assert before["lat"] is None and before["long"] is None

    marked = await http.put(
        f"/cases/{case_no}/publication", json={"public_text": "小区停水"}, headers=publisher
    )
    assert marked.status_code == 200, marked.text
    as_json = await http.get(f"{BASE}/requests/{case_no}.json")
    [document] = json_of(as_json)
    assert (document["lat"], document["long"]) == (26.578, 106.713)
    assert "26.5783" not in as_json.text and "106.7135" not in as_json.text
    [request] = xml(await http.get(f"{BASE}/requests/{case_no}.xml"))
    assert (request.findtext("lat"), request.findtext("long")) == ("26.578", "106.713")

    cleared = await http.delete(f"/cases/{case_no}/publication", headers=publisher)
    assert cleared.status_code in (200, 204), cleared.text
    [after] = json_of(await http.get(f"{BASE}/requests/{case_no}.json"))
    assert after["lat"] is None and after["long"] is None

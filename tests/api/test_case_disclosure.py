"""Who sees what of a case over HTTP (rules.disclosure), role by role, on the real stack.

A confidential case gives a department the caller's surname and masked phone and nothing of
the place finer than the district; nobody finds the retrieval code in a case view, a list or an
export; only the operator who took the call gets it, in the intake answer.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from activities.store import retrieval_code
from audit.timeline_model import IntakeFacts, Timeline, masked
from rules.disclosure import (
    LISTED_FIELDS,
    Audience,
    CallerView,
    audience_for,
    disclose,
    disclosure,
)
from services.access_log import access_entries
from services.case_list import CaseListing, CaseSummary
from tests.api.http import Api
from tests.api.test_cases_api import intake_body
from tests.workflows.cases import intake

STREET = "喷水池街道"
COMMUNITY = "省府路社区"
ADDRESS = "省府路12号4单元"
LATITUDE = 26.5783
LONGITUDE = 106.7135
PHONE = "13800001234"
NAME = "赵六"
PLACE = {
    "district": "云岩区",
    "street": STREET,
    "community": COMMUNITY,
    "address": ADDRESS,
    "latitude": LATITUDE,
    "longitude": LONGITUDE,
}
PLACE_TEXTS = (STREET, COMMUNITY, ADDRESS, str(LATITUDE), str(LONGITUDE))


def caller(confidential: bool) -> dict[str, Any]:
    return {"name": NAME, "phones": [PHONE], "confidential": confidential}


async def open_case(api: Api, operator: dict[str, str], confidential: bool) -> dict[str, Any]:
    response = await api.http.post(
        "/cases",
        json=intake_body(caller=caller(confidential), location=PLACE),
        headers=operator,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


# ---- the rule itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("audience", "confidential", "expected"),
    [
        (Audience.CENTRE, True, (CallerView.FULL, True, True)),
        (Audience.CENTRE, False, (CallerView.FULL, True, True)),
        (Audience.DEPARTMENT, True, (CallerView.MASKED, False, False)),
        (Audience.DEPARTMENT, False, (CallerView.FULL, True, True)),
        (Audience.MASKED, True, (CallerView.MASKED, False, False)),
        (Audience.MASKED, False, (CallerView.MASKED, False, True)),
        (Audience.NONE, True, (CallerView.HIDDEN, False, False)),
        (Audience.NONE, False, (CallerView.HIDDEN, False, True)),
    ],
)
def test_the_rule_per_audience(
    audience: Audience, confidential: bool, expected: tuple[CallerView, bool, bool]
) -> None:
    seen = disclosure(audience, confidential=confidential)
    assert (seen.caller, seen.exact_place, seen.area) == expected
    case = intake(
        caller={"name": NAME, "phones": [PHONE], "confidential": confidential},
        location=PLACE,
        retrieval_code="654321",
    )
    shown = disclose(case, audience)
    assert shown.retrieval_code is None
    assert (shown.location.street is not None) is seen.area
    assert (shown.location.community is not None) is seen.area
    exact = (shown.location.address, shown.location.latitude, shown.location.longitude)
    assert exact == ((ADDRESS, LATITUDE, LONGITUDE) if seen.exact_place else (None, None, None))
    names = {CallerView.FULL: NAME, CallerView.MASKED: "赵*", CallerView.HIDDEN: None}
    assert shown.caller.name == names[seen.caller]
    assert shown.location.district == "云岩区"


@pytest.mark.parametrize(
    ("role", "personal", "purpose", "audience"),
    [
        ("operator", True, True, Audience.CENTRE),
        ("department", True, True, Audience.DEPARTMENT),
        ("department", True, False, Audience.MASKED),
        ("admin", False, True, Audience.NONE),
    ],
)
def test_audience_of_a_reader(role: str, personal: bool, purpose: bool, audience: Audience) -> None:
    assert audience_for(role, reads_personal_data=personal, purpose_given=purpose) is audience


def test_list_rows_carry_only_the_listed_fields() -> None:
    assert set(CaseSummary.model_fields) <= LISTED_FIELDS
    assert set(CaseListing.model_fields) <= LISTED_FIELDS
    assert not LISTED_FIELDS & {"street", "community", "address", "retrieval_code", "caller"}


# ---- over HTTP ----------------------------------------------------------------------------------


async def test_a_confidential_case_per_role(api: Api) -> None:
    operator = api.token_for("operator")
    case_no = (await open_case(api, operator, confidential=True))["case_no"]
    readers = {
        role: api.token_for(role, "gy-market" if role == "department" else None)
        for role in ("operator", "dispatcher", "department", "supervisor", "auditor", "admin")
    }
    code = retrieval_code(api.sessions, case_no)
    assert code is not None

    seen: dict[str, dict[str, Any]] = {}
    for role, headers in readers.items():
        response = await api.http.get(f"/cases/{case_no}", headers=headers)
        assert response.status_code == 200, (role, response.text)
        seen[role] = response.json()
        intake_seen = seen[role]["state"]["intake"]
        assert intake_seen["retrieval_code"] is None, role
        assert f'"{code}"' not in response.text, role

    for role in ("operator", "dispatcher", "supervisor", "auditor"):
        intake_seen = seen[role]["state"]["intake"]
        assert intake_seen["caller"]["name"] == NAME, role
        assert intake_seen["location"] == PLACE, role

    department = seen["department"]
    assert department["caller_masked"] is True
    assert department["state"]["intake"]["caller"]["name"] == "赵*"
    assert department["state"]["intake"]["caller"]["phones"] == ["138****1234"]
    assert department["state"]["intake"]["location"] == {
        "district": "云岩区",
        "street": None,
        "community": None,
        "address": None,
        "latitude": None,
        "longitude": None,
    }
    admin = seen["admin"]
    assert admin["personal_data_included"] is False
    assert admin["state"]["intake"]["caller"]["name"] is None
    assert admin["state"]["intake"]["caller"]["phones"] == []
    assert admin["state"]["intake"]["location"]["street"] is None
    assert admin["state"]["intake"]["location"]["latitude"] is None

    entries = {e.role.value: e for e in access_entries(api.sessions, case_no=case_no)}
    assert "admin" not in entries
    assert entries["department"].masked is True
    assert entries["department"].fields == ["caller.name", "caller.phones"]
    assert "location.latitude" in entries["operator"].fields


async def test_a_department_sees_the_place_of_a_case_that_is_not_confidential(api: Api) -> None:
    operator = api.token_for("operator")
    case_no = (await open_case(api, operator, confidential=False))["case_no"]
    market = api.token_for("department", "gy-market")
    admin = api.token_for("admin")

    seen = (await api.http.get(f"/cases/{case_no}", headers=market)).json()
    assert seen["caller_masked"] is False
    assert seen["state"]["intake"]["location"] == PLACE
    assert seen["state"]["intake"]["retrieval_code"] is None
    # A role without personal data gets the area, never the door.
    location = (await api.http.get(f"/cases/{case_no}", headers=admin)).json()["state"]["intake"][
        "location"
    ]
    assert (location["street"], location["community"]) == (STREET, COMMUNITY)
    assert (location["address"], location["latitude"], location["longitude"]) == (None,) * 3


async def test_list_items_per_role_hold_no_place_caller_or_code(api: Api) -> None:
    operator = api.token_for("operator")
    case_no = (await open_case(api, operator, confidential=True))["case_no"]
    code = retrieval_code(api.sessions, case_no)
    for role in ("operator", "dispatcher", "department", "supervisor", "auditor", "admin"):
        headers = api.token_for(role, "gy-market" if role == "department" else None)
        response = await api.http.get("/cases", headers=headers, params={"limit": 100})
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        mine = [item for item in items if item["case_no"] == case_no]
        assert len(mine) == 1, role
        assert set(mine[0]) <= LISTED_FIELDS, role
        for text in (*PLACE_TEXTS, NAME, PHONE, f'"{code}"'):
            assert text not in response.text, (role, text)


async def test_only_the_operator_who_took_the_call_gets_the_code(api: Api) -> None:
    operator = api.token_for("operator")
    body = intake_body(caller=caller(True), location=PLACE)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await api.http.post("/cases", json=body, headers=operator | key)
    assert first.status_code == 201, first.text
    case_no = first.json()["case_no"]
    assert first.json()["retrieval_code"] == retrieval_code(api.sessions, case_no)

    other = api.token_for("dispatcher")
    retried = await api.http.post("/cases", json=body, headers=other | key)
    assert retried.status_code == 201, retried.text
    assert retried.json()["case_no"] == case_no
    assert retried.json()["retrieval_code"] is None

    step = await api.post(f"/cases/{case_no}/notes", api.token_for("supervisor"), note="核实中")
    assert step.status_code == 200, step.text
    assert "retrieval_code" not in step.json()


async def test_an_auditors_export_has_no_retrieval_code(api: Api) -> None:
    operator = api.token_for("operator")
    case_no = (await open_case(api, operator, confidential=True))["case_no"]
    exported = await api.http.get(f"/cases/{case_no}/export", headers=api.token_for("auditor"))
    assert exported.status_code == 200, exported.text
    assert exported.json()["intake"]["retrieval_code"] is None
    assert exported.json()["intake"]["location"] == PLACE  # the rest of the record, complete


# ---- the audit timeline's masked mode -----------------------------------------------------------


@pytest.mark.parametrize("confidential", [True, False])
def test_the_masked_timeline_follows_the_rule(confidential: bool) -> None:
    facts = IntakeFacts(
        case_no="GY20261128-000321",
        channel="phone",
        operator_id="op-001",
        received_at=None,
        case_type="complaint",
        category="市场监管/消费投诉",
        urgency="normal",
        complex=False,
        title="商家拒绝退款",
        district="云岩区",
        street=STREET,
        outcome="dispatch",
        caller_name=NAME,
        caller_phones=[PHONE],
        address=ADDRESS,
        confidential=confidential,
        enterprise=False,
        client_identity="hotline",
    )
    timeline = Timeline(
        case_no=facts.case_no,
        workflow_id=f"case-{facts.case_no}",
        status="dispatched",
        execution="running",
        intake=facts,
    )

    shown = masked(timeline).intake

    assert shown is not None
    assert (shown.caller_name, shown.caller_phones) == ("赵*", ["138****1234"])
    assert shown.address == "(address recorded)"
    assert shown.street == (None if confidential else STREET)

"""The centre marks a case's public wording: `PUT/DELETE /cases/{no}/publication`, and
`hotline case publish`. Who may, what is refused, and that a refusal writes nothing."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from rules.permissions import Role
from services.cases import IntakeRequest, open_case
from services.principals import add_user
from services.publication import get_public
from services.tokens import issue_token
from tests.cli.runner import run_cli
from tests.conftest import TASK_QUEUE
from tests.open311.conftest import new_key
from tests.open311.support import BASE, WATER_OUTAGE, json_of, request_form

PUBLIC_TEXT = "中华北路片区停水，水务部门正在抢修"


def bearer(sessions: SessionFactory, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {new_key(sessions, role)[1]}"}


async def open311_case(http: httpx.AsyncClient, api_key: str, **fields: str) -> str:
    response = await http.post(f"{BASE}/requests.json", data=request_form(api_key, **fields))
    assert response.status_code == 201, response.text
    case_no: str = json_of(response)[0]["service_request_id"]
    return case_no


async def description(http: httpx.AsyncClient, case_no: str) -> str:
    response = await http.get(f"{BASE}/requests/{case_no}.json")
    assert response.status_code == 200
    text: str = json_of(response)[0]["description"]
    return text


async def test_dispatchers_and_supervisors_may_mark_no_one_else(
    http: httpx.AsyncClient, api_key: str, sessions: SessionFactory
) -> None:
    case_no = await open311_case(http, api_key)
    path = f"/cases/{case_no}/publication"
    body = {"public_text": PUBLIC_TEXT}
    liaison = f"open311-liaison-{uuid.uuid4().hex[:8]}"
    add_user(sessions, liaison, "水务局联络员", Role.DEPARTMENT, "gy-water")
    refused_roles = {
        Role.OPERATOR: bearer(sessions, Role.OPERATOR),
        Role.DEPARTMENT: {"Authorization": f"Bearer {issue_token(sessions, liaison).token}"},
        Role.AUDITOR: bearer(sessions, Role.AUDITOR),
        Role.ADMIN: bearer(sessions, Role.ADMIN),
    }
    for role, headers in refused_roles.items():
        for response in (
            await http.put(path, json=body, headers=headers),
            await http.delete(path, headers=headers),
        ):
            assert response.status_code == 403, (role, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert "publish_case" in response.json()["detail"]
    assert (await http.put(path, json=body)).status_code == 401
    assert get_public(sessions, case_no) is None
    assert await description(http, case_no) == "停水"

    for role in (Role.DISPATCHER, Role.SUPERVISOR):
        headers = bearer(sessions, role)
        marked = await http.put(path, json=body, headers=headers)
        assert marked.status_code == 200, marked.text
        document = marked.json()
        assert document["case_no"] == case_no and document["public_text"] == PUBLIC_TEXT
        assert document["marked_by"].startswith(f"open311-{role.value}-")
        assert await description(http, case_no) == PUBLIC_TEXT
        cleared = await http.delete(path, headers=headers)
        assert cleared.status_code == 204
        assert get_public(sessions, case_no) is None
        assert await description(http, case_no) == "停水"
        again = await http.delete(path, headers=headers)
        assert again.status_code == 204


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ({}, "missing"),
        ({"public_text": ""}, "string_too_short"),
        ({"public_text": "停" * 1001}, "string_too_long"),
        ({"public_text": "停水\x01"}, "value_error"),
        ({"public_text": PUBLIC_TEXT, "marked_by": "someone"}, "extra_forbidden"),
        ({"public_text": 12}, "string_type"),
        ({"public_text": "   "}, "blank"),
        ({"public_text": "停水请致电 139-0000-2222 咨询"}, "phone_number"),
        ({"public_text": "李小明反映小区停水"}, "caller_name"),
        ({"public_text": "这个我不知道"}, "forbidden_wording"),
    ],
)
async def test_bad_wording_is_422_naming_the_field_and_writes_nothing(
    http: httpx.AsyncClient,
    api_key: str,
    sessions: SessionFactory,
    publisher: dict[str, str],
    body: dict[str, object],
    rule: str,
) -> None:
    case_no = await open311_case(http, api_key)
    response = await http.put(f"/cases/{case_no}/publication", json=body, headers=publisher)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    field = "body.marked_by" if rule == "extra_forbidden" else "body.public_text"
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(field, rule)]
    assert field in problem["detail"]
    assert "李小明" not in response.text and "13900001111" not in response.text
    assert get_public(sessions, case_no) is None
    assert await description(http, case_no) == "停水"


async def test_a_case_number_in_the_wording_is_no_phone_number(
    http: httpx.AsyncClient, api_key: str, publisher: dict[str, str]
) -> None:
    case_no = await open311_case(http, api_key)
    text = f"与工单 {case_no} 同一片区停水，12345 已转水务部门"
    response = await http.put(
        f"/cases/{case_no}/publication", json={"public_text": text}, headers=publisher
    )
    assert response.status_code == 200, response.text


async def test_unknown_and_unpublished_cases_are_refused(
    http: httpx.AsyncClient,
    api_key: str,
    sessions: SessionFactory,
    env: WorkflowEnvironment,
    publisher: dict[str, str],
) -> None:
    body = {"public_text": PUBLIC_TEXT}
    nowhere = "/cases/GY20000101-999997/publication"
    assert (await http.put(nowhere, json=body, headers=publisher)).status_code == 404
    assert (await http.delete(nowhere, headers=publisher)).status_code == 404
    malformed = await http.put("/cases/not-a-case/publication", json=body, headers=publisher)
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "path.case_no"

    report = await open311_case(http, api_key, **{"attribute[case_type]": "report"})
    refused = await http.put(f"/cases/{report}/publication", json=body, headers=publisher)
    assert refused.status_code == 409
    assert refused.json()["reasons"] == ["it is a report (举报)"]
    request = IntakeRequest.model_validate(
        {
            "request_id": f"test-{uuid.uuid4()}",
            "operator_id": "op-1",
            "caller": {"name": "周保密", "phones": ["13700000009"], "confidential": True},
            "location": {"district": "云岩区"},
            "case_type": "help",
            "category": WATER_OUTAGE,
            "title": "停水",
            "content": "停水",
            "outcome": {"kind": "dispatch"},
        }
    )
    phone = (await open_case(env.client, sessions, request, TASK_QUEUE)).case_no
    refused = await http.put(f"/cases/{phone}/publication", json=body, headers=publisher)
    assert refused.status_code == 409
    assert refused.json()["reasons"] == [
        "it came in by phone, not through Open311",
        "it is confidential",
    ]
    assert "周保密" not in refused.text
    assert get_public(sessions, report) is None and get_public(sessions, phone) is None


async def test_who_marked_it_is_logged_without_the_text(
    http: httpx.AsyncClient,
    api_key: str,
    publisher: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    case_no = await open311_case(http, api_key)
    path = f"/cases/{case_no}/publication"
    with caplog.at_level(logging.INFO, logger="services.publication"):
        marked = await http.put(path, json={"public_text": PUBLIC_TEXT}, headers=publisher)
        cleared = await http.delete(path, headers=publisher)
    assert (marked.status_code, cleared.status_code) == (200, 204)
    messages = [r.getMessage() for r in caplog.records if r.name == "services.publication"]
    assert len(messages) == 2
    assert all(case_no in m and "open311-dispatcher-" in m for m in messages)
    assert not any(PUBLIC_TEXT in m or "李小明" in m for m in messages)


async def test_the_cli_marks_and_clears(
    http: httpx.AsyncClient, api_key: str, sessions: SessionFactory, database_url: str
) -> None:
    case_no = await open311_case(http, api_key)
    report = await open311_case(http, api_key, **{"attribute[case_type]": "report"})
    dispatcher, _ = new_key(sessions, Role.DISPATCHER)
    operator, _ = new_key(sessions, Role.OPERATOR)
    environ = {"DATABASE_URL": database_url}

    def publish(*args: str) -> tuple[int, str, str]:
        result = run_cli("case", "publish", *args, environ=environ)
        assert "Traceback" not in result.stderr, result.stderr
        return result.returncode, result.stdout, result.stderr

    code, out, _ = publish(case_no, "--text", PUBLIC_TEXT, "--by", dispatcher)
    assert (code, out.strip()) == (0, f"case {case_no}: public wording set by {dispatcher}")
    stored = get_public(sessions, case_no)
    assert stored is not None
    assert (stored.public_text, stored.marked_by) == (PUBLIC_TEXT, dispatcher)
    assert await description(http, case_no) == PUBLIC_TEXT

    code, _, err = publish(case_no, "--text", PUBLIC_TEXT, "--by", operator)
    assert code == 2 and "may publish" in err
    code, _, err = publish(case_no, "--text", "这个我不知道", "--by", dispatcher)
    assert code == 2 and "forbidden wording" in err
    code, _, err = publish(report, "--text", PUBLIC_TEXT, "--by", dispatcher)
    assert code == 1 and "refused" in err and "report" in err
    code, _, err = publish(case_no, "--by", dispatcher)
    assert code == 2 and "--text" in err
    code, _, err = publish("GY20000101-999996", "--clear", "--by", dispatcher)
    assert code == 2 and "no case" in err
    assert get_public(sessions, case_no) == stored

    code, out, _ = publish(case_no, "--clear", "--by", dispatcher)
    assert (code, out.strip()) == (0, f"case {case_no}: public wording cleared")
    assert get_public(sessions, case_no) is None
    assert await description(http, case_no) == "停水"

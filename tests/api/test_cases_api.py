"""Cases over HTTP on the real stack: every step by the right role, isolation, privacy, errors."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest

from services.access_log import access_entries
from tests.api.http import Api

PROBLEM = "application/problem+json"


def intake_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "caller": {"name": "李四", "phones": ["13912345678"], "confidential": False},
        "location": {"district": "云岩区", "address": "中华北路1号"},
        "case_type": "complaint",
        "category": "市场监管/消费投诉",
        "title": "商家拒绝退款",
        "content": "商品质量问题，商家拒绝退款。",
        "outcome": {"kind": "dispatch", "lead_department": "gy-market"},
    }
    body.update(overrides)
    return body


async def open_case(api: Api, operator: dict[str, str], **overrides: Any) -> str:
    response = await api.http.post("/cases", json=intake_body(**overrides), headers=operator)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/cases/{response.json()['case_no']}"
    return str(response.json()["case_no"])


async def test_a_case_from_intake_to_closure_by_role_tokens(api: Api) -> None:
    operator = api.token_for("operator")
    dispatcher = api.token_for("dispatcher")
    market = api.token_for("department", "gy-market")
    case_no = await open_case(api, operator)

    steps: list[tuple[dict[str, str], str, dict[str, Any], str]] = [
        (market, "sign-off", {"department": "gy-market"}, "handling"),
        (
            market,
            "reply",
            {
                "department": "gy-market",
                "result": "resolved",
                "content": "已约谈商家，同意退款",
                "officer": "王科长",
            },
            "replied",
        ),
        (dispatcher, "reply-review", {"approve": True}, "callback"),
        (
            operator,
            "callback",
            {"reached": True, "resolved": True, "satisfaction": "very_satisfied"},
            "closed",
        ),
    ]
    for headers, step, body, status in steps:
        response = await api.post(f"/cases/{case_no}/{step}", headers, **body)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status

    detail = (await api.http.get(f"/cases/{case_no}", headers=operator)).json()
    actors = [e["actor"] for e in detail["state"]["timeline"]]
    assert actors[0].startswith("operator-") and actors[2].startswith("department-")


async def test_a_reply_with_forbidden_wording_is_refused_and_the_case_stays(api: Api) -> None:
    operator = api.token_for("operator")
    market = api.token_for("department", "gy-market")
    case_no = await open_case(api, operator)
    await api.post(f"/cases/{case_no}/sign-off", market, department="gy-market")
    reply = {"department": "gy-market", "result": "explained", "officer": "王科长"}

    rude = await api.post(
        f"/cases/{case_no}/reply", market, **reply, content="这个不归我们管，请找街道。"
    )

    assert rude.status_code == 422, rude.text
    assert rude.json()["errors"][0]["field"] == "body.content"
    assert "不归我们管" in rude.json()["detail"]
    detail = (await api.http.get(f"/cases/{case_no}", headers=operator)).json()
    assert detail["state"]["status"] == "handling"
    polite = await api.post(
        f"/cases/{case_no}/reply",
        market,
        **reply,
        content="经核实，此事属街道职责，已转告街道办理。",
    )
    assert polite.status_code == 200, polite.text


async def test_assisting_departments_without_a_lead_are_refused_at_intake_and_dispatch(
    api: Api,
) -> None:
    operator = api.token_for("operator")
    dispatcher = api.token_for("dispatcher")
    alone = {"kind": "dispatch", "assisting_departments": ["gy-housing"]}

    at_intake = await api.http.post("/cases", json=intake_body(outcome=alone), headers=operator)

    assert at_intake.status_code == 422, at_intake.text
    assert at_intake.json()["errors"][0]["field"] == "outcome.assisting_departments"
    case_no = await open_case(api, operator, outcome={"kind": "dispatch"})
    before = (await api.http.get(f"/cases/{case_no}", headers=operator)).json()["state"]
    at_dispatch = await api.post(
        f"/cases/{case_no}/dispatch", dispatcher, assisting_departments=["gy-housing"]
    )
    assert at_dispatch.status_code == 422, at_dispatch.text
    assert at_dispatch.json()["errors"][0]["field"] == "body.assisting_departments"
    after = (await api.http.get(f"/cases/{case_no}", headers=operator)).json()["state"]
    assert after["status"] == before["status"] == "received"
    assert after["timeline"] == before["timeline"]


async def test_roles_are_held_to_the_permission_matrix(api: Api) -> None:
    operator = api.token_for("operator")
    case_no = await open_case(api, operator)
    market = api.token_for("department", "gy-market")
    auditor = api.token_for("auditor")

    cases: list[tuple[dict[str, str], str, dict[str, Any]]] = [
        (market, "dispatch", {"lead_department": "gy-water"}),
        (auditor, "notes", {"note": "审计不能写"}),
        (operator, "escalations", {"level": 2}),
    ]
    for headers, step, body in cases:
        response = await api.post(f"/cases/{case_no}/{step}", headers, **body)
        assert response.status_code == 403, (step, response.text)
        assert response.headers["content-type"] == PROBLEM
    assert (await api.http.get(f"/cases/{case_no}", headers=auditor)).status_code == 200

    missing = await api.http.get(f"/cases/{case_no}")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    forged = await api.http.get(f"/cases/{case_no}", headers={"Authorization": "Bearer hl_x_y"})
    assert forged.status_code == 401


async def test_a_department_cannot_see_or_touch_another_departments_case(api: Api) -> None:
    operator = api.token_for("operator")
    case_no = await open_case(api, operator)
    water = api.token_for("department", "gy-water")
    market = api.token_for("department", "gy-market")

    assert (await api.http.get(f"/cases/{case_no}", headers=water)).status_code == 404
    acted = await api.post(f"/cases/{case_no}/sign-off", water, department="gy-water")
    assert acted.status_code == 404
    impersonated = await api.post(f"/cases/{case_no}/sign-off", water, department="gy-market")
    assert impersonated.status_code == 403
    listed = (await api.http.get("/cases", headers=water, params={"limit": 100})).json()
    assert case_no not in [c["case_no"] for c in listed["items"]]
    listed = (await api.http.get("/cases", headers=market, params={"limit": 100})).json()
    assert case_no in [c["case_no"] for c in listed["items"]]


async def test_confidential_caller_is_masked_for_departments_and_every_read_logged(
    api: Api,
) -> None:
    operator = api.token_for("operator")
    caller = {"name": "王五", "phones": ["13800001234"], "confidential": True}
    case_no = await open_case(api, operator, caller=caller)
    market = api.token_for("department", "gy-market")

    seen = (await api.http.get(f"/cases/{case_no}", headers=market)).json()
    assert seen["caller_masked"] is True
    assert seen["state"]["intake"]["caller"]["name"] == "王*"
    assert seen["state"]["intake"]["caller"]["phones"] == ["138****1234"]
    assert seen["state"]["intake"]["location"]["address"] is None
    full = await api.http.get(
        f"/cases/{case_no}", headers=operator | {"X-Access-Purpose": quote("回访核实")}
    )
    assert full.json()["state"]["intake"]["caller"]["phones"] == ["13800001234"]

    entries = access_entries(api.sessions, case_no=case_no)
    assert [(e.masked, e.purpose) for e in entries] == [
        (False, "回访核实"),
        (True, "case handling"),
    ]
    assert all("caller.phones" in e.fields for e in entries)


async def test_retried_intake_and_step_run_once(api: Api) -> None:
    operator = api.token_for("operator")
    market = api.token_for("department", "gy-market")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await api.http.post("/cases", json=intake_body(), headers=operator | key)
    again = await api.http.post("/cases", json=intake_body(), headers=operator | key)
    assert first.json()["case_no"] == again.json()["case_no"]
    case_no = first.json()["case_no"]

    step_key = {"Idempotency-Key": uuid.uuid4().hex}
    for _ in range(2):
        response = await api.post(
            f"/cases/{case_no}/sign-off", market | step_key, department="gy-market"
        )
        assert response.status_code == 200 and response.json()["status"] == "handling"
    detail = (await api.http.get(f"/cases/{case_no}", headers=operator)).json()
    assert [e["action"] for e in detail["state"]["timeline"]].count("sign_off") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (intake_body(case_type="gossip"), "body.case_type"),
        (intake_body(title="长" * 129), "body.title"),
        (intake_body(location={"district": 42}), "body.location.district"),
        (intake_body(outcome={"kind": "teleport"}), "body.outcome"),
        (intake_body(caller={"phones": ["not-a-phone"]}), "body.caller.phones.0"),
        (intake_body(extra_field=1), "body.extra_field"),
    ],
)
async def test_bad_intake_names_the_field_and_the_rule(
    api: Api, body: dict[str, Any], field: str
) -> None:
    response = await api.http.post("/cases", json=body, headers=api.token_for("operator"))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem
    assert "not-a-phone" not in response.text


async def test_malformed_json_is_a_problem_not_a_crash(api: Api) -> None:
    response = await api.http.post(
        "/cases",
        content=b"{not json",
        headers=api.token_for("operator") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM


async def test_invalid_step_is_409_with_the_current_status_and_changes_nothing(api: Api) -> None:
    operator = api.token_for("operator")
    case_no = await open_case(api, operator)
    dispatcher = api.token_for("dispatcher")
    before = (await api.http.get(f"/cases/{case_no}", headers=operator)).json()
    response = await api.post(f"/cases/{case_no}/reply-review", dispatcher, approve=True)
    assert response.status_code == 409
    problem = response.json()
    assert problem["case_status"] == "dispatched"
    assert "not replied" in problem["detail"]
    after = (await api.http.get(f"/cases/{case_no}", headers=operator)).json()
    assert after["state"]["timeline"] == before["state"]["timeline"]

    unknown = await api.post("/cases/GY20200101-999999/reply-review", dispatcher, approve=True)
    assert unknown.status_code == 404 and unknown.headers["content-type"] == PROBLEM


async def test_escalation_over_http(api: Api) -> None:
    operator = api.token_for("operator")
    case_no = await open_case(api, operator)
    supervisor = api.token_for("supervisor")
    response = await api.post(f"/cases/{case_no}/escalations", supervisor, level=2, note="关注")
    assert response.status_code == 202
    for _ in range(100):
        detail = (await api.http.get(f"/cases/{case_no}", headers=supervisor)).json()
        if detail["state"]["escalation_level"] == 2:
            break
    assert detail["state"]["escalation_level"] == 2


async def test_list_filters_and_keyset_pages(api: Api) -> None:
    operator = api.token_for("operator")
    tag = uuid.uuid4().hex[:8]
    opened = [await open_case(api, operator, title=f"噪声扰民 {tag} {i}") for i in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"q": tag, "limit": 2, "status": "dispatched"}
        if cursor:
            params["cursor"] = cursor
        page = (await api.http.get("/cases", headers=operator, params=params)).json()
        seen += [c["case_no"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(opened) and len(seen) == len(set(seen))
    bad = await api.http.get("/cases", headers=operator, params={"cursor": "garbage"})
    assert bad.status_code == 422
    wrong = await api.http.get("/cases", headers=operator, params={"status": "sleeping"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "query.status.0"


async def test_every_other_step_over_http_with_its_role(api: Api) -> None:
    operator = api.token_for("operator")
    dispatcher = api.token_for("dispatcher")
    supervisor = api.token_for("supervisor")
    hr = api.token_for("department", "gy-hr")
    market = api.token_for("department", "gy-market")
    housing = api.token_for("department", "gy-housing")

    async def step(headers: dict[str, str], case_no: str, name: str, **body: Any) -> str:
        response = await api.post(f"/cases/{case_no}/{name}", headers, **body)
        assert response.status_code == 200, (name, response.text)
        return str(response.json()["status"])

    joint = {"kind": "dispatch", "lead_department": "gy-hr", "assisting_departments": ["gy-market"]}
    case_no = await open_case(api, operator, category="劳动保障/欠薪", outcome=joint)
    assert (
        await step(
            market, case_no, "assist-input", department="gy-market", content="已核查企业登记信息"
        )
        == "dispatched"
    )
    assert await step(supervisor, case_no, "urge", note="请尽快签收") == "dispatched"
    assert (
        await step(
            hr, case_no, "return", department="gy-hr", reason="not_our_duty", legal_basis="职责清单"
        )
        == "return_review"
    )
    assert (
        await step(dispatcher, case_no, "return-review", approve=True, redispatch_to="gy-housing")
        == "dispatched"
    )
    assert await step(housing, case_no, "sign-off", department="gy-housing") == "handling"
    assert (
        await step(
            housing,
            case_no,
            "extension-request",
            department="gy-housing",
            working_days=3,
            reason="需现场勘查",
        )
        == "handling"
    )
    assert await step(dispatcher, case_no, "extension-decision", approve=True) == "handling"
    assert await step(operator, case_no, "withdraw", reason="市民已自行解决") == "closed"

    master = await open_case(api, operator)
    duplicate = await open_case(api, operator)
    assert await step(operator, duplicate, "merge", master_case_no=master) == "closed"
    no_lead = await open_case(api, operator, outcome={"kind": "dispatch"})
    assert await step(dispatcher, no_lead, "dispatch", lead_department="gy-water") == "dispatched"


async def test_auditor_export_is_logged_as_an_export(api: Api) -> None:
    case_no = await open_case(api, api.token_for("operator"))
    auditor = api.token_for("auditor")
    exported = await api.http.get(f"/cases/{case_no}/export", headers=auditor)
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == f'attachment; filename="{case_no}.json"'
    assert exported.json()["intake"]["caller"]["phones"] == ["13912345678"]
    (entry,) = access_entries(api.sessions, case_no=case_no)
    assert entry.action == "export" and entry.purpose == "audit"
    denied = await api.http.get(f"/cases/{case_no}/export", headers=api.token_for("operator"))
    assert denied.status_code == 403


async def test_control_characters_are_refused_before_any_store(api: Api) -> None:
    operator = api.token_for("operator")
    body = intake_body(title="商家\x00拒绝退款")
    refused = await api.http.post("/cases", json=body, headers=operator)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.title"
    listed = await api.http.get("/cases", params={"q": "a\x00b"}, headers=operator)
    assert listed.status_code == 422
    open311 = await api.http.get(
        "/open311/v2/requests.json", params={"service_request_id": "GY\x00"}
    )
    assert open311.status_code == 200 and open311.json() == []
    missing = await api.http.get("/open311/v2/requests/GY%00.json")
    assert missing.status_code == 404


@pytest.mark.parametrize("purpose", ["", "   ", "%00", "%1B[31m"])
async def test_a_read_needs_a_readable_purpose(api: Api, purpose: str) -> None:
    operator = api.token_for("operator")
    case_no = await open_case(api, operator)
    response = await api.http.get(
        f"/cases/{case_no}", headers=operator | {"X-Access-Purpose": purpose}
    )
    assert response.status_code == 422, response.text
    assert "X-Access-Purpose" in response.json()["detail"]
    assert access_entries(api.sessions, case_no=case_no) == []

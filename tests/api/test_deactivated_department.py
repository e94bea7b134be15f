"""A user of a deactivated department is refused everywhere: 401 on every route of the API
(like a revoked token), no new token, and `refused` from the CLI wherever `--by` acts."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from services.principals import acting_user, add_user, deactivate_user
from services.tokens import issue_token
from tests.api.http import Api
from tests.api.test_cases_api import open_case
from tests.cli.runner import hotline_runner, run_cli
from tests.open311.support import request_form


async def new_department(api: Api, admin: dict[str, str], active: bool = True) -> str:
    """A department of this test alone (the demo departments are shared by other tests)."""
    department = f"t-{uuid.uuid4().hex[:12]}"
    await set_active(api, admin, department, active)
    return department


async def set_active(api: Api, admin: dict[str, str], department: str, active: bool) -> None:
    body = {"id": department, "name": f"测试单位 {department}", "kind": "functional"}
    response = await api.http.put(
        f"/departments/{department}", json=body | {"active": active}, headers=admin
    )
    assert response.status_code == 200, response.text


async def test_a_deactivated_departments_token_is_refused_on_every_route_and_back_when_active(
    api: Api,
) -> None:
    admin = api.token_for("admin")
    operator = api.token_for("operator")
    department = await new_department(api, admin)
    liaison = api.token_for("department", department)
    case_no = await open_case(api, operator)
    assert (await api.http.get("/cases", headers=liaison)).status_code == 200

    await set_active(api, admin, department, False)

    refused = [
        await api.http.get("/cases", headers=liaison),
        await api.http.get(f"/cases/{case_no}", headers=liaison),
        await api.http.get("/departments", headers=liaison),
        await api.post(f"/cases/{case_no}/sign-off", liaison, department=department),
        await api.post(f"/cases/{case_no}/notes", liaison, note="仍在处理"),
    ]
    for response in refused:
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "unknown or revoked token"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    key = liaison["Authorization"].removeprefix("Bearer ")
    open311 = await api.http.post("/open311/v2/requests.json", data=request_form(key))
    assert open311.status_code == 403
    assert (await api.http.get("/cases", headers=operator)).status_code == 200  # others go on

    await set_active(api, admin, department, True)
    assert (await api.http.get("/cases", headers=liaison)).status_code == 200


async def test_no_token_is_issued_to_a_user_of_a_deactivated_department(api: Api) -> None:
    admin = api.token_for("admin")
    department = await new_department(api, admin)
    user_id = f"liaison-{uuid.uuid4().hex[:8]}"
    add_user(api.sessions, user_id, "联络员", "department", department)
    await set_active(api, admin, department, False)
    with pytest.raises(ValueError, match="deactivated department"):
        issue_token(api.sessions, user_id)
    with pytest.raises(ValueError, match="deactivated department"):
        acting_user(api.sessions, user_id)
    assert acting_user(api.sessions, "nobody-of-this-centre") is None


# ---- the command line ---------------------------------------------------------------------------


async def test_the_cli_refuses_a_by_of_a_deactivated_department_or_user(
    api: Api, env: WorkflowEnvironment, database_url: str
) -> None:
    hotline = hotline_runner(env, database_url)
    admin = api.token_for("admin")
    department = await new_department(api, admin)
    liaison = f"liaison-{uuid.uuid4().hex[:8]}"
    add_user(api.sessions, liaison, "联络员", "department", department)
    case_no = "GY19990101-999999"  # no such case: a step that got through says so

    before = await hotline("case", "sign", case_no, "--dept", department, "--by", liaison)
    assert before.returncode == 1 and f"no case {case_no}" in before.stderr, before.stderr

    await set_active(api, admin, department, False)
    refused = await hotline("case", "sign", case_no, "--dept", department, "--by", liaison)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"refused: user {liaison!r} belongs to deactivated department {department!r}"
    )
    escalation = await hotline("escalate", case_no, "--level", "1", "--note", "x", "--by", liaison)
    assert escalation.returncode == 1 and "deactivated department" in escalation.stderr

    operator = f"op-{uuid.uuid4().hex[:8]}"
    add_user(api.sessions, operator, "话务员", "operator")
    deactivate_user(api.sessions, operator)
    note = await hotline("case", "note", case_no, "--text", "x", "--by", operator)
    assert note.returncode == 1
    assert note.stderr.strip() == f"refused: user {operator!r} is deactivated"

    stranger = await hotline("case", "sign", case_no, "--dept", department, "--by", "l-77")
    assert stranger.returncode == 1 and f"no case {case_no}" in stranger.stderr


def test_the_cli_checks_the_actor_in_the_database_of_url_given_after_by(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    operator = f"op-{uuid.uuid4().hex[:8]}"
    add_user(api.sessions, operator, "话务员", "operator")
    deactivate_user(api.sessions, operator)
    elsewhere = {"DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'none.db'}"}
    args = ("phrases", "set", "closing", "closing", "再见！", "--by", operator)
    result = run_cli(*args, "--url", database_url, environ=elsewhere)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == f"refused: user {operator!r} is deactivated"

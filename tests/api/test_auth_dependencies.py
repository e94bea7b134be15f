"""`current_principal` and `require` in a real FastAPI app: 401 versus 403, problem documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, cast

import httpx
import pytest
from fastapi import Depends, FastAPI
from temporalio.client import Client

from api import problems
from api.auth import current_principal, require
from api.context import ApiContext
from db.seed import seed_demo
from rules.permissions import Action, Principal, Role
from services.principals import add_user, deactivate_user
from services.tokens import VerificationCache, issue_token, revoke_token, verification_cache


@pytest.fixture
def sessions(session_factory):
    seed_demo(session_factory)
    add_user(session_factory, "disp-1", "王五", Role.DISPATCHER)
    add_user(session_factory, "aud-1", "赵六", Role.AUDITOR)
    add_user(session_factory, "dept-water", "李四", Role.DEPARTMENT, "gy-water")
    return session_factory


@pytest.fixture
async def http(sessions) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    problems.install(app)
    # The routes under test use the database only; no Temporal client is needed.
    app.state.context = ApiContext(client=cast(Client, None), sessions=sessions, task_queue="t")

    @app.get("/me")
    async def me(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> dict[str, str | None]:
        return {"user": principal.user_id, "role": principal.role, "dept": principal.department}

    @app.post("/dispatch")
    async def dispatch(
        principal: Annotated[Principal, Depends(require(Action.DISPATCH))],
    ) -> dict[str, str]:
        return {"by": principal.user_id}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client
    verification_cache().clear()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_valid_token_identifies_the_caller(sessions, http):
    token = issue_token(sessions, "dept-water").token
    answer = await http.get("/me", headers=bearer(token))
    assert answer.status_code == 200
    assert answer.json() == {"user": "dept-water", "role": "department", "dept": "gy-water"}
    lenient = await http.get("/me", headers={"Authorization": f"bearer   {token}  "})
    assert lenient.status_code == 200


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "missing bearer token"),
        ({"Authorization": ""}, "missing bearer token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "malformed Authorization header"),
        ({"Authorization": "Bearer"}, "malformed Authorization header"),
        ({"Authorization": "Bearer not-a-token"}, "malformed bearer token"),
        ({"Authorization": f"Bearer hl_{'0' * 16}_{'A' * 43}"}, "unknown or revoked token"),
    ],
)
async def test_no_valid_token_is_401(http, headers, detail):
    answer = await http.get("/me", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == problems.PROBLEM_JSON
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["detail"].startswith(detail)


async def test_revoked_tokens_and_deactivated_users_are_401(sessions, http):
    revoked = issue_token(sessions, "disp-1")
    assert (await http.get("/me", headers=bearer(revoked.token))).status_code == 200
    revoke_token(sessions, revoked.token_id)
    answer = await http.get("/me", headers=bearer(revoked.token))
    assert (answer.status_code, answer.json()["detail"]) == (401, "unknown or revoked token")

    token = issue_token(sessions, "aud-1").token
    assert (await http.get("/me", headers=bearer(token))).status_code == 200
    deactivate_user(sessions, "aud-1")
    assert (await http.get("/me", headers=bearer(token))).status_code == 401


async def test_a_role_without_the_permission_is_403(sessions, http):
    auditor = issue_token(sessions, "aud-1").token
    answer = await http.post("/dispatch", headers=bearer(auditor))
    assert answer.status_code == 403
    assert answer.json()["detail"] == "role auditor may not dispatch"
    assert (await http.post("/dispatch")).status_code == 401  # authentication comes first

    dispatcher = issue_token(sessions, "disp-1").token
    answer = await http.post("/dispatch", headers=bearer(dispatcher))
    assert (answer.status_code, answer.json()) == (200, {"by": "disp-1"})


async def test_a_cached_verification_does_not_outlive_a_revocation(sessions, http):
    # The app uses the process cache; revoking through the database of another process is
    # simulated with a separate cache, which leaves this process's entry in place.
    issued = issue_token(sessions, "disp-1")
    assert (await http.post("/dispatch", headers=bearer(issued.token))).status_code == 200
    revoke_token(sessions, issued.token_id, cache=VerificationCache())
    assert (await http.post("/dispatch", headers=bearer(issued.token))).status_code == 401

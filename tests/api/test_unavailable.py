"""Outages answer 503 with Retry-After, never a 500, 409 or 400: for real, not mocked.

The database is a URL with nothing behind it (PostgreSQL on a closed port, a read-only SQLite
file that does not exist), or the real PostgreSQL behind a TCP proxy that is stopped mid-test.
Temporal is the session's dev server behind a TCP proxy that is stopped (and started again),
or an address with nothing listening when the API starts.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from temporalio.client import Client
from temporalio.service import RetryConfig
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import ApiContext
from api.unavailable import RETRY_AFTER_SECONDS
from connection.client import data_converter
from db.engine import SessionFactory, make_engine
from db.engine import session_factory as make_sessions
from services.principals import add_user
from services.tokens import issue_token
from tests.api.http import Api
from tests.api.test_cases_api import intake_body
from tests.conftest import TASK_QUEUE
from tests.open311.support import request_form
from tests.tcp_proxy import TcpProxy, free_port

PROBLEM = "application/problem+json"
WELL_FORMED_TOKEN = {"Authorization": "Bearer hl_0123456789abcdef_" + "x" * 43}
# The proxied clients give up after about a second: the API's own client retries for 10 s.
QUICK_RETRIES = RetryConfig(initial_interval_millis=50, max_elapsed_time_millis=1000, max_retries=3)


@asynccontextmanager
async def http_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
        yield http


def assert_problem_503(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    problem = response.json()
    assert (problem["status"], problem["title"]) == (503, "Service unavailable")
    assert problem["detail"] == "the service is temporarily unavailable; retry later"


def assert_open311_503(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.json() == [
        {"code": 503, "description": "the service is temporarily unavailable; retry later"}
    ]


def bearer(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def admin_token(sessions: SessionFactory) -> dict[str, str]:
    user_id = f"admin-{uuid.uuid4().hex[:8]}"
    add_user(sessions, user_id, f"user {user_id}", "admin")
    return {"Authorization": f"Bearer {issue_token(sessions, user_id).token}"}


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


# ---- the database -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(f"postgresql://postgres@127.0.0.1:{free_port()}/nobody", id="postgres-closed"),
        pytest.param(  # read-only: SQLite may not create the missing file
            f"sqlite:///file:/nonexistent-{uuid.uuid4().hex}/hotline.db?mode=ro&uri=true",
            id="sqlite-missing",
        ),
    ],
)
async def test_a_database_that_cannot_be_reached_is_a_503_on_every_kind_of_route(
    env: WorkflowEnvironment, url: str
) -> None:
    context = ApiContext(env.client, make_sessions(make_engine(url)), TASK_QUEUE)
    async with http_of(create_app(context)) as http:
        assert_problem_503(await http.get("/departments", headers=WELL_FORMED_TOKEN))
        assert_problem_503(await http.get("/cases/GY20261128-000001", headers=WELL_FORMED_TOKEN))
        progress = {"case_no": "GY20261128-000001", "retrieval_code": "123456"}
        assert_problem_503(await http.post("/public/progress", json=progress))
        assert_open311_503(await http.get("/open311/v2/requests.json"))
        xml = await http.get("/open311/v2/services.xml")
        assert (xml.status_code, xml.headers["retry-after"]) == (503, str(RETRY_AFTER_SECONDS))
        assert "<code>503</code>" in xml.text
        posted = await http.post(
            "/open311/v2/requests.json", data=request_form(bearer(WELL_FORMED_TOKEN))
        )
        assert_open311_503(posted)


@pytest.mark.postgres
async def test_postgres_going_away_mid_run_is_a_503_and_coming_back_serves_again(
    env: WorkflowEnvironment, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs DATABASE_URL of a PostgreSQL database")
    real = make_url(database_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    proxy.start()
    proxied_url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxied = make_engine(proxied_url)
    admin = admin_token(make_sessions(make_engine(database_url)))
    context = ApiContext(env.client, make_sessions(proxied), TASK_QUEUE)
    try:
        async with http_of(create_app(context)) as http:
            assert (await http.get("/departments", headers=admin)).status_code == 200
            proxy.cut()
            assert_problem_503(await http.get("/departments", headers=admin))
            assert_open311_503(await http.get("/open311/v2/services.json"))
            proxy.restore()
            assert (await http.get("/departments", headers=admin)).status_code == 200
    finally:
        proxy.stop()
        proxied.dispose()


# ---- Temporal -----------------------------------------------------------------------------------


async def test_temporal_going_away_is_a_503_not_a_409_or_400_and_coming_back_serves_again(
    env: WorkflowEnvironment, worker: None, database_url: str
) -> None:
    host, port = split_address(env.client.service_client.config.target_host)
    proxy = TcpProxy(host, port)
    proxy.start()
    client = await Client.connect(
        proxy.address,
        namespace=env.client.namespace,
        data_converter=data_converter(),
        retry_config=QUICK_RETRIES,
    )
    sessions = make_sessions(make_engine(database_url))
    app = create_app(ApiContext(client, sessions, TASK_QUEUE))
    try:
        async with http_of(app) as http:
            api = Api(app=app, sessions=sessions, http=http)
            operator = api.token_for("operator")
            opened = await http.post("/cases", json=intake_body(), headers=operator)
            assert opened.status_code == 201, opened.text
            case_no = opened.json()["case_no"]

            proxy.cut()
            assert_problem_503(await http.get(f"/cases/{case_no}", headers=operator))
            note = await api.post(f"/cases/{case_no}/notes", operator, note="来电催问进度")
            assert_problem_503(note)
            assert_problem_503(await http.post("/cases", json=intake_body(), headers=operator))
            form = request_form(bearer(operator))
            assert_open311_503(await http.post("/open311/v2/requests.json", data=form))

            proxy.restore()
            again = await http.get(f"/cases/{case_no}", headers=operator)
            assert again.status_code == 200, again.text
    finally:
        proxy.stop()


async def test_the_api_starts_without_temporal_and_answers_503_until_temporal_is_reachable(
    env: WorkflowEnvironment,
    worker: None,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    for name in ("TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CA", "TEMPORAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEMPORAL_ADDRESS", f"127.0.0.1:{port}")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", env.client.namespace)
    monkeypatch.setenv("HOTLINE_TASK_QUEUE", TASK_QUEUE)
    monkeypatch.setenv("DATABASE_URL", database_url)
    app = create_app()
    host, real_port = split_address(env.client.service_client.config.target_host)
    proxy = TcpProxy(host, real_port, port=port)
    async with app.router.lifespan_context(app), http_of(app) as http:
        context = cast(ApiContext, app.state.context)
        api = Api(app=app, sessions=context.sessions, http=http)
        operator = api.token_for("operator")
        unknown = "/cases/GY19990101-999999"
        assert_problem_503(await http.get(unknown, headers=operator))
        assert_problem_503(await http.post("/cases", json=intake_body(), headers=operator))
        proxy.start()
        try:
            assert (await http.get(unknown, headers=operator)).status_code == 404
            opened = await http.post("/cases", json=intake_body(), headers=operator)
            assert opened.status_code == 201, opened.text
        finally:
            proxy.stop()

"""`/healthz` and `/readyz` (no sign-in: the probes send no token) on the real stack, and
`/readyz` with each dependency out of reach (a database URL with nothing behind it, a Temporal
address where nothing listens)."""

from __future__ import annotations

import uuid

from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import ApiContext
from api.unavailable import RETRY_AFTER_SECONDS
from connection.client import connect
from db.engine import make_engine
from db.engine import session_factory as make_sessions
from settings.temporal import TemporalSettings
from tests.api.test_unavailable import http_of
from tests.conftest import TASK_QUEUE
from tests.tcp_proxy import free_port

MISSING_SQLITE = f"sqlite:///file:/nonexistent-{uuid.uuid4().hex}/hotline.db?mode=ro&uri=true"


async def test_live_and_ready_on_the_real_stack(
    env: WorkflowEnvironment, database_url: str
) -> None:
    context = ApiContext(env.client, make_sessions(make_engine(database_url)), TASK_QUEUE)
    async with http_of(create_app(context)) as http:
        live = await http.get("/healthz")
        ready = await http.get("/readyz")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "temporal": "ok"}


async def test_not_ready_without_the_database(env: WorkflowEnvironment) -> None:
    context = ApiContext(env.client, make_sessions(make_engine(MISSING_SQLITE)), TASK_QUEUE)
    async with http_of(create_app(context)) as http:
        live = await http.get("/healthz")
        ready = await http.get("/readyz")
    assert live.status_code == 200  # alive: a restart would not bring the database back
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert ready.json() == {"status": "not ready", "database": "unreachable", "temporal": "ok"}
    assert "nonexistent" not in ready.text


async def test_not_ready_without_temporal(database_url: str) -> None:
    address = f"127.0.0.1:{free_port()}"
    client = await connect(TemporalSettings(address=address), lazy=True)
    context = ApiContext(client, make_sessions(make_engine(database_url)), TASK_QUEUE)
    async with http_of(create_app(context)) as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "not ready" and body["database"] == "ok"
    assert body["temporal"] in ("unreachable", "timed out")
    assert address not in ready.text

"""Fixtures of the surface tests: the real app (API and console) with the inbound SMS secret.

`api` is the app in process on the session's Temporal server, worker and database, created
with `HOTLINE_SMS_WEBHOOK_SECRET` set, as `make run` creates it from the environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import ApiContext
from db.engine import SessionFactory, make_engine, session_factory
from tests.api.http import Api
from tests.conftest import TASK_QUEUE

SECRET = "test-inbound-secret-3f9a"


@pytest.fixture
def sessions(database_url: str) -> SessionFactory:
    return session_factory(make_engine(database_url))


@pytest.fixture
async def api(
    env: WorkflowEnvironment,
    worker: None,
    sessions: SessionFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Api]:
    monkeypatch.setenv("HOTLINE_SMS_WEBHOOK_SECRET", SECRET)
    app = create_app(ApiContext(client=env.client, sessions=sessions, task_queue=TASK_QUEUE))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
        yield Api(app=app, sessions=sessions, http=http)


# The browser tests' console server and Chromium (skipped, and said so, without Chromium).
from tests.console.conftest import browser, console_url  # noqa: E402, F401

"""Fixtures of the API tests: the store tests' migrated SQLite and PostgreSQL databases.

`session_factory` (with `store_database_url` and `postgres_url`) comes from
tests/activities/conftest.py: a test that takes it runs on a fresh SQLite file and on a
PostgreSQL schema of its own, emptied before each test. `api` is the real app in process, on
the session's Temporal server, worker and database.
"""

from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import ApiContext
from db.engine import make_engine
from db.engine import session_factory as make_sessions
from tests.activities.conftest import (  # noqa: F401
    postgres_url,
    session_factory,
    store_database_url,
)
from tests.api.http import Api
from tests.conftest import TASK_QUEUE


@pytest.fixture
async def api(env: WorkflowEnvironment, worker: None, database_url: str) -> AsyncIterator[Api]:
    sessions = make_sessions(make_engine(database_url))
    app = create_app(ApiContext(client=env.client, sessions=sessions, task_queue=TASK_QUEUE))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
        yield Api(app=app, sessions=sessions, http=http)

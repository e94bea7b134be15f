"""Fixtures of the Open311 tests: the router on a bare FastAPI app over the real dev server.

The app holds nothing but the Open311 router, the centre's publication routes (the public
wording of a case) and the problem handlers, with the test session's Temporal client (a worker
polls `TASK_QUEUE`) and its migrated, seeded database. API keys are bearer tokens of users added
for these tests.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client

from api import problems
from api.context import ApiContext
from api.open311 import router
from api.routes import publication
from db.engine import SessionFactory, make_engine, session_factory
from rules.permissions import Role
from services.principals import add_user
from services.tokens import issue_token
from tests.conftest import TASK_QUEUE

_users = itertools.count(1)


@pytest.fixture(scope="session")
def sessions(database_url: str) -> SessionFactory:
    return session_factory(make_engine(database_url))


def open311_app(client: Client, sessions: SessionFactory) -> FastAPI:
    app = FastAPI()
    problems.install(app)
    app.state.context = ApiContext(client=client, sessions=sessions, task_queue=TASK_QUEUE)
    app.include_router(router)
    app.include_router(publication.router)
    return app


@pytest.fixture
def app(client: Client, sessions: SessionFactory) -> FastAPI:
    return open311_app(client, sessions)


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def new_key(sessions: SessionFactory, role: Role) -> tuple[str, str]:
    """(user id, api_key) of a new user of `role`."""
    user_id = f"open311-{role.value}-{next(_users)}"
    add_user(sessions, user_id, f"Open311 {role.value}", role)
    return user_id, issue_token(sessions, user_id).token


@pytest.fixture(scope="session")
def client_key(sessions: SessionFactory) -> tuple[str, str]:
    """The user id and api_key of the Open311 client app (an operator: it takes in cases)."""
    return new_key(sessions, Role.OPERATOR)


@pytest.fixture(scope="session")
def api_key(client_key: tuple[str, str]) -> str:
    return client_key[1]


@pytest.fixture(scope="session")
def publisher(sessions: SessionFactory) -> dict[str, str]:
    """The bearer header of a dispatcher: may set a case's public wording."""
    return {"Authorization": f"Bearer {new_key(sessions, Role.DISPATCHER)[1]}"}

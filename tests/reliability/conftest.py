"""Fixtures of the drills: PostgreSQL schemas of their own, a Temporal dev server on a file.

The drills need the PostgreSQL of DATABASE_URL (CI sets it); without it every drill module is
skipped with that reason. Each drill gets a migrated, seeded schema of its own on that server,
so the rest of the suite's database is never touched, and its own dev server (own ports, own db
file) so it can kill, stop and restart what it started. Everything is stopped in teardown.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.devstack import DevStackConfig
from db.engine import SessionFactory, is_sqlite, make_engine, session_factory
from db.seed import seed_demo
from migrations.runner import upgrade
from services.principals import add_user
from services.tokens import issue_token
from tests.databases import postgres_schema_url
from tests.reliability.processes import (
    HOST,
    DevServer,
    api_service,
    free_port,
    wait_for_api,
    worker_service,
)

NEEDS_POSTGRES = "the drills need PostgreSQL: set DATABASE_URL (e.g. postgresql://…/test)"


def postgres_configured() -> bool:
    url = os.environ.get("DATABASE_URL")
    return bool(url) and not is_sqlite(url or "")


requires_postgres = pytest.mark.skipif(not postgres_configured(), reason=NEEDS_POSTGRES)


def fresh_schema(name: str) -> str:
    """A new, migrated and seeded schema `name` on DATABASE_URL's server."""
    url = postgres_schema_url(name)
    assert url is not None, NEEDS_POSTGRES
    upgrade(url)
    seed_demo(session_factory(make_engine(url)))
    return url


@pytest.fixture(scope="module")
def drill_database(request: pytest.FixtureRequest) -> str:
    """A schema of this drill module's own (named after it)."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    return fresh_schema(f"drill_{module}")


@pytest.fixture
def dev_server(dev_config: DevStackConfig, tmp_path: Path) -> Iterator[DevServer]:
    folder = tmp_path / "temporal"
    folder.mkdir()
    server = DevServer(dev_config, folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class ApiStack:
    """A dev server, a `hotline worker` and a `python -m api` on one drill schema."""

    url: str
    server: DevServer
    database_url: str
    sessions: SessionFactory

    def headers(self, role: str, department: str | None = None) -> dict[str, str]:
        """A bearer token of a new user of `role`."""
        return role_headers(self.sessions, role, department)


_users = itertools.count(1)


def role_headers(
    sessions: SessionFactory, role: str, department: str | None = None
) -> dict[str, str]:
    """The Authorization header of a new drill user of `role` (of `department`)."""
    user_id = f"drill-{role}-{os.getpid()}-{next(_users):03d}"
    add_user(sessions, user_id, f"drill {role}", role, department)
    return {"Authorization": f"Bearer {issue_token(sessions, user_id).token}"}


@pytest.fixture(scope="module")
async def api_stack(
    dev_config: DevStackConfig, drill_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ApiStack]:
    folder = tmp_path_factory.mktemp("stack")
    server = DevServer(dev_config, folder)
    port = free_port()
    queue = f"drill-api-{os.getpid()}"
    worker = worker_service(server, queue, drill_database, folder / "worker.log")
    api = api_service(server, queue, drill_database, port, folder / "api.log")
    url = f"http://{HOST}:{port}"
    try:
        server.start()
        worker.start()
        api.start()
        await wait_for_api(url)
        yield ApiStack(url, server, drill_database, session_factory(make_engine(drill_database)))
    finally:
        api.stop()
        worker.stop()
        server.stop()

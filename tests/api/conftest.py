"""Fixtures of the API tests: the store tests' migrated SQLite and PostgreSQL databases.

`session_factory` (with `store_database_url`, which it depends on) comes from
tests/activities/conftest.py: a test that takes it runs on a fresh SQLite file and on PostgreSQL.
Its PostgreSQL run empties every table before each test. Here, unlike in tests/activities, other
tests of the same session (the HTTP API tests) use the session database of tests/conftest.py,
seeded once, on the same DATABASE_URL; so `postgres_url` is overridden to migrate and empty a
schema of its own on that server, and the session database is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from activities.db import is_sqlite, normalise_url
from migrations.runner import upgrade
from tests.activities.conftest import (  # noqa: F401
    NO_POSTGRES,
    _docker_available,
    drop_everything,
    session_factory,
    store_database_url,
)

SCHEMA = "hotline_api_tests"


def in_schema(url: str, schema: str) -> str:
    """`url` with every connection's search_path set to `schema`."""
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database: schema `hotline_api_tests` of DATABASE_URL, or a
    throwaway testcontainer."""
    configured = os.environ.get("DATABASE_URL")
    if configured and not is_sqlite(configured):
        base = normalise_url(configured)
        engine = create_engine(base, poolclass=NullPool)
        try:
            with engine.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
        finally:
            engine.dispose()
        url = in_schema(base, SCHEMA)
        drop_everything(url)
        upgrade(url)
        yield url
        return
    if not _docker_available():
        pytest.skip(NO_POSTGRES)
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver="psycopg") as container:
        url = normalise_url(container.get_connection_url())
        upgrade(url)
        yield url

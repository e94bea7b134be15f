"""Throw-away application databases for the tests that need one of their own.

PostgreSQL comes from a schema of its own on DATABASE_URL's server (the session database of
tests/conftest.py, seeded once, is never touched) or, where a Docker engine answers, a
testcontainer; without either the PostgreSQL run is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from db import schema
from db.engine import is_sqlite, make_engine, normalise_url
from migrations.runner import upgrade

NO_POSTGRES = "PostgreSQL: DATABASE_URL not set and no Docker engine for testcontainers"


def drop_everything(url: str) -> None:
    """Drop every table of the database (alembic_version included) for a clean migration."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            metadata = MetaData()
            metadata.reflect(connection)
            metadata.drop_all(connection)
    finally:
        engine.dispose()


def docker_available() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env().ping()
    except Exception:
        return False
    return True


def in_schema(url: str, schema: str) -> str:
    """`url` with every connection's search_path set to `schema`."""
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


def postgres_schema_url(schema: str) -> str | None:
    """A new, empty schema `schema` on DATABASE_URL's PostgreSQL server, or None without one."""
    configured = os.environ.get("DATABASE_URL")
    if not configured or is_sqlite(configured):
        return None
    base = normalise_url(configured)
    engine = create_engine(base, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()
    return in_schema(base, schema)


@contextlib.contextmanager
def migrated_postgres(schema: str) -> Iterator[str]:
    """A migrated PostgreSQL database in `schema`, or a testcontainer; skips without either."""
    url = postgres_schema_url(schema)
    if url is not None:
        upgrade(url)
        yield url
        return
    if not docker_available():
        pytest.skip(NO_POSTGRES)
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver="psycopg") as container:
        url = normalise_url(container.get_connection_url())
        upgrade(url)
        yield url


@contextlib.contextmanager
def empty_database(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, postgres_fixture: str
) -> Iterator[str]:
    """A fresh migrated SQLite file, or the PostgreSQL of `postgres_fixture` with every table
    emptied; `kind` is "sqlite" or "postgres"."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'hotline.db'}"
        upgrade(url)
        yield url
        make_engine(url).dispose()
        return
    url = request.getfixturevalue(postgres_fixture)
    with make_engine(url).begin() as connection:
        for table in reversed(schema.metadata.sorted_tables):
            connection.execute(delete(table))
    yield url

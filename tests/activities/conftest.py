"""Fixtures of the store tests: a migrated database on SQLite and on PostgreSQL.

A test that takes `session_factory` runs twice: on a fresh SQLite file, and on PostgreSQL when
one is available (DATABASE_URL, else a testcontainer if a Docker engine answers); otherwise the
PostgreSQL run is skipped with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from activities import db
from activities.db import SessionFactory, is_sqlite, make_engine, normalise_url
from migrations.runner import upgrade
from models.tables import Base

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


def _docker_available() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env().ping()
    except Exception:
        return False
    return True


SCHEMA = "hotline_store_tests"


def in_schema(url: str, schema: str) -> str:
    """`url` with every connection's search_path set to `schema`."""
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database: a schema of its own on DATABASE_URL's server (the
    session database of tests/conftest.py, seeded once, is never touched), or a throwaway
    testcontainer."""
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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database of the parametrised kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hotline.db'}"
        upgrade(url)
        yield url
        make_engine(url).dispose()
        return
    url = request.getfixturevalue("postgres_url")
    with make_engine(url).begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    yield url


@pytest.fixture
def session_factory(store_database_url: str) -> SessionFactory:
    """A session factory over an empty, migrated SQLite or PostgreSQL database."""
    return db.session_factory(make_engine(store_database_url))

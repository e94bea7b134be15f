"""Fixtures of the store tests: a migrated database on SQLite and on PostgreSQL.

A test that takes `session_factory` runs twice: on a fresh SQLite file, and on PostgreSQL when
one is available (DATABASE_URL, else a testcontainer if a Docker engine answers); otherwise the
PostgreSQL run is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from db import engine as db
from db.engine import SessionFactory, make_engine
from tests.databases import empty_database, migrated_postgres

SCHEMA = "hotline_store_tests"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of the store tests' own (see tests/databases.py)."""
    with migrated_postgres(SCHEMA) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database of the parametrised kind."""
    with empty_database(request.param, tmp_path, request, "postgres_url") as url:
        yield url


@pytest.fixture
def session_factory(store_database_url: str) -> SessionFactory:
    """A session factory over an empty, migrated SQLite or PostgreSQL database."""
    return db.session_factory(make_engine(store_database_url))

"""Fixtures of the evaluation tests: the store tests' empty, migrated SQLite and PostgreSQL
databases (`session_factory` runs a test on both)."""

from tests.activities.conftest import (  # noqa: F401
    postgres_url,
    session_factory,
    store_database_url,
)

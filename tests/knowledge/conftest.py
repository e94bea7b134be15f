"""Fixtures of the knowledge-base tests: the store tests' empty, migrated SQLite and PostgreSQL
databases (`session_factory` runs a test on both), and the in-process API."""

from tests.activities.conftest import (  # noqa: F401
    postgres_url,
    session_factory,
    store_database_url,
)
from tests.api.conftest import api  # noqa: F401

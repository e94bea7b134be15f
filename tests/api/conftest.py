"""Fixtures of the API tests: the store tests' migrated SQLite and PostgreSQL databases.

`session_factory` (with `store_database_url` and `postgres_url`) comes from
tests/activities/conftest.py: a test that takes it runs on a fresh SQLite file and on a
PostgreSQL schema of its own, emptied before each test.
"""

from tests.activities.conftest import (  # noqa: F401
    postgres_url,
    session_factory,
    store_database_url,
)

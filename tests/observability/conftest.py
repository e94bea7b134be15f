"""Fixtures of the metrics tests: the API tests' real app on the session's Temporal and database."""

from tests.activities.conftest import (  # noqa: F401
    postgres_url,
    session_factory,
    store_database_url,
)
from tests.api.conftest import api  # noqa: F401

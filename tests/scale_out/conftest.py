"""The scale-out drill reuses the reliability drills' fixtures: a migrated PostgreSQL schema of
its own and a Temporal dev server on a file of its own."""

from tests.reliability.conftest import dev_server, drill_database  # noqa: F401

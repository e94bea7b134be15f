"""The API fixture (`api`: the real app in process on the session's Temporal server, worker and
database) for the codec endpoint tests."""

from tests.api.conftest import api  # noqa: F401

"""Fixtures of the administrator's service tests: the store tests' migrated SQLite and
PostgreSQL databases (a test that takes `sessions` runs on both), seeded, with two users."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db.engine import SessionFactory
from db.seed import seed_demo
from rules.permissions import Role
from services.principals import add_user
from tests.activities.conftest import (  # noqa: F401
    postgres_url,
    session_factory,
    store_database_url,
)

T0 = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def sessions(session_factory: SessionFactory) -> SessionFactory:  # noqa: F811
    seed_demo(session_factory)
    add_user(session_factory, "op-001", "张三", Role.OPERATOR)
    add_user(session_factory, "dept-water", "李四", Role.DEPARTMENT, "gy-water")
    return session_factory

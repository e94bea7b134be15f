"""Fixtures of the console list tests: the store tests' migrated SQLite and PostgreSQL databases
(a test that takes `sessions` runs on both), seeded, with cases written through the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from activities.notifications import NotificationRenderer
from activities.store import record_transition
from db.engine import SessionFactory
from db.seed import seed_demo
from models.records import Transition, TransitionRecord
from rules.permissions import Role
from services.principals import add_user
from tests.activities.conftest import (  # noqa: F401
    postgres_url,
    session_factory,
    store_database_url,
)
from tests.builders import received_projection

T0 = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
RENDERER = NotificationRenderer()

Write = Callable[..., None]
"""write(case_no, seq, action, **projection changes): one transition through the store."""


@pytest.fixture
def sessions(session_factory: SessionFactory) -> SessionFactory:  # noqa: F811
    seed_demo(session_factory)
    add_user(session_factory, "disp-1", "派单员甲", Role.DISPATCHER)
    add_user(session_factory, "disp-2", "派单员乙", Role.DISPATCHER)
    add_user(session_factory, "dept-water", "水务联络员", Role.DEPARTMENT, "gy-water")
    return session_factory


@pytest.fixture
def write(sessions: SessionFactory) -> Write:
    def record(case_no: str, seq: int, action: str = "intake", **changes: Any) -> None:
        at = changes.pop("at", T0 + timedelta(minutes=seq))
        changes.setdefault("received_at", T0)
        projection = received_projection(case_no, changes.pop("received_at"), **changes)
        projection = projection.model_copy(update={"version": seq, "updated_at": at})
        transition = Transition(
            case_no=case_no,
            seq=seq,
            at=at,
            action=action,
            actor="system",
            from_status=None if seq == 1 else projection.status,
            to_status=projection.status,
        )
        record_transition(
            sessions,
            TransitionRecord(projection=projection, transition=transition),
            RENDERER,
            hooks=(),
        )

    return record

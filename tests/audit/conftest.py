"""Fixtures of the tamper-evidence tests: a migrated database on SQLite and on PostgreSQL, and
helpers that write real transition chains and archives, and tamper with them by direct SQL.

A test taking `sessions` runs on a fresh SQLite file and on PostgreSQL (a schema of its own on
DATABASE_URL's server, never the shared session database; or a testcontainer), the latter
skipped when neither is available.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, text

from activities.notifications import NotificationRenderer
from activities.store import record_transition
from db import engine as db
from db.archive_store import ARCHIVE_CHAIN, ArchiveEntry, store_archive
from db.chain import GENESIS
from db.engine import SessionFactory, make_engine
from db.tables import ChainHeadRow
from models.records import CaseProjection, Transition, TransitionRecord
from tests.builders import received_projection
from tests.databases import empty_database, migrated_postgres
from workers.composition import transition_hooks

SCHEMA = "hotline_audit_tests"
BEIJING = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 28, 9, 30, 0, 123456, tzinfo=BEIJING)
ACTIONS = ("intake", "dispatch", "sign_off", "reply", "review_reply", "callback", "close")
STATUSES = ("received", "dispatched", "handling", "replied", "reviewed", "called_back", "closed")


@pytest.fixture(scope="session")
def audit_postgres_url() -> Iterator[str]:
    with migrated_postgres(SCHEMA) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def audit_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database of the parametrised kind; the archive chain's
    head starts long ago, so every archived case is expected to have its archive."""
    with empty_database(request.param, tmp_path, request, "audit_postgres_url") as url:
        with make_engine(url).begin() as connection:
            connection.execute(delete(ChainHeadRow))
            connection.execute(
                insert(ChainHeadRow).values(
                    name=ARCHIVE_CHAIN,
                    length=0,
                    head_hash=GENESIS,
                    started_at=datetime(2000, 1, 1, tzinfo=UTC),
                )
            )
        yield url


@pytest.fixture
def sessions(audit_database_url: str) -> SessionFactory:
    return db.session_factory(make_engine(audit_database_url))


def case_no(n: int) -> str:
    return f"GY20261128-{n:06d}"


def projection(number: str, version: int, status: str) -> CaseProjection:
    return received_projection(
        number,
        T0,
        version=version,
        status=status,
        closure_reason="resolved" if status == "closed" else None,
        case_type="complaint",
        category="城乡建设/供水/停水",
        street="中华路街道",
        title="小区停水三天",
        content="某小区自周一起停水，至今未恢复。",
        caller_name="张三",
        caller_phone="13800001234",
        operator_id="op-7",
        lead_department="gy-water" if version > 1 else None,
        closed_at=T0 + timedelta(days=3) if status == "closed" else None,
        updated_at=T0 + timedelta(minutes=version),
    )


def transition_record(number: str, seq: int) -> TransitionRecord:
    status = STATUSES[(seq - 1) % len(STATUSES)]
    previous = None if seq == 1 else STATUSES[(seq - 2) % len(STATUSES)]
    return TransitionRecord(
        projection=projection(number, seq, status),
        transition=Transition(
            case_no=number,
            seq=seq,
            # Beijing time with microseconds: stored as UTC, read back naive (SQLite) or aware.
            at=T0 + timedelta(hours=seq, microseconds=seq),
            action=ACTIONS[(seq - 1) % len(ACTIONS)],
            actor=f"user-{seq}",
            from_status=previous,
            to_status=status,
            detail={"note": f"第{seq}步", "amount": 1.0, "nested": {"b": [1, 2], "a": None}},
        ),
    )


def record_case(sessions: SessionFactory, number: str, steps: int) -> None:
    renderer = NotificationRenderer()
    for seq in range(1, steps + 1):
        record_transition(
            sessions, transition_record(number, seq), renderer, hooks=transition_hooks()
        )


def history_json(number: str, events: int = 3, marker: str = "") -> str:
    document: dict[str, Any] = {
        "events": [
            {"eventId": str(i), "eventType": "EVENT_TYPE_WORKFLOW_TASK_COMPLETED", "m": marker}
            for i in range(1, events + 1)
        ]
    }
    document["events"][0]["workflowId"] = f"case-{number}"
    return json.dumps(document, ensure_ascii=False)


def archive_entry(number: str, marker: str = "") -> ArchiveEntry:
    return ArchiveEntry(
        case_no=number,
        workflow_id=f"case-{number}",
        run_id=f"run-{number}",
        closed_at=T0 + timedelta(days=3, microseconds=7),
        code_version="0.1.0+ab12cd",
        history_json=history_json(number, marker=marker),
        event_count=3,
    )


def archive_case(sessions: SessionFactory, number: str, marker: str = "") -> bool:
    return store_archive(sessions, archive_entry(number, marker))


def execute(sessions: SessionFactory, sql: str, **params: Any) -> int:
    """Tamper by direct SQL, as someone with database access would; the rows changed."""
    with sessions.begin() as session:
        return session.execute(text(sql), params).rowcount  # type: ignore[attr-defined, no-any-return]

"""Migration 0005 on a database with history: the existing log is chained and verifies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.dialects import postgresql

from activities.notifications import NotificationRenderer
from activities.store import record_transition
from audit.verify import verify_all
from db import engine as db
from db import schema
from db.chain import GENESIS
from db.engine import SessionFactory, make_engine
from db.tables import CaseRow, TransitionRow
from migrations.runner import downgrade, upgrade
from tests.audit.conftest import (
    BEIJING,
    archive_case,
    case_no,
    projection,
    transition_record,
)
from tests.databases import NO_POSTGRES, drop_everything, postgres_schema_url
from workers.composition import transition_hooks

OLD_TRANSITIONS = sa.table(
    "case_transitions",
    sa.column("case_no", sa.String()),
    sa.column("seq", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("action", sa.String()),
    sa.column("actor", sa.String()),
    sa.column("from_status", sa.String()),
    sa.column("to_status", sa.String()),
    sa.column("detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
)
LEGACY_ARCHIVED = datetime(2020, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_0004(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database migrated to 0004, before the chain existed."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        found = postgres_schema_url("hotline_audit_migration")
        if found is None:
            pytest.skip(NO_POSTGRES)
        url = found
        drop_everything(url)
    upgrade(url, "0004")
    yield url
    make_engine(url).dispose()


def fill_0004(url: str) -> None:
    """Three cases' logs, written interleaved (ids not in case order), one case archived."""
    rows = []
    for seq in range(1, 5):
        for n in (3, 1, 2):
            at = datetime(2026, 1, 2, 9, 0, 0, 654321, tzinfo=BEIJING) + timedelta(hours=seq)
            at = at.astimezone(UTC)  # as the application always wrote it
            rows.append(
                dict(
                    case_no=case_no(n),
                    seq=seq,
                    at=at,
                    action=f"step-{seq}",
                    actor="op-7",
                    from_status=None if seq == 1 else "handling",
                    to_status="handling",
                    detail={"note": "旧记录", "ratio": 0.5, "count": 2.0, "list": [1, "二"]},
                )
            )
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(OLD_TRANSITIONS), rows)
            # The projection's columns as of 0004 (the point came with 0014).
            old_case = projection(case_no(1), 4, "closed").model_dump(
                exclude={"latitude", "longitude"}
            )
            connection.execute(sa.insert(CaseRow), [old_case | {"archived_at": LEGACY_ARCHIVED}])
    finally:
        engine.dispose()


def sessions_of(url: str) -> SessionFactory:
    return db.session_factory(make_engine(url))


def test_existing_rows_are_chained_and_verify(at_0004):
    fill_0004(at_0004)

    upgrade(at_0004)

    sessions = sessions_of(at_0004)
    report = verify_all(sessions)
    assert report.findings == []
    assert (report.transitions, report.cases, report.archives) == (12, 3, 0)
    with sessions() as session:
        firsts = session.scalars(
            sa.select(TransitionRow.prev_hash).where(TransitionRow.seq == 1)
        ).all()
    assert list(firsts) == [GENESIS] * 3


def test_the_upgraded_log_goes_on_and_archives(at_0004):
    fill_0004(at_0004)
    upgrade(at_0004)
    sessions = sessions_of(at_0004)

    record = transition_record(case_no(2), 5)
    record_transition(sessions, record, NotificationRenderer(), hooks=transition_hooks())
    archive_case(sessions, case_no(2))

    report = verify_all(sessions)
    assert report.findings == []
    assert (report.transitions, report.archives) == (13, 1)


def test_the_upgraded_schema_matches_the_models_and_downgrades(at_0004):
    fill_0004(at_0004)
    upgrade(at_0004)
    engine = make_engine(at_0004)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, schema.metadata) == []

    downgrade(at_0004, "0004")
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        assert "case_archives" not in inspector.get_table_names()
        columns = {c["name"] for c in inspector.get_columns("case_transitions")}
    assert not {"prev_hash", "row_hash"} & columns
    upgrade(at_0004)
    assert verify_all(sessions_of(at_0004)).findings == []

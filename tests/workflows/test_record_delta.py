"""`record_transition` with a projection delta: the same rows as the whole projection, repeats
write nothing, the old whole-projection shape is still accepted, and a real case sends deltas
(behind the `record-transition-delta` patch) whose history replays with the shared runner.
The golden histories (whole projections, no patch marker) replay in `tests/replay/`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.client import Client

from activities.notifications import NotificationRenderer
from activities.store import RecordOutcome, TransitionOutOfOrderError, record_transition
from audit.replay import case_replayer
from db.engine import SessionFactory, make_engine, session_factory
from db.tables import CaseRow, TransitionRow
from models.actions import Action
from models.records import CaseProjection, Transition, TransitionRecord, projection_delta
from models.timestamps import BEIJING
from tests.activities.conftest import postgres_url, store_database_url  # noqa: F401  (fixtures)
from tests.builders import received_projection
from tests.workflows.cases import closed_history, transition_records
from workers.composition import transition_hooks

CASE_NO = "GY20261128-000777"
T0 = datetime(2026, 11, 28, 9, 30, tzinfo=BEIJING)
RENDERER = NotificationRenderer()


@pytest.fixture
def sessions(store_database_url: str) -> SessionFactory:  # noqa: F811
    """A session factory over an empty, migrated SQLite or PostgreSQL database."""
    return session_factory(make_engine(store_database_url))


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def versions() -> list[CaseProjection]:
    """Four versions of one case's projection: received, dispatched, warned, signed."""
    received = received_projection(
        CASE_NO, T0, caller_name="某某", caller_phone="13800000000", title="停水"
    )
    dispatched = received.model_copy(
        update={
            "version": 2,
            "status": "dispatched",
            "lead_department": "gy-water",
            "assisting_departments": ["yunyan-gov"],
            "dispatched_at": at(10),
            "next_deadline": at(60 * 24),
            "updated_at": at(10),
        }
    )
    warned = dispatched.model_copy(update={"version": 3, "updated_at": at(20)})
    signed = warned.model_copy(
        update={
            "version": 4,
            "status": "signed",
            "signed_at": at(30),
            "next_deadline": at(60 * 48),
            "updated_at": at(30),
        }
    )
    return [received, dispatched, warned, signed]


def transition(seq: int) -> Transition:
    action = Action.DEADLINE_WARNING.value if seq == 3 else "step"
    return Transition(
        case_no=CASE_NO,
        seq=seq,
        at=at(10 * (seq - 1)),
        action=action,
        actor="op-1",
        from_status=None,
        to_status="received",
    )


def full_records() -> list[TransitionRecord]:
    return [
        TransitionRecord(projection=p, transition=transition(i + 1))
        for i, p in enumerate(versions())
    ]


def delta_records() -> list[TransitionRecord]:
    """The first record whole, every later one as what changed since the one before."""
    projections = [p.model_dump(mode="json") for p in versions()]
    records = full_records()[:1]
    for i in range(1, len(projections)):
        delta = projection_delta(projections[i - 1], projections[i])
        records.append(TransitionRecord(delta=delta, transition=transition(i + 1)))
    return records


def write(sessions: SessionFactory, record: TransitionRecord) -> RecordOutcome:
    return record_transition(sessions, record, RENDERER, hooks=transition_hooks())


def stored(sessions: SessionFactory) -> dict[str, Any]:
    with sessions() as session:
        row = session.get(CaseRow, CASE_NO)
        assert row is not None
        return {c.name: getattr(row, c.name) for c in CaseRow.__table__.columns}


def log_hashes(sessions: SessionFactory) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(TransitionRow.row_hash)
                .where(TransitionRow.case_no == CASE_NO)
                .order_by(TransitionRow.seq)
            )
        )


def test_a_delta_carries_only_what_changed() -> None:
    delta = delta_records()[1].delta
    assert delta is not None and delta.base_version == 1 and delta.version == 2
    assert "caller_name" not in delta.changes and "title" not in delta.changes
    assert {"status", "lead_department", "next_deadline", "updated_at"} <= set(delta.changes)
    whole = full_records()[1].model_dump_json()
    assert len(delta_records()[1].model_dump_json()) < len(whole) / 2


def test_deltas_write_what_whole_projections_write(sessions: SessionFactory) -> None:
    row_after: list[dict[str, Any]] = []
    for record in full_records():
        write(sessions, record)
        row_after.append(stored(sessions))
    full_hashes = log_hashes(sessions)
    with sessions.begin() as session:
        session.query(TransitionRow).filter(TransitionRow.case_no == CASE_NO).delete()
        session.query(CaseRow).filter(CaseRow.case_no == CASE_NO).delete()
    for record, expected in zip(delta_records(), row_after, strict=True):
        outcome = write(sessions, record)
        assert outcome.projection_updated and outcome.transitions_written == 1
        assert stored(sessions) == expected  # warn_at set at 3, cleared at 4
    assert row_after[2]["warn_at"] is not None and row_after[3]["warn_at"] is None
    assert log_hashes(sessions) == full_hashes


def test_a_repeated_delta_writes_nothing(sessions: SessionFactory) -> None:
    records = delta_records()
    for record in records[:3]:
        write(sessions, record)
    before = stored(sessions)
    assert write(sessions, records[2]) == RecordOutcome(False, 0, 0)
    assert write(sessions, records[1]) == RecordOutcome(False, 0, 0)
    assert stored(sessions) == before


def test_a_delta_ahead_of_its_base_waits(sessions: SessionFactory) -> None:
    records = delta_records()
    write(sessions, records[0])
    with pytest.raises(TransitionOutOfOrderError):
        write(sessions, records[2])
    assert stored(sessions)["version"] == 1
    assert len(log_hashes(sessions)) == 1


def test_the_whole_projection_is_still_accepted_after_deltas(
    sessions: SessionFactory,
) -> None:
    mixed = [*delta_records()[:3], full_records()[3]]
    for record in mixed:
        write(sessions, record)
    assert stored(sessions)["status"] == "signed"
    assert stored(sessions)["version"] == 4


def test_a_record_has_exactly_one_projection_shape() -> None:
    with pytest.raises(ValueError):
        TransitionRecord(transition=transition(1))
    record = full_records()[1]
    with pytest.raises(ValueError):
        TransitionRecord(
            projection=record.projection, delta=delta_records()[1].delta, transition=transition(2)
        )


async def test_a_case_sends_deltas_and_its_history_replays(client: Client) -> None:
    history = await closed_history(client)

    records = await transition_records(client, history)
    shapes = ["delta" if record.delta is not None else "whole" for record in records]
    assert shapes[0] == "whole" and set(shapes[1:]) == {"delta"} and len(shapes) > 3

    replayer = case_replayer(client.data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None

"""The transition log's hash chain: canonical form, computed on insert, idempotent, in order."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql

from activities.notifications import NotificationRenderer
from activities.store import RecordOutcome, TransitionOutOfOrderError, record_transition
from audit.verify import verify_all
from db.chain import (
    GENESIS,
    TRANSITION_FIELDS,
    canonical,
    chain_hash,
    history_digest,
    transition_hash,
    utc_iso,
)
from db.engine import SessionFactory
from db.tables import CaseRow, TransitionRow
from tests.audit.conftest import case_no, record_case, transition_record
from workers.composition import transition_hooks

CASE = case_no(1)


def stored(sessions: SessionFactory, number: str = CASE) -> list[TransitionRow]:
    with sessions() as session:
        return list(
            session.scalars(
                select(TransitionRow)
                .where(TransitionRow.case_no == number)
                .order_by(TransitionRow.seq)
            )
        )


# ---- canonical form ---------------------------------------------------------------------------


def test_datetimes_are_utc_with_microseconds_whether_naive_or_aware():
    beijing = timezone(timedelta(hours=8))
    aware = datetime(2026, 11, 28, 9, 30, tzinfo=beijing)
    naive_utc = datetime(2026, 11, 28, 1, 30)

    assert utc_iso(aware) == utc_iso(naive_utc) == "2026-11-28T01:30:00.000000+00:00"
    assert canonical({"at": aware}) == canonical({"at": naive_utc})


def test_canonical_json_is_sorted_compact_utf8_and_float_stable():
    content = {"b": 1.0, "a": "云岩区", "c": [2.5, {"y": None, "x": True}]}

    assert canonical(content) == '{"a":"云岩区","b":1,"c":[2.5,{"x":true,"y":null}]}'.encode()
    assert canonical({"n": 1e20}) == canonical({"n": 10**20})


def test_a_hash_depends_on_content_and_predecessor():
    content = {"a": 1}
    first = chain_hash(GENESIS, content)

    assert len(first) == 64 and int(first, 16) >= 0
    assert chain_hash(GENESIS, {"a": 2}) != first
    assert chain_hash(first, content) != first
    assert (
        history_digest("{}") == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    )


def test_values_that_json_cannot_hold_are_refused():
    with pytest.raises(TypeError, match="set"):
        canonical({"a": {1, 2}})


# ---- record_transition ------------------------------------------------------------------------


def test_the_chain_is_computed_on_insert(sessions):
    record_case(sessions, CASE, 4)

    rows = stored(sessions)
    assert [row.seq for row in rows] == [1, 2, 3, 4]
    assert rows[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.row_hash
    for row in rows:
        expected = transition_record(CASE, row.seq).transition.model_dump()
        assert row.row_hash == transition_hash(row.prev_hash, expected)
        assert len(row.row_hash) == 64
    assert verify_all(sessions).intact


def test_the_hash_survives_the_round_trip_naive_or_aware(sessions):
    """SQLite gives `at` back naive, PostgreSQL aware: both hash as the value written."""
    record_case(sessions, CASE, 2)
    plain = sa.table(
        "case_transitions",
        *(sa.column(name) for name in TRANSITION_FIELDS if name not in ("at", "detail")),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
        sa.column("seq"),
        sa.column("prev_hash"),
        sa.column("row_hash"),
    )
    engine = sessions.kw["bind"]
    with engine.connect() as connection:
        rows = connection.execute(select(plain).order_by(plain.c.seq)).mappings().all()

    naive = engine.dialect.name == "sqlite"
    for row in rows:
        assert (row["at"].tzinfo is None) is naive
        assert transition_hash(row["prev_hash"], row) == row["row_hash"]
    assert rows[1]["at"].replace(tzinfo=UTC) == transition_record(CASE, 2).transition.at


def test_recording_again_writes_nothing_and_keeps_the_chain(sessions):
    record_case(sessions, CASE, 3)
    before = [(row.prev_hash, row.row_hash) for row in stored(sessions)]

    again = record_transition(
        sessions, transition_record(CASE, 2), NotificationRenderer(), hooks=transition_hooks()
    )

    assert again == RecordOutcome(
        projection_updated=False, transitions_written=0, notifications_written=0
    )
    assert [(row.prev_hash, row.row_hash) for row in stored(sessions)] == before
    assert verify_all(sessions).intact


def test_a_transition_before_its_predecessor_is_refused_and_writes_nothing(sessions):
    record_case(sessions, CASE, 1)

    with pytest.raises(TransitionOutOfOrderError, match="transition 2 is not recorded yet"):
        record_transition(
            sessions, transition_record(CASE, 3), NotificationRenderer(), hooks=transition_hooks()
        )

    assert [row.seq for row in stored(sessions)] == [1]
    with sessions() as session:
        assert session.scalar(select(CaseRow.version).where(CaseRow.case_no == CASE)) == 1
    # The retried write goes through once the predecessor is there.
    record_transition(
        sessions, transition_record(CASE, 2), NotificationRenderer(), hooks=transition_hooks()
    )
    record_transition(
        sessions, transition_record(CASE, 3), NotificationRenderer(), hooks=transition_hooks()
    )
    assert verify_all(sessions).intact


def test_a_later_case_starts_its_own_chain(sessions):
    record_case(sessions, case_no(1), 2)
    record_case(sessions, case_no(2), 2)

    firsts = [stored(sessions, case_no(n))[0] for n in (1, 2)]
    assert [row.prev_hash for row in firsts] == [GENESIS, GENESIS]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(TransitionRow)) == 4


def test_seq_must_start_at_one(sessions):
    record = transition_record(CASE, 1)
    record.transition.seq = 0
    with pytest.raises(ValueError, match="seq starts at 1"):
        record_transition(sessions, record, NotificationRenderer(), hooks=transition_hooks())

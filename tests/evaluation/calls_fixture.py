"""Helpers of the call-record tests: cases to link to, and the rows stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from db.call_tables import CallRow
from db.engine import SessionFactory
from db.tables import CaseRow
from tests.builders import received_projection

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def add_case(sessions: SessionFactory, case_no: str) -> None:
    at = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    with sessions.begin() as session:
        session.add(
            CaseRow(
                **received_projection(case_no, at, title="咨询", content="咨询").model_dump(),
                archived_at=None,
            )
        )


def stored(sessions: SessionFactory) -> dict[str, CallRow]:
    with sessions() as session:
        rows = session.scalars(select(CallRow).order_by(CallRow.call_id)).all()
        session.expunge_all()
    return {row.call_id: row for row in rows}

"""Helpers of the call-record tests: cases to link to, and the rows stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from activities.db import SessionFactory
from models.call_tables import CallRow
from models.tables import CaseRow

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def add_case(sessions: SessionFactory, case_no: str) -> None:
    at = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    with sessions.begin() as session:
        session.add(
            CaseRow(
                case_no=case_no,
                version=1,
                status="received",
                closure_reason=None,
                channel="phone",
                case_type="consultation",
                category="其他",
                urgency="normal",
                complex=False,
                district="云岩区",
                street=None,
                title="咨询",
                content="咨询",
                caller_name=None,
                caller_phone=None,
                confidential=False,
                enterprise=False,
                operator_id="op-1",
                lead_department=None,
                assisting_departments=[],
                escalation_level=0,
                overdue=False,
                ever_overdue=False,
                next_deadline=None,
                received_at=at,
                dispatched_at=None,
                signed_at=None,
                replied_at=None,
                closed_at=None,
                reopen_rounds=0,
                callback_attempts=0,
                satisfaction=None,
                resolved=None,
                merged_into=None,
                updated_at=at,
                archived_at=None,
            )
        )


def stored(sessions: SessionFactory) -> dict[str, CallRow]:
    with sessions() as session:
        rows = session.scalars(select(CallRow).order_by(CallRow.call_id)).all()
        session.expunge_all()
    return {row.call_id: row for row in rows}

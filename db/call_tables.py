"""SQL tables of the telephony system's call records (domain §9: the call indicators).

`call_records` holds one row per call and source system, merged from every file that spoke of
it (an Asterisk queue_log is appended to, so one call's events may arrive in two files; a PBX's
queue_log and CDR share the call id, so both records of a call make one row), with its direction:
`inbound` (a call to the hotline, in the call indicators) or `outbound` (a callback the centre
placed, a callback attempt of the case it is linked to);
`call_files` remembers every file ingested, by its sha256, so an identical file is never
ingested twice. The caller's number is personal data and is not stored: at most a keyed hash
of it (`caller_hash`, HMAC-SHA256 under a secret of the deployment) for repeat-caller counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.tables import CASE_NO, HASH, USER_ID, Base, UtcDateTime, big_id, json_type

SOURCE = 32
CALL_ID = 64
QUEUE = 64
AGENT = 128
FILE_NAME = 255
CALL_FORMATS: tuple[str, ...] = ("queue_log", "cdr", "csv")
CALL_OUTCOMES: tuple[str, ...] = ("answered", "abandoned", "timeout", "other")
CALL_DIRECTIONS: tuple[str, ...] = ("inbound", "outbound")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


class CallFileRow(Base):
    """One ingested file: what it held and who ingested it; its sha256 is never ingested again."""

    __tablename__ = "call_files"
    __table_args__ = (
        UniqueConstraint("sha256"),
        CheckConstraint(_in("format", CALL_FORMATS), name="format"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(HASH))
    name: Mapped[str] = mapped_column(String(FILE_NAME))
    source: Mapped[str] = mapped_column(String(SOURCE))
    format: Mapped[str] = mapped_column(String(16))
    lines: Mapped[int] = mapped_column(Integer)
    calls: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    error_lines: Mapped[list[dict[str, Any]]] = mapped_column(json_type())
    ingested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ingested_by: Mapped[str] = mapped_column(String(USER_ID))


class CallRow(Base):
    """One call offered to the hotline's queues, as the telephony system recorded it.

    `answered_at` is set only when an agent answered; `wait_seconds` is the time to answer, or
    to the caller's hanging up (abandoned) or the queue's giving up (timeout). Of an outbound
    call, `offered_at` is when it was placed and `answered_at` when the citizen answered.
    `timing` is the format whose record gave the times and outcome (the queue_log's win over
    the CDR's).
    """

    __tablename__ = "call_records"
    __table_args__ = (
        UniqueConstraint("source", "call_id"),
        CheckConstraint(_in("outcome", CALL_OUTCOMES), name="outcome"),
        CheckConstraint(_in("direction", CALL_DIRECTIONS), name="direction"),
        CheckConstraint(f"timing IS NULL OR {_in('timing', CALL_FORMATS)}", name="timing"),
        CheckConstraint("wait_seconds IS NULL OR wait_seconds >= 0", name="wait_seconds"),
        CheckConstraint("talk_seconds IS NULL OR talk_seconds >= 0", name="talk_seconds"),
        # Period aggregation and the 24-hour windows, over inbound calls: a range scan in offered
        # order that reads the index alone (answered_at is all the window needs of a call).
        Index(None, "direction", "offered_at", "answered_at"),
        Index(None, "direction", "queue", "offered_at", "answered_at"),
        Index(None, "case_no", "direction", "offered_at"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(SOURCE))
    call_id: Mapped[str] = mapped_column(String(CALL_ID))
    queue: Mapped[str | None] = mapped_column(String(QUEUE))
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8), server_default=text("'inbound'"))
    timing: Mapped[str | None] = mapped_column(String(16))
    agent: Mapped[str | None] = mapped_column(String(AGENT))
    case_no: Mapped[str | None] = mapped_column(String(CASE_NO))
    case_linked_by: Mapped[str | None] = mapped_column(String(USER_ID))
    case_linked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    caller_hash: Mapped[str | None] = mapped_column(String(HASH))
    file_id: Mapped[int | None] = mapped_column(big_id(), ForeignKey("call_files.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

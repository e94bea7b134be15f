"""Cross-check a case's timeline (read from its history) against the SQL projection and log.

The history is the record; the `cases` row and the `case_transitions` rows are what the
workflow wrote from it. Every transition of the history must be in the log with the same
sequence number, time, action, actor, statuses and detail, and the log must hold no other rows
for the case; the projection must show the status, closure, escalation level and version the
last transition of the history left. Each difference is one `Mismatch`, worded for an auditor.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from audit.timeline_model import Timeline, TransitionFact
from db.engine import SessionFactory
from db.tables import CaseRow, TransitionRow
from models.timestamps import BEIJING

# The fields of a transition compared with its log row, in the order they are reported.
TRANSITION_FIELDS = ("at", "action", "actor", "from_status", "to_status", "detail")


class MismatchKind(StrEnum):
    MISSING = "missing"  # in the history, not in the log
    EXTRA = "extra"  # in the log, not in the history
    DIFFERS = "differs"  # in both, one field differs
    PROJECTION = "projection"  # the cases row differs from the history's last projection


class Mismatch(BaseModel):
    kind: MismatchKind
    seq: int | None = None
    field: str | None = None
    history: str | None = None
    database: str | None = None
    message: str


def crosscheck(timeline: Timeline, sessions: SessionFactory) -> list[Mismatch]:
    """Every difference between the timeline's history and the case's SQL rows."""
    case_no = timeline.case_no
    with sessions() as session:
        rows = list(
            session.scalars(
                select(TransitionRow)
                .where(TransitionRow.case_no == case_no)
                .order_by(TransitionRow.seq)
            )
        )
        projection = session.get(CaseRow, case_no)
        mismatches = _transitions(timeline.transitions, rows)
        mismatches += _projection(timeline, projection)
    return mismatches


def _transitions(facts: list[TransitionFact], rows: list[TransitionRow]) -> list[Mismatch]:
    by_seq = {row.seq: row for row in rows}
    seen: set[int] = set()
    mismatches: list[Mismatch] = []
    for fact in facts:
        seen.add(fact.seq)
        row = by_seq.get(fact.seq)
        if row is None:
            unsent = "" if fact.persisted else " (its record_transition never completed)"
            mismatches.append(
                Mismatch(
                    kind=MismatchKind.MISSING,
                    seq=fact.seq,
                    history=f"{fact.action} by {fact.actor}",
                    message=(
                        f"transition {fact.seq} ({fact.action} by {fact.actor} at "
                        f"{_show(fact.at)}) is in the history but not in the transition log"
                        f"{unsent}"
                    ),
                )
            )
            continue
        for name in TRANSITION_FIELDS:
            expected, actual = _value(getattr(fact, name)), _value(getattr(row, name))
            if expected != actual:
                mismatches.append(
                    Mismatch(
                        kind=MismatchKind.DIFFERS,
                        seq=fact.seq,
                        field=name,
                        history=_show(getattr(fact, name)),
                        database=_show(getattr(row, name)),
                        message=(
                            f"transition {fact.seq} ({fact.action}): {name} is "
                            f"{_show(getattr(fact, name))} in the history but "
                            f"{_show(getattr(row, name))} in the transition log"
                        ),
                    )
                )
    for row in rows:
        if row.seq not in seen:
            mismatches.append(
                Mismatch(
                    kind=MismatchKind.EXTRA,
                    seq=row.seq,
                    database=f"{row.action} by {row.actor}",
                    message=(
                        f"transition {row.seq} ({row.action} by {row.actor} at {_show(row.at)}) "
                        "is in the transition log but not in the history"
                    ),
                )
            )
    return mismatches


def _projection(timeline: Timeline, row: CaseRow | None) -> list[Mismatch]:
    final = timeline.final
    if final is None:
        if row is None:
            return []
        return [
            Mismatch(
                kind=MismatchKind.PROJECTION,
                message=f"the history records no transition, yet the database holds case "
                f"{timeline.case_no} (status {row.status})",
            )
        ]
    if row is None:
        return [
            Mismatch(
                kind=MismatchKind.PROJECTION,
                history=final.status,
                message=f"the database holds no projection row for case {timeline.case_no}",
            )
        ]
    expected: dict[str, Any] = {
        "status": final.status,
        "closure_reason": final.closure_reason,
        "escalation_level": final.escalation_level,
        "closed_at": final.closed_at,
        "version": final.version,
    }
    mismatches = [
        Mismatch(
            kind=MismatchKind.PROJECTION,
            field=name,
            history=_show(value),
            database=_show(getattr(row, name)),
            message=(
                f"the case's {name.replace('_', ' ')} is {_show(value)} in the history but "
                f"{_show(getattr(row, name))} in the projection"
            ),
        )
        for name, value in expected.items()
        if _value(value) != _value(getattr(row, name))
    ]
    if timeline.archived and row.archived_at is None:
        mismatches.append(
            Mismatch(
                kind=MismatchKind.PROJECTION,
                field="archived_at",
                history="archived",
                database="-",
                message="the history shows the case archived, the projection has no archived time",
            )
        )
    return mismatches


def _value(value: Any) -> Any:
    """A comparable form: aware times as UTC instants, JSON as canonical text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return value


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        moment = value.astimezone(BEIJING) if value.tzinfo else value
        return f"{moment:%Y-%m-%d %H:%M:%S.%f}" + (" (+08:00)" if value.tzinfo else "")
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)

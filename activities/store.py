"""The case workflow's persistence: projection, transition log, outbox, routing, case numbers.

Plain synchronous functions over a session factory; the Temporal activities wrap them. Every
write is idempotent, so a retried activity never doubles a row and never fails on one already
written: inserts use the dialect's `ON CONFLICT DO NOTHING`, and the projection is replaced only
by a newer version. The transition log is hash-chained per case (`db.chain`): each row
carries its predecessor's hash, read in the same transaction.

What else a new log row changes (the evaluation's case facts, the knowledge base's article uses)
is not known here: the caller passes those `TransitionHook`s, wired in one place
(`workers.composition.transition_hooks`), and the store runs them in the same transaction.
"""

from __future__ import annotations

import functools
import random
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from pydantic import TypeAdapter
from sqlalchemy import Executable, Table, bindparam, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from activities.notifications import NotificationRenderer
from db.chain import GENESIS, canonical, link, transition_content
from db.engine import SessionFactory, dialect_insert
from db.tables import (
    CaseNumberRow,
    CaseRow,
    CatalogueRow,
    DepartmentRow,
    NotificationRow,
    TransitionRow,
)
from models.actions import Action
from models.errors import CaseNotFoundError, ConflictError
from models.records import (
    CaseProjection,
    Notification,
    ProjectionDelta,
    Route,
    RouteRequest,
    Transition,
    TransitionRecord,
)
from models.timestamps import BEIJING
from rules.dispatch import CatalogueEntry, DistrictGovernment, category_prefixes, route
from rules.notice_rules import is_urgent

ALLOCATE_ATTEMPTS = 10

TransitionHook = Callable[[Session, Transition], None]
"""Runs in the transaction that wrote a new log row (never for a repeated record)."""


class TransitionOutOfOrderError(ConflictError, RuntimeError):
    """The previous transition of the case is not in the log yet: retry (the workflow writes
    each case's transitions in order, so it is on its way)."""


@dataclass(frozen=True)
class RecordOutcome:
    """Rows actually written by one `record_transition` call (all zero/False on a repeat)."""

    projection_updated: bool
    transitions_written: int
    notifications_written: int


def record_transition(
    session_factory: SessionFactory,
    record: TransitionRecord,
    renderer: NotificationRenderer,
    *,
    hooks: Sequence[TransitionHook],
) -> RecordOutcome:
    """Write one transition in one database transaction: projection, log row, notifications,
    and whatever `hooks` write for a new log row (each in order, after the row).

    The projection replaces the stored one only if its version is greater (a repeat or a late,
    older record changes nothing); a delta is applied only to the version it was taken from
    (`_apply_delta`); the log row and each notification are written once per
    (case_no, seq) and (case_no, event_key). Templates are rendered first, so a template error
    writes nothing.

    The log row is chained to the case's row seq-1, which must be there already; if it is not,
    `TransitionOutOfOrderError` (retryable) is raised and nothing is written.
    """
    case_no = record.case_no
    others = {record.transition.case_no, *(n.case_no for n in record.notifications)}
    if others != {case_no}:
        raise ValueError(f"a transition record mixes case numbers: {sorted(others | {case_no})}")
    seq = record.transition.seq
    if seq < 1:
        raise ValueError(f"transition seq starts at 1, got {seq}")
    now = datetime.now(UTC)
    notifications = [_outbox_row(n, renderer, now) for n in record.notifications]
    transition_values = record.transition.model_dump()
    content = canonical(transition_content(transition_values))
    with session_factory.begin() as session:
        statements = _statements(session.get_bind().dialect.name)
        if record.projection is not None:
            projection = session.execute(
                statements.projection, record.projection.model_dump() | _warning(record.transition)
            )
            projection_updated = projection.first() is not None
        else:
            assert record.delta is not None
            projection_updated = _apply_delta(session, statements, record.delta, record.transition)
        prev_hash = GENESIS
        if seq > 1:
            found = session.execute(
                statements.predecessor, {"case_no": case_no, "seq": seq - 1}
            ).scalar()
            if found is None:
                raise TransitionOutOfOrderError(
                    f"case {case_no}: transition {seq - 1} is not recorded yet, so {seq} "
                    "cannot be chained to it (retry)"
                )
            prev_hash = found
        transition_values["prev_hash"] = prev_hash
        transition_values["row_hash"] = link(prev_hash, content)
        transition = session.execute(statements.transition, transition_values)
        transitions_written = len(transition.all())
        if transitions_written:
            for hook in hooks:
                hook(session, record.transition)
        notifications_written = 0
        if notifications:
            outbox = session.execute(statements.notification, notifications)
            notifications_written = len(outbox.all())
    return RecordOutcome(projection_updated, transitions_written, notifications_written)


def _apply_delta(
    session: Session,
    statements: _TransitionStatements,
    delta: ProjectionDelta,
    transition: Transition,
) -> bool:
    """Apply the changed fields to the stored row if it holds `delta.base_version`.

    A row already at the delta's version or newer is a repeat (nothing written); a row behind
    the base, or none, means an earlier record is still on its way: `TransitionOutOfOrderError`.
    `warn_at` follows the full path's rule: a moved deadline replaces it, a warning sets it.
    """
    values = {name: _field_value(name, value) for name, value in delta.changes.items()}
    warned = _warning(transition)["warn_at"]
    if "next_deadline" in values or warned is not None:
        values["warn_at"] = warned
    params = values | {"key_case_no": delta.case_no, "key_base_version": delta.base_version}
    if session.execute(statements.delta, params).rowcount:  # type: ignore[attr-defined]
        return True
    stored = session.execute(statements.version, {"case_no": delta.case_no}).scalar()
    if stored is not None and stored >= delta.version:
        return False
    raise TransitionOutOfOrderError(
        f"case {delta.case_no}: projection version {delta.base_version} is not recorded yet, "
        f"so the delta to {delta.version} cannot be applied (retry)"
    )


@functools.cache
def _field_adapter(name: str) -> TypeAdapter[Any]:
    annotation: Any = CaseProjection.model_fields[name].annotation
    return TypeAdapter(annotation)


def _field_value(name: str, value: Any) -> Any:
    """A delta's JSON value as the projection field's Python type (datetimes, enums' codes)."""
    return _field_adapter(name).validate_python(value)


def mark_archived(session_factory: SessionFactory, case_no: str, at: datetime) -> None:
    """Stamp the case as archived; the first stamp stays (a repeat changes nothing)."""
    with session_factory.begin() as session:
        if session.get(CaseRow, case_no) is None:
            raise CaseNotFoundError(f"no case {case_no} to archive")
        session.execute(
            update(CaseRow)
            .where(CaseRow.case_no == case_no, CaseRow.archived_at.is_(None))
            .values(archived_at=at)
        )


def route_case(session_factory: SessionFactory, request: RouteRequest) -> Route:
    """Route a case by the catalogue and the departments in the database (`rules.dispatch`).

    Inactive departments take no cases: catalogue entries led by one are skipped and inactive
    assisting departments are dropped.
    """
    district = request.district.strip()
    with session_factory() as session:
        active = set(session.scalars(select(DepartmentRow.id).where(DepartmentRow.active)))
        rows = session.scalars(
            select(CatalogueRow).where(
                CatalogueRow.category.in_(category_prefixes(request.category)),
                or_(CatalogueRow.district.is_(None), CatalogueRow.district == district),
            )
        ).all()
        governments = session.execute(
            select(DepartmentRow.id, DepartmentRow.district).where(
                DepartmentRow.kind == "district_government",
                DepartmentRow.active,
                DepartmentRow.district == district,
            )
        ).all()
    entries = [
        CatalogueEntry(
            category=row.category,
            district=row.district,
            lead_department=row.lead_department,
            assisting_departments=tuple(d for d in row.assisting_departments if d in active),
            priority=row.priority,
        )
        for row in rows
        if row.lead_department in active
    ]
    return route(
        request.category,
        request.district,
        entries,
        [DistrictGovernment(department_id=id_, district=d) for id_, d in governments if d],
    )


def allocate_case_no(
    session_factory: SessionFactory, request_id: str, now: datetime, prefix: str = "GY"
) -> str:
    """The case number of an intake request: `GY20261128-000123`, the same for a repeated id.

    The serial counts per Beijing-time day. Concurrent callers are serialised per day on
    PostgreSQL (advisory lock); a collision that still happens (SQLite, racing repeats of one
    request id) is retried.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("allocate_case_no needs an aware datetime")
    day = now.astimezone(BEIJING).strftime("%Y%m%d")
    for attempt in range(ALLOCATE_ATTEMPTS):
        try:
            with session_factory.begin() as session:
                return _allocate(session, request_id, day, prefix, now)
        except IntegrityError:
            time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 5)))
    raise RuntimeError(f"could not allocate a case number after {ALLOCATE_ATTEMPTS} attempts")


def retrieval_code(session_factory: SessionFactory, case_no: str) -> str | None:
    """The citizen's progress-lookup code of `case_no`; None if unknown or allocated without one."""
    with session_factory() as session:
        return session.scalar(
            select(CaseNumberRow.retrieval_code).where(CaseNumberRow.case_no == case_no)
        )


@dataclass(frozen=True)
class _TransitionStatements:
    """Built once per dialect and executed with parameters: the hot path of every step."""

    projection: Executable
    delta: Executable
    version: Executable
    predecessor: Executable
    transition: Executable
    notification: Executable


@functools.cache
def _statements(dialect: str) -> _TransitionStatements:
    projection = dialect_insert(dialect, CaseRow)
    kept = {"case_no", "archived_at", "warn_at"}
    excluded = projection.excluded
    same_deadline = excluded.next_deadline.is_not_distinct_from(CaseRow.next_deadline)
    warn_at = case(
        (same_deadline, func.coalesce(excluded.warn_at, CaseRow.warn_at)), else_=excluded.warn_at
    )
    projection = projection.on_conflict_do_update(
        index_elements=["case_no"],
        set_={
            column.name: excluded[column.name]
            for column in CaseRow.__table__.columns
            if column.name not in kept
        }
        | {"warn_at": warn_at},
        where=CaseRow.version < excluded.version,
    )
    log = TransitionRow.__table__
    cases = cast(Table, CaseRow.__table__)
    return _TransitionStatements(
        projection=projection.returning(CaseRow.case_no),
        # The SET clause is the parameters' columns (one compiled form per set of columns).
        delta=update(cases).where(
            cases.c.case_no == bindparam("key_case_no"),
            cases.c.version == bindparam("key_base_version"),
        ),
        version=select(cases.c.version).where(cases.c.case_no == bindparam("case_no")),
        # Core columns, not the ORM entity's: a plain statement skips the ORM execution path.
        predecessor=select(log.c.row_hash).where(
            log.c.case_no == bindparam("case_no"), log.c.seq == bindparam("seq")
        ),
        transition=dialect_insert(dialect, TransitionRow)
        .on_conflict_do_nothing(index_elements=["case_no", "seq"])
        .returning(TransitionRow.id),
        notification=dialect_insert(dialect, NotificationRow)
        .on_conflict_do_nothing(index_elements=["case_no", "event_key"])
        .returning(NotificationRow.id),
    )


def _warning(transition: Transition) -> dict[str, Any]:
    """The projection's `warn_at`: the moment of a clock's warning milestone, which the workflow
    records (`Action.DEADLINE_WARNING`) when the escalation ladder's warning time of the clock
    falls; every other transition writes none, so the stored moment stays while the case's next
    deadline stays and is cleared when it moves (`_statements`)."""
    warned = transition.action == Action.DEADLINE_WARNING
    return {"warn_at": transition.at if warned else None}


def _outbox_row(n: Notification, renderer: NotificationRenderer, now: datetime) -> dict[str, Any]:
    subject, body = renderer.render(n)
    return dict(
        case_no=n.case_no,
        event_key=n.event_key,
        template=n.template,
        channel=n.channel,
        recipient=n.recipient,
        subject=subject,
        body=body,
        created_at=now,
        urgent=is_urgent(n.context.get("urgency")),  # an urgent case's SMS skips quiet hours
    )


def _allocate(session: Session, request_id: str, day: str, prefix: str, now: datetime) -> str:
    existing = session.scalar(
        select(CaseNumberRow.case_no).where(CaseNumberRow.request_id == request_id)
    )
    if existing is not None:
        return existing
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"case_no:{day}"))))
        existing = session.scalar(
            select(CaseNumberRow.case_no).where(CaseNumberRow.request_id == request_id)
        )
        if existing is not None:
            return existing
    last = session.scalar(select(func.max(CaseNumberRow.serial)).where(CaseNumberRow.day == day))
    serial = (last or 0) + 1
    case_no = f"{prefix}{day}-{serial:06d}"
    session.add(
        CaseNumberRow(
            request_id=request_id,
            case_no=case_no,
            day=day,
            serial=serial,
            created_at=now,
            retrieval_code=f"{secrets.randbelow(1_000_000):06d}",
        )
    )
    session.flush()
    return case_no

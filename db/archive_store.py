"""The archive of closed cases' Temporal histories in the database, once per case, hash-chained.

`store_archive` writes a case's complete history (exactly as exported, payloads encrypted) into
`case_archives` with its sha256 digest, the case's transition chain head at that moment, and its
place in the global archive chain, whose head (`audit_chain_heads` row `archive`) it updates
first in the transaction: concurrent archivers wait for each other (a row lock on PostgreSQL,
the write lock on SQLite), so the chain never forks. A case is archived exactly once: a retried
activity with the same history gets `False`, a different history `ArchiveConflictError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.chain import GENESIS, archive_hash, history_digest
from db.engine import SessionFactory, dialect_insert
from db.tables import CODE_VERSION, ArchiveRow, CaseRow, ChainHeadRow, TransitionRow
from models.errors import ConflictError

ARCHIVE_CHAIN: Final = "archive"
"""The name of the archive chain's row in `audit_chain_heads`."""


class ArchiveConflictError(ConflictError, RuntimeError):
    """The case is archived already, with a different history: the archive is written once."""


@dataclass(frozen=True)
class ArchiveEntry:
    """What the Temporal side exports at closure: the history and where it came from."""

    case_no: str
    workflow_id: str
    run_id: str
    closed_at: datetime
    code_version: str
    history_json: str
    event_count: int


@dataclass(frozen=True)
class ArchivedHistory:
    """A stored archive, as written (`history_json` is byte for byte the exported history)."""

    case_no: str
    workflow_id: str
    run_id: str
    closed_at: datetime
    archived_at: datetime
    code_version: str
    event_count: int
    history_json: str
    history_digest: str
    transitions_count: int
    transitions_head: str
    chain_seq: int
    prev_hash: str
    row_hash: str


@dataclass(frozen=True)
class ChainHead:
    """The head of a global chain: how many records it has and the last one's hash."""

    length: int
    head_hash: str
    started_at: datetime


def store_archive(
    sessions: SessionFactory, entry: ArchiveEntry, *, now: datetime | None = None
) -> bool:
    """Archive a closed case's history; True if written, False if it was already (same digest).

    In one transaction: take the archive chain head, check the case is not archived yet, read
    the case's transition chain head, insert the archive row as the chain's next record, move
    the head, and stamp `cases.archived_at` if not yet set. `now` (default: the clock) is the
    archive time. Raises `ArchiveConflictError` if the case was archived with another history.
    """
    _check(entry)
    archived_at = (now or datetime.now(UTC)).astimezone(UTC)
    digest = history_digest(entry.history_json)
    with sessions.begin() as session:
        head = take_head(session, ARCHIVE_CHAIN, archived_at)
        existing = session.execute(
            select(ArchiveRow.history_digest, ArchiveRow.archived_at).where(
                ArchiveRow.case_no == entry.case_no
            )
        ).first()
        if existing is not None:
            if existing.history_digest != digest:
                raise ArchiveConflictError(
                    f"case {entry.case_no} is archived already with another history "
                    f"(digest {existing.history_digest[:12]}…, this one {digest[:12]}…)"
                )
            _stamp_case(session, entry.case_no, existing.archived_at)
            return False
        last = session.execute(
            select(TransitionRow.seq, TransitionRow.row_hash)
            .where(TransitionRow.case_no == entry.case_no)
            .order_by(TransitionRow.seq.desc())
            .limit(1)
        ).first()
        values: dict[str, Any] = dict(
            case_no=entry.case_no,
            workflow_id=entry.workflow_id,
            run_id=entry.run_id,
            closed_at=entry.closed_at.astimezone(UTC),
            archived_at=archived_at,
            code_version=entry.code_version,
            event_count=entry.event_count,
            history_digest=digest,
            transitions_count=last.seq if last is not None else 0,
            transitions_head=last.row_hash if last is not None else GENESIS,
        )
        chain_seq = head.length + 1
        row_hash = archive_hash(head.head_hash, values)
        session.add(
            ArchiveRow(
                **values,
                history_json=entry.history_json,
                chain_seq=chain_seq,
                prev_hash=head.head_hash,
                row_hash=row_hash,
            )
        )
        session.flush()
        session.execute(
            update(ChainHeadRow)
            .where(ChainHeadRow.name == ARCHIVE_CHAIN)
            .values(length=chain_seq, head_hash=row_hash)
        )
        _stamp_case(session, entry.case_no, archived_at)
    return True


def load_archive(sessions: SessionFactory, case_no: str) -> ArchivedHistory | None:
    """The archive of `case_no`, or None if it was not archived."""
    with sessions() as session:
        row = session.scalars(select(ArchiveRow).where(ArchiveRow.case_no == case_no)).first()
        return None if row is None else archived_history(row)


def list_archived(
    sessions: SessionFactory,
    since: datetime | None,
    until: datetime | None,
    limit: int | None = None,
) -> list[str]:
    """Case numbers of the archives closed in [since, until), oldest closure first."""
    query = select(ArchiveRow.case_no).order_by(ArchiveRow.closed_at, ArchiveRow.case_no)
    if since is not None:
        query = query.where(ArchiveRow.closed_at >= since)
    if until is not None:
        query = query.where(ArchiveRow.closed_at < until)
    if limit is not None:
        query = query.limit(limit)
    with sessions() as session:
        return list(session.scalars(query))


def load_head(session: Session, name: str = ARCHIVE_CHAIN) -> ChainHead | None:
    """The head of the named global chain as stored, or None if it has none yet."""
    row = session.get(ChainHeadRow, name)
    return None if row is None else ChainHead(row.length, row.head_hash, row.started_at)


def take_head(session: Session, name: str, now: datetime) -> ChainHead:
    """Lock the head of chain `name` for this transaction (creating it if absent) and read it.

    The UPDATE comes first: it takes PostgreSQL's row lock and SQLite's write lock, so the
    writers of a chain run one after the other.
    """
    lock = (
        update(ChainHeadRow)
        .where(ChainHeadRow.name == name)
        .values(length=ChainHeadRow.length)
        .returning(ChainHeadRow.length, ChainHeadRow.head_hash, ChainHeadRow.started_at)
    )
    row = session.execute(lock).first()
    if row is None:
        session.execute(
            dialect_insert(session.get_bind().dialect.name, ChainHeadRow)
            .values(name=name, length=0, head_hash=GENESIS, started_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        row = session.execute(lock).one()
    return ChainHead(row.length, row.head_hash, row.started_at)


def archived_history(row: ArchiveRow) -> ArchivedHistory:
    return ArchivedHistory(
        case_no=row.case_no,
        workflow_id=row.workflow_id,
        run_id=row.run_id,
        closed_at=row.closed_at,
        archived_at=row.archived_at,
        code_version=row.code_version,
        event_count=row.event_count,
        history_json=row.history_json,
        history_digest=row.history_digest,
        transitions_count=row.transitions_count,
        transitions_head=row.transitions_head,
        chain_seq=row.chain_seq,
        prev_hash=row.prev_hash,
        row_hash=row.row_hash,
    )


def _stamp_case(session: Session, case_no: str, at: datetime) -> None:
    session.execute(
        update(CaseRow)
        .where(CaseRow.case_no == case_no, CaseRow.archived_at.is_(None))
        .values(archived_at=at)
    )


def _check(entry: ArchiveEntry) -> None:
    problems: Sequence[str] = [
        problem
        for problem, bad in (
            ("closed_at must be an aware datetime", entry.closed_at.utcoffset() is None),
            (f"code_version longer than {CODE_VERSION}", len(entry.code_version) > CODE_VERSION),
            ("event_count must not be negative", entry.event_count < 0),
            ("case_no is empty", not entry.case_no),
        )
        if bad
    ]
    if problems:
        raise ValueError(f"archive of case {entry.case_no!r}: " + "; ".join(problems))

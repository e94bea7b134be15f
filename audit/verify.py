"""Verify the hash chains: the transition log of every case and the archive of all cases.

Each finding names the record and says what is wrong, in one of four words:

- **altered**: a record's content no longer matches its hash (for an archive, also: the history
  no longer matches its digest);
- **removed**: a gap in a case's seq or in the archive chain positions; a record following a
  hash no remaining record has; a case's log ending before what its archive recorded
  ("transitions removed after archiving"); a case marked archived without its archive
  ("archive removed"); an archive chain shorter than its head records;
- **reordered**: a record intact in itself that follows another record of its chain than the
  one before it (it says which it was written after);
- **added**: records the chain's own bookkeeping does not account for (transitions written
  after the case was archived, archives beyond the chain head).

`verify_all` streams through both tables in keyset batches, holding one case's transitions and
one batch of archives at a time, so it suits logs of any size; `verify_case` checks one case,
its archive and that archive's links to its neighbours.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, TypeAlias

from sqlalchemy import Row, exists, literal, select, tuple_
from sqlalchemy.orm import Session

from db.archive_store import ARCHIVE_CHAIN, ChainHead, load_head
from db.chain import GENESIS, archive_hash, history_digest, transition_hash
from db.engine import SessionFactory
from db.tables import ArchiveRow, CaseRow, TransitionRow

_Row: TypeAlias = "Row[*tuple[Any, ...]]"

TRANSITION_BATCH: Final = 5000
ARCHIVE_BATCH: Final = 100
"""Archives are read with their histories, so in smaller batches."""


class Kind(StrEnum):
    ALTERED = "altered"
    REMOVED = "removed"
    REORDERED = "reordered"
    ADDED = "added"


class Chain(StrEnum):
    TRANSITIONS = "transitions"
    ARCHIVE = "archive"


@dataclass(frozen=True)
class Finding:
    """One thing wrong, with the record it concerns; `str()` is the line shown to auditors."""

    kind: Kind
    chain: Chain
    message: str
    case_no: str | None = None
    seq: int | None = None
    chain_seq: int | None = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "chain": str(self.chain),
            "case_no": self.case_no,
            "seq": self.seq,
            "chain_seq": self.chain_seq,
            "message": str(self),
        }


@dataclass
class Report:
    """What was verified and what was found."""

    transitions: int = 0
    cases: int = 0
    archives: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        verified = (
            f"verified: {self.transitions} transitions of {self.cases} cases, "
            f"{self.archives} archives"
        )
        if self.intact:
            return f"{verified}: intact"
        return f"{verified}: {len(self.findings)} findings"

    def as_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "transitions": self.transitions,
            "cases": self.cases,
            "archives": self.archives,
            "findings": [finding.as_dict() for finding in self.findings],
        }


_TRANSITION_COLUMNS = (
    TransitionRow.case_no,
    TransitionRow.seq,
    TransitionRow.at,
    TransitionRow.action,
    TransitionRow.actor,
    TransitionRow.from_status,
    TransitionRow.to_status,
    TransitionRow.detail,
    TransitionRow.prev_hash,
    TransitionRow.row_hash,
)
_ARCHIVE_COLUMNS = (
    ArchiveRow.case_no,
    ArchiveRow.workflow_id,
    ArchiveRow.run_id,
    ArchiveRow.closed_at,
    ArchiveRow.archived_at,
    ArchiveRow.code_version,
    ArchiveRow.event_count,
    ArchiveRow.history_digest,
    ArchiveRow.transitions_count,
    ArchiveRow.transitions_head,
    ArchiveRow.chain_seq,
    ArchiveRow.prev_hash,
    ArchiveRow.row_hash,
)


def verify_case(sessions: SessionFactory, case_no: str) -> list[Finding]:
    """Everything wrong with one case: its transition chain, its archive and their link."""
    return check_case(sessions, case_no).findings


def check_case(sessions: SessionFactory, case_no: str) -> Report:
    """`verify_case` with the counts of what was verified."""
    report = Report()
    with sessions() as session:
        rows = session.execute(
            select(*_TRANSITION_COLUMNS)
            .where(TransitionRow.case_no == case_no)
            .order_by(TransitionRow.seq)
        ).all()
        if rows:
            report.cases = 1
            report.transitions = len(rows)
            report.findings += _check_transitions(case_no, rows)
        archive = session.execute(
            select(*_ARCHIVE_COLUMNS, ArchiveRow.history_json).where(ArchiveRow.case_no == case_no)
        ).first()
        if archive is None:
            report.findings += _archives_missing(session, case_no)
            return report
        report.archives = 1
        report.findings += _check_archive_record(archive)
        position = archive.chain_seq
        expected_prev: str | None = GENESIS
        if position > 1:
            expected_prev = session.scalar(
                select(ArchiveRow.row_hash).where(ArchiveRow.chain_seq == position - 1)
            )
        if expected_prev is None:
            report.findings.append(
                _archive_finding(
                    Kind.REMOVED,
                    f"archive chain position {position - 1}, before the archive of case "
                    f"{case_no}, is missing",
                    None,
                    position - 1,
                )
            )
        elif archive.prev_hash != expected_prev:
            report.findings += _misplaced_archive(session, archive, expected_prev)
        has_successor = session.scalar(select(exists().where(ArchiveRow.chain_seq > position)))
        if not has_successor:
            head = load_head(session, ARCHIVE_CHAIN)
            report.findings += _check_head(head, position, archive.row_hash, archive.case_no)
        report.findings += _check_archive_log_link(archive, _chain_ends(rows))
    return report


def verify_all(sessions: SessionFactory) -> Report:
    """Verify every case's transition chain, the archive chain and the links between them."""
    report = Report()
    with sessions() as session:
        for case_no, rows in _cases(session):
            report.cases += 1
            report.transitions += len(rows)
            report.findings += _check_transitions(case_no, rows)
        _verify_archive_chain(session, report)
        head = load_head(session, ARCHIVE_CHAIN)
        report.findings += _unarchived(session, head)
    return report


# ---- transitions ------------------------------------------------------------------------------


def _cases(session: Session) -> Iterator[tuple[str, list[_Row]]]:
    """Every case's transitions in seq order, read in keyset batches over (case_no, seq)."""
    after: tuple[str, int] | None = None
    case_no: str | None = None
    rows: list[_Row] = []
    while True:
        query = (
            select(*_TRANSITION_COLUMNS)
            .order_by(TransitionRow.case_no, TransitionRow.seq)
            .limit(TRANSITION_BATCH)
        )
        if after is not None:
            query = query.where(
                tuple_(TransitionRow.case_no, TransitionRow.seq)
                > tuple_(literal(after[0]), literal(after[1]))
            )
        batch = session.execute(query).all()
        for row in batch:
            if row.case_no != case_no:
                if case_no is not None:
                    yield case_no, rows
                case_no, rows = row.case_no, []
            rows.append(row)
        if len(batch) < TRANSITION_BATCH:
            break
        after = (batch[-1].case_no, batch[-1].seq)
    if case_no is not None:
        yield case_no, rows


def _check_transitions(case_no: str, rows: Sequence[_Row]) -> list[Finding]:
    """The findings of one case's transitions, `rows` in seq order."""
    findings: list[Finding] = []
    seq_of = {row.row_hash: row.seq for row in rows}
    expected_seq = 1
    expected_prev = GENESIS
    for row in rows:
        where = f"case {case_no}, transition seq {row.seq} ({row.action})"
        if transition_hash(row.prev_hash, row._mapping) != row.row_hash:
            findings.append(
                _transition_finding(
                    Kind.ALTERED, f"{where}: its content no longer matches its hash", row
                )
            )
        gap = row.seq > expected_seq
        if gap:
            missing = _span(expected_seq, row.seq - 1)
            after = f"seq {expected_seq - 1}" if expected_seq > 1 else "its start"
            findings.append(
                _transition_finding(
                    Kind.REMOVED,
                    f"case {case_no}, transition {missing} missing "
                    f"(the log jumps from {after} to seq {row.seq})",
                    row,
                    seq=expected_seq,
                )
            )
        if row.prev_hash != expected_prev:
            if row.prev_hash == GENESIS:
                findings.append(
                    _transition_finding(
                        Kind.REORDERED, f"{where}: was written as the case's first record", row
                    )
                )
            elif row.prev_hash in seq_of:
                findings.append(
                    _transition_finding(
                        Kind.REORDERED,
                        f"{where}: was written after the record now at seq "
                        f"{seq_of[row.prev_hash]}, not after seq {row.seq - 1}",
                        row,
                    )
                )
            elif not gap:
                findings.append(
                    _transition_finding(
                        Kind.REMOVED,
                        f"{where}: follows a record no longer in the log (hash "
                        f"{row.prev_hash[:12]}…): the record before it was removed or replaced",
                        row,
                    )
                )
        expected_seq = row.seq + 1
        expected_prev = row.row_hash
    return findings


def _transition_finding(kind: Kind, message: str, row: _Row, seq: int | None = None) -> Finding:
    return Finding(
        kind, Chain.TRANSITIONS, message, case_no=row.case_no, seq=row.seq if seq is None else seq
    )


def _span(first: int, last: int) -> str:
    return f"seq {first} is" if first == last else f"seq {first}-{last} are"


def _chain_ends(rows: Sequence[_Row]) -> dict[int, str]:
    """seq → row_hash of a case's transitions."""
    return {row.seq: row.row_hash for row in rows}


# ---- archive ----------------------------------------------------------------------------------


def _verify_archive_chain(session: Session, report: Report) -> None:
    """The archive chain in position order, a batch at a time, then its head."""
    expected_position = 1
    expected_prev = GENESIS
    last: _Row | None = None
    while True:
        query = select(*_ARCHIVE_COLUMNS, ArchiveRow.history_json)
        if last is not None:
            query = query.where(ArchiveRow.chain_seq > last.chain_seq)
        batch = session.execute(query.order_by(ArchiveRow.chain_seq).limit(ARCHIVE_BATCH)).all()
        if not batch:
            break
        logs = _logs_of(session, [row.case_no for row in batch])
        for row in batch:
            report.archives += 1
            report.findings += _check_archive_record(row)
            gap = row.chain_seq > expected_position
            if gap:
                report.findings.append(
                    _archive_finding(
                        Kind.REMOVED,
                        f"archive chain {_positions(expected_position, row.chain_seq - 1)} "
                        f"missing (the chain jumps from position {expected_position - 1} "
                        f"to {row.chain_seq}, the archive of case {row.case_no})",
                        None,
                        expected_position,
                    )
                )
            if row.prev_hash != expected_prev and not (
                gap and _position_of(session, row.prev_hash) is None
            ):
                report.findings += _misplaced_archive(session, row, expected_prev)
            report.findings += _check_archive_log_link(row, logs.get(row.case_no, {}))
            expected_position = row.chain_seq + 1
            expected_prev = row.row_hash
            last = row
        if len(batch) < ARCHIVE_BATCH:
            break
    head = load_head(session, ARCHIVE_CHAIN)
    if last is None:
        report.findings += _check_head(head, 0, GENESIS, None)
    else:
        report.findings += _check_head(head, last.chain_seq, last.row_hash, last.case_no)


def _check_archive_record(row: _Row) -> list[Finding]:
    findings: list[Finding] = []
    where = f"archive of case {row.case_no} (chain position {row.chain_seq})"
    if history_digest(row.history_json) != row.history_digest:
        findings.append(
            _archive_finding(
                Kind.ALTERED,
                f"{where}: its history no longer matches its digest",
                row.case_no,
                row.chain_seq,
            )
        )
    if archive_hash(row.prev_hash, row._mapping) != row.row_hash:
        findings.append(
            _archive_finding(
                Kind.ALTERED,
                f"{where}: its record no longer matches its hash",
                row.case_no,
                row.chain_seq,
            )
        )
    return findings


def _misplaced_archive(session: Session, row: _Row, expected_prev: str) -> list[Finding]:
    """The finding for an archive whose prev_hash is not its predecessor's hash."""
    where = f"archive of case {row.case_no} (chain position {row.chain_seq})"
    if row.prev_hash == GENESIS:
        message = f"{where}: was written as the chain's first archive"
        return [_archive_finding(Kind.REORDERED, message, row.case_no, row.chain_seq)]
    found = _position_of(session, row.prev_hash)
    if found is not None:
        position, case_no = found
        message = (
            f"{where}: was written after chain position {position} (the archive of case "
            f"{case_no}), not after position {row.chain_seq - 1}"
        )
        return [_archive_finding(Kind.REORDERED, message, row.case_no, row.chain_seq)]
    message = (
        f"{where}: follows an archive no longer in the chain (hash {row.prev_hash[:12]}…): "
        "the archive before it was removed or replaced"
    )
    return [_archive_finding(Kind.REMOVED, message, row.case_no, row.chain_seq)]


def _position_of(session: Session, row_hash: str) -> tuple[int, str] | None:
    """(chain position, case) of the archive with `row_hash`; read only when a link breaks."""
    found = session.execute(
        select(ArchiveRow.chain_seq, ArchiveRow.case_no).where(ArchiveRow.row_hash == row_hash)
    ).first()
    return None if found is None else (found.chain_seq, found.case_no)


def _check_head(
    head: ChainHead | None, length: int, last_hash: str, last_case: str | None
) -> list[Finding]:
    """The chain's last record against the head its writers maintain."""
    if head is None:
        if length == 0:
            return []
        message = "the archive chain head is missing: the chain cannot be checked for removals"
        return [_archive_finding(Kind.REMOVED, message, None, None)]
    if head.length > length:
        message = (
            f"archive chain {_positions(length + 1, head.length)} missing: the chain head "
            f"records {head.length} archives, the chain ends at position {length}"
        )
        return [_archive_finding(Kind.REMOVED, message, None, length + 1)]
    if head.length < length:
        message = (
            f"archive chain {_positions(head.length + 1, length)} not recorded in the chain "
            f"head ({head.length} archives): written around the archive store"
        )
        return [_archive_finding(Kind.ADDED, message, None, head.length + 1)]
    if head.head_hash != last_hash:
        message = (
            f"the archive at chain position {length} (case {last_case}) is not the one the "
            "chain head records: the last archive was removed or replaced"
        )
        return [_archive_finding(Kind.REMOVED, message, last_case, length)]
    return []


def _check_archive_log_link(archive: _Row, log: Mapping[int, str]) -> list[Finding]:
    """The case's transition log against its head and length recorded at archive time."""
    case_no, count = archive.case_no, archive.transitions_count
    last_seq = max(log, default=0)
    if last_seq < count:
        message = (
            f"transitions removed after archiving: case {case_no} was archived with "
            f"{count} transitions, its log now ends at seq {last_seq}"
        )
        return [Finding(Kind.REMOVED, Chain.TRANSITIONS, message, case_no, last_seq + 1)]
    findings: list[Finding] = []
    head = log.get(count, GENESIS) if count else GENESIS
    if head != archive.transitions_head:
        message = (
            f"case {case_no}, transition seq {count}: not the last transition the archive "
            "recorded (the transitions were replaced after archiving)"
        )
        findings.append(Finding(Kind.ALTERED, Chain.TRANSITIONS, message, case_no, count))
    if last_seq > count:
        message = (
            f"case {case_no}, transition {_span(count + 1, last_seq)} written after the case "
            f"was archived with {count} transitions"
        )
        findings.append(Finding(Kind.ADDED, Chain.TRANSITIONS, message, case_no, count + 1))
    return findings


def _logs_of(session: Session, case_nos: Sequence[str]) -> dict[str, dict[int, str]]:
    """case → seq → row_hash of the transitions of a batch of cases."""
    logs: dict[str, dict[int, str]] = {case_no: {} for case_no in case_nos}
    rows = session.execute(
        select(TransitionRow.case_no, TransitionRow.seq, TransitionRow.row_hash).where(
            TransitionRow.case_no.in_(case_nos)
        )
    )
    for case_no, seq, row_hash in rows:
        logs[case_no][seq] = row_hash
    return logs


def _archives_missing(session: Session, case_no: str) -> list[Finding]:
    """A finding if `case_no` is marked archived since the archive began but has no archive."""
    archived_at = session.scalar(select(CaseRow.archived_at).where(CaseRow.case_no == case_no))
    head = load_head(session, ARCHIVE_CHAIN)
    if archived_at is None or head is None or archived_at < head.started_at:
        return []
    return [_archive_removed(case_no, archived_at)]


def _unarchived(session: Session, head: ChainHead | None) -> list[Finding]:
    """Cases marked archived since the archive began that have no archive."""
    if head is None:
        return []
    rows = session.execute(
        select(CaseRow.case_no, CaseRow.archived_at)
        .where(
            CaseRow.archived_at >= head.started_at,
            ~exists().where(ArchiveRow.case_no == CaseRow.case_no),
        )
        .order_by(CaseRow.case_no)
    )
    return [_archive_removed(case_no, archived_at) for case_no, archived_at in rows if archived_at]


def _archive_removed(case_no: str, archived_at: datetime) -> Finding:
    message = (
        f"archive removed: case {case_no} was archived at {archived_at.isoformat()} "
        "but has no archive"
    )
    return Finding(Kind.REMOVED, Chain.ARCHIVE, message, case_no)


def _archive_finding(
    kind: Kind, message: str, case_no: str | None, chain_seq: int | None
) -> Finding:
    return Finding(kind, Chain.ARCHIVE, message, case_no=case_no, chain_seq=chain_seq)


def _positions(first: int, last: int) -> str:
    return f"position {first} is" if first == last else f"positions {first}-{last} are"

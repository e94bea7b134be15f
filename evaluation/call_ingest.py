"""Ingest of the telephony system's call records, and links from calls to cases.

`ingest_calls` reads a file (`evaluation.telephony`) and stores one row per call and source
system, with the call's direction decided by the centre's rules (`rules.telephony`, overridden
by the file in HOTLINE_TELEPHONY_RULES). A PBX's queue_log and CDR share call ids: ingested
under the same source, in either order, the two records of a call make one row. Malformed
lines are reported by number and reason and the good lines are kept; only a file of which no
line could be read is refused. Re-ingesting is harmless: a file whose sha256
was ingested before is reported "already ingested" and nothing is written; a file that overlaps
an earlier one (a queue_log is appended to) completes the calls it shares with it rather than
doubling them (`telephony.merge`). Every file ingested is recorded with who ingested it.

Case numbers in a file (the generic CSV's case_no, a CDR's userfield or accountcode) link the
call to the case when the case exists; an unknown one is a warning and the call is kept
unlinked. `link_call` links a call by hand and refuses an unknown call or case.

The caller's number is personal data: it is never stored in clear nor logged. With a key
(`caller_key`, from HOTLINE_CALLER_HASH_KEY) its HMAC-SHA256 is kept for repeat-caller counts;
without one, nothing of it is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.call_tables import CallFileRow, CallRow
from db.engine import SessionFactory
from db.tables import CaseRow
from evaluation.telephony import (
    DEFAULT_TIMEZONE,
    CallFacts,
    CallFormat,
    LineError,
    Outcome,
    finished,
    merge,
    parse,
)
from models.errors import RefusedError
from models.intake import CASE_NO_PATTERN
from rules.telephony import Direction, TelephonyRules, load_rules

log = logging.getLogger(__name__)

"""A secret of the deployment under which callers' numbers are hashed (unset: not kept)."""
DEFAULT_SOURCES: dict[CallFormat, str] = {
    CallFormat.QUEUE_LOG: "asterisk",
    CallFormat.CDR: "asterisk",
    CallFormat.CSV: "csv",
}
"""queue_log and Master.csv of one PBX share call ids (the caller channel's uniqueid, the CDR's
linkedid): one source, so the two records of a call make one row."""
CHUNK = 500
MAX_NAME = 255
MAX_BY = 64
_SOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_CASE_NO = re.compile(CASE_NO_PATTERN)


class CallLinkError(RefusedError, ValueError):
    """A link refused: the message says why."""


class IngestReport(BaseModel):
    """What an ingest did. `errors` lists every line not read; the others were kept."""

    name: str = Field(description="the file's name as given")
    sha256: str
    format: CallFormat
    source: str
    already_ingested: bool = Field(description="the same file was ingested before: nothing done")
    refused: bool = Field(description="no line of the file could be read: nothing written")
    lines: int = Field(description="non-blank lines of the file")
    calls: int = Field(description="distinct calls the file speaks of")
    outbound: int = Field(
        default=0,
        description="of those, outbound calls (callbacks): never in the call indicators",
    )
    inserted: int
    updated: int = Field(description="calls already stored that the file completed or changed")
    incomplete: int = Field(
        description="calls not stored: the file says when they ended but not when they were "
        "offered (their first events are in a file not ingested yet)"
    )
    linked: int = Field(description="calls linked to a case by the file")
    errors: list[LineError]
    warnings: list[LineError] = Field(description="lines read, with something not taken")
    ingested_at: datetime | None = None
    ingested_by: str | None = None

    def summary(self) -> str:
        if self.already_ingested:
            return f"already ingested: {self.name} ({self.sha256[:12]}); nothing written"
        if self.refused:
            return f"refused: no line of {self.name} could be read; nothing written"
        return (
            f"ingested {self.name} ({self.format.value}, source {self.source}): "
            f"{self.lines} line(s), {self.calls} call(s) ({self.outbound} outbound): "
            f"{self.inserted} new, "
            f"{self.updated} updated, {self.incomplete} incomplete, {self.linked} linked to a "
            f"case; {len(self.errors)} bad line(s)"
        )


class CallLink(BaseModel):
    source: str
    call_id: str
    case_no: str
    previous_case_no: str | None
    linked_by: str
    linked_at: datetime


def caller_hash(number: str, key: bytes) -> str:
    """The keyed hash of a caller's number (its digits only, so formatting does not matter)."""
    digits = re.sub(r"\D", "", number)
    return hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()


def check_source(source: str) -> str:
    if not _SOURCE.match(source):
        raise ValueError(
            f"source {source[:40]!r}: 1 to 32 letters, digits, '.', '_' or '-' (e.g. asterisk)"
        )
    return source


def check_by(by: str) -> str:
    if not by.strip() or len(by) > MAX_BY:
        raise ValueError(f"by: a user id of 1 to {MAX_BY} characters")
    return by


def ingest_calls(
    sessions: SessionFactory,
    data: bytes,
    format: CallFormat,
    *,
    name: str,
    by: str,
    source: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    caller_key: bytes | None = None,
    now: datetime | None = None,
    rules: TelephonyRules | None = None,
    rules_file: Path | None = None,
) -> IngestReport:
    """Ingest a file of call records (see the module's docstring). `rules` decide each call's
    direction (default: those of `rules_file`, the settings' HOTLINE_TELEPHONY_RULES, else the
    shipped ones; see `rules.telephony.load_rules`). `caller_key` is HOTLINE_CALLER_HASH_KEY.

    ValueError for a bad source, user or time zone, `TelephonyRulesError` (a ValueError) for
    unusable direction rules; nothing is written then.
    """
    chosen = check_source(source or DEFAULT_SOURCES[format])
    check_by(by)
    direction_rules = rules if rules is not None else load_rules(rules_file)
    name = name[:MAX_NAME]
    digest = hashlib.sha256(data).hexdigest()
    parsed = parse(data, format, timezone, direction_rules)
    report = IngestReport(
        name=name,
        sha256=digest,
        format=format,
        source=chosen,
        already_ingested=False,
        refused=not parsed.readable,
        lines=parsed.lines,
        calls=len(parsed.calls),
        outbound=parsed.outbound,
        inserted=0,
        updated=0,
        incomplete=0,
        linked=0,
        errors=parsed.errors,
        warnings=[],
    )
    with sessions() as session:
        if _ingested(session, digest):
            return report.model_copy(update={"already_ingested": True, "refused": False})
    if report.refused:
        log.warning("call file %s (%s) refused: no line could be read", name, format.value)
        return report
    at = now or datetime.now(UTC)
    for attempt in (1, 2):
        try:
            with sessions.begin() as session:
                if _ingested(session, digest):
                    return report.model_copy(update={"already_ingested": True})
                done = _store(session, report, list(parsed.calls.values()), by, at, caller_key)
            break
        except IntegrityError:
            # A concurrent ingest of an overlapping file stored some call first: read again.
            if attempt == 2:
                raise
    log.info(
        "ingested call file %s (%s, source %s) by %s: %d call(s) (%d outbound), %d new, "
        "%d updated, %d bad line(s)",
        name,
        format.value,
        chosen,
        by,
        done.calls,
        done.outbound,
        done.inserted,
        done.updated,
        len(done.errors),
    )
    return done


def _ingested(session: Session, digest: str) -> bool:
    return session.scalar(select(CallFileRow.id).where(CallFileRow.sha256 == digest)) is not None


def _store(
    session: Session,
    report: IngestReport,
    calls: Sequence[CallFacts],
    by: str,
    at: datetime,
    caller_key: bytes | None,
) -> IngestReport:
    known_cases = _known_cases(session, {c.case_no for c in calls if c.case_no})
    warnings: list[LineError] = []
    file_row = CallFileRow(
        sha256=report.sha256,
        name=report.name,
        source=report.source,
        format=report.format.value,
        lines=report.lines,
        calls=report.calls,
        errors=len(report.errors),
        error_lines=[error.model_dump() for error in report.errors],
        ingested_at=at,
        ingested_by=by,
    )
    session.add(file_row)
    session.flush()
    inserted = updated = incomplete = linked = 0
    for start in range(0, len(calls), CHUNK):
        chunk = calls[start : start + CHUNK]
        stored = {
            row.call_id: row
            for row in session.scalars(
                select(CallRow).where(
                    CallRow.source == report.source,
                    CallRow.call_id.in_([facts.call_id for facts in chunk]),
                )
            )
        }
        new_rows: list[dict[str, Any]] = []
        for facts in chunk:
            if facts.case_no is not None and facts.case_no not in known_cases:
                warnings.append(
                    LineError(
                        line=facts.case_line,
                        reason=f"call {facts.call_id}: no case {facts.case_no}; not linked",
                    )
                )
                facts = replace(facts, case_no=None)
            row = stored.get(facts.call_id)
            if row is None:
                if facts.offered_at is None:
                    incomplete += 1
                    continue
                values = _values(finished(facts))
                values.update(
                    source=report.source,
                    call_id=facts.call_id,
                    caller_hash=_hash(facts.caller, caller_key),
                    file_id=file_row.id,
                    updated_at=at,
                )
                if values["case_no"] is not None:
                    values.update(case_linked_by=by, case_linked_at=at)
                    linked += 1
                new_rows.append(values)
                continue
            before = _values(_facts(row))
            after = _values(finished(merge(_facts(row), facts)))
            if after["case_no"] != before["case_no"]:
                row.case_linked_by, row.case_linked_at = by, at
                linked += 1
            if row.caller_hash is None and facts.caller and caller_key is not None:
                row.caller_hash = _hash(facts.caller, caller_key)
            if after != before:
                for key, value in after.items():
                    setattr(row, key, value)
                row.file_id, row.updated_at = file_row.id, at
                updated += 1
        if new_rows:
            session.execute(insert(CallRow), new_rows)
            inserted += len(new_rows)
    return report.model_copy(
        update={
            "inserted": inserted,
            "updated": updated,
            "incomplete": incomplete,
            "linked": linked,
            "warnings": warnings,
            "ingested_at": at,
            "ingested_by": by,
        }
    )


def _known_cases(session: Session, numbers: Iterable[str]) -> set[str]:
    wanted = sorted(numbers)
    known: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        known.update(session.scalars(select(CaseRow.case_no).where(CaseRow.case_no.in_(chunk))))
    return known


def _hash(caller: str | None, key: bytes | None) -> str | None:
    return caller_hash(caller, key) if caller and key is not None else None


def _values(facts: CallFacts) -> dict[str, Any]:
    return {
        "queue": facts.queue,
        "offered_at": facts.offered_at,
        "answered_at": facts.answered_at,
        "ended_at": facts.ended_at,
        "wait_seconds": facts.wait_seconds,
        "talk_seconds": facts.talk_seconds,
        "outcome": (facts.outcome or Outcome.OTHER).value,
        "agent": facts.agent,
        "case_no": facts.case_no,
        "direction": (facts.direction or Direction.INBOUND).value,
        "timing": facts.timing.value if facts.timing is not None else None,
    }


def _facts(row: CallRow) -> CallFacts:
    """What a stored row says of its call, to merge a new record into."""
    timing = CallFormat(row.timing) if row.timing is not None else None
    outcome: Outcome | None = Outcome(row.outcome)
    if (
        timing is CallFormat.QUEUE_LOG
        and outcome is Outcome.OTHER
        and row.answered_at is None
        and row.ended_at is None
    ):
        outcome = None  # still queued when its queue_log file ended: no outcome yet
    return CallFacts(
        call_id=row.call_id,
        queue=row.queue,
        offered_at=row.offered_at,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        wait_seconds=row.wait_seconds,
        talk_seconds=row.talk_seconds,
        outcome=outcome,
        agent=row.agent,
        case_no=row.case_no,
        direction=Direction(row.direction),
        timing=timing,
    )


def link_call(
    sessions: SessionFactory,
    call_id: str,
    case_no: str,
    *,
    by: str,
    source: str | None = None,
    now: datetime | None = None,
) -> CallLink:
    """Link a call to a case (replacing any earlier link). CallLinkError for a malformed case
    number, an unknown case or call, or a call id of several sources without `source`."""
    check_by(by)
    if not _CASE_NO.match(case_no):
        raise CallLinkError(f"{case_no[:40]!r} is not a case number (like GY20261128-000123)")
    at = now or datetime.now(UTC)
    with sessions.begin() as session:
        if session.get(CaseRow, case_no) is None:
            raise CallLinkError(f"no case {case_no}: the call was not linked")
        query = select(CallRow).where(CallRow.call_id == call_id)
        if source is not None:
            query = query.where(CallRow.source == source)
        rows = list(session.scalars(query.limit(10)))
        if not rows:
            where = f" from source {source}" if source is not None else ""
            raise CallLinkError(f"no call {call_id[:64]!r}{where}: ingest its records first")
        if len(rows) > 1:
            sources = ", ".join(sorted(row.source for row in rows))
            raise CallLinkError(
                f"call {call_id!r} is known from several sources ({sources}): name one"
            )
        row = rows[0]
        previous = row.case_no
        row.case_no, row.case_linked_by, row.case_linked_at = case_no, by, at
        row.updated_at = at
        link = CallLink(
            source=row.source,
            call_id=row.call_id,
            case_no=case_no,
            previous_case_no=previous,
            linked_by=by,
            linked_at=at,
        )
    log.info("call %s (source %s) linked to case %s by %s", call_id, link.source, case_no, by)
    return link

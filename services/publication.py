"""The centre's public wording of a case (`case_publications`): set, replace and clear it.

Used by `PUT/DELETE /cases/{case_no}/publication` and `hotline case publish`. A wording is
refused on a case `rules.publication` does not publish (it would never be shown), and when it
breaks `rules.publication.public_text_problems` or holds forbidden wording of the service
phrases. Who set or cleared it is logged by user id, never with the text or the caller's data.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import delete, select

from db.engine import SessionFactory
from db.tables import CasePublicationRow, CaseRow
from models.errors import NotFoundError, RefusedError
from rules.publication import PublicationFacts, TextProblem, public_text_problems, refusals
from services.phrases import check_wording

logger = logging.getLogger(__name__)


class Publication(BaseModel):
    """A case's public wording as stored."""

    case_no: str
    public_text: str
    marked_by: str
    marked_at: datetime


class UnknownCaseError(NotFoundError, LookupError):
    """No case with that number."""


class NotPublishableError(RefusedError, ValueError):
    """The policy does not publish the case, so a public wording would never be shown."""

    def __init__(self, case_no: str, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(f"case {case_no} is not published on Open311: " + "; ".join(reasons))


class PublicTextError(RefusedError, ValueError):
    """The wording breaks the rules of a public text."""

    def __init__(self, problems: list[TextProblem]) -> None:
        self.problems = problems
        super().__init__("public_text: " + "; ".join(p.message for p in problems))


def mark_public(
    sessions: SessionFactory, case_no: str, text: str, by: str, now: datetime | None = None
) -> Publication:
    """Set (or replace) the public wording of `case_no`; nothing is written if it is refused."""
    wording = text.strip()
    problems = list(_checked(sessions, case_no, wording))
    findings = check_wording(sessions, wording)
    if findings:
        listed = "; ".join(finding.plain() for finding in findings)
        problems.append(TextProblem("forbidden_wording", listed))
    if problems:
        raise PublicTextError(problems)
    with sessions.begin() as session:
        _publishable(session.get(CaseRow, case_no), case_no)
        row = session.get(CasePublicationRow, case_no) or CasePublicationRow(case_no=case_no)
        row.public_text = wording
        row.marked_by = by
        row.marked_at = now or datetime.now(UTC)
        session.add(row)
        session.flush()
        publication = _publication(row)
    logger.info("case %s: public wording set by %s", case_no, by)
    return publication


def clear_public(sessions: SessionFactory, case_no: str, by: str) -> bool:
    """Remove the public wording of `case_no` (Open311 then shows the service name): True if
    there was one. Allowed on any case, published or not."""
    with sessions.begin() as session:
        if session.get(CaseRow, case_no) is None:
            raise UnknownCaseError(f"no case {case_no}")
        removed = session.scalars(
            delete(CasePublicationRow)
            .where(CasePublicationRow.case_no == case_no)
            .returning(CasePublicationRow.case_no)
        ).all()
    if removed:
        logger.info("case %s: public wording cleared by %s", case_no, by)
    return bool(removed)


def get_public(sessions: SessionFactory, case_no: str) -> Publication | None:
    with sessions() as session:
        row = session.scalar(
            select(CasePublicationRow).where(CasePublicationRow.case_no == case_no)
        )
        return None if row is None else _publication(row)


def _checked(sessions: SessionFactory, case_no: str, wording: str) -> list[TextProblem]:
    """The case must exist and be published; the wording's own problems."""
    with sessions() as session:
        case = _publishable(session.get(CaseRow, case_no), case_no)
        phones = [case.caller_phone] if case.caller_phone else []
        return public_text_problems(wording, case.caller_name, phones)


def _publishable(case: CaseRow | None, case_no: str) -> CaseRow:
    if case is None:
        raise UnknownCaseError(f"no case {case_no}")
    reasons = refusals(PublicationFacts(case.channel, case.case_type, case.confidential))
    if reasons:
        raise NotPublishableError(case_no, reasons)
    return case


def _publication(row: CasePublicationRow) -> Publication:
    return Publication(
        case_no=row.case_no,
        public_text=row.public_text,
        marked_by=row.marked_by,
        marked_at=row.marked_at,
    )

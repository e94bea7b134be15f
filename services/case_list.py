"""The one case list: the SQL case projection, filtered, newest first, keyset-paginated.

The API's `GET /cases` and the CLI's `hotline case list` both read it. Lists stay fast on
millions of cases (every filter runs on an index of migration 0003) and show only what
`rules.disclosure.LISTED_FIELDS` lets every audience see: never personal data.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import Select, literal, select, tuple_

from db.engine import SessionFactory
from db.tables import CaseRow, UtcDateTime
from models.enums import CaseStatus, CaseType, Urgency
from models.errors import BadDataError
from models.timestamps import OFFSET_RULE, offset_datetime, offset_refusal
from rules.disclosure import LISTED_FIELDS
from rules.permissions import Principal, Role
from services.case_access import department_filter


class CaseSummary(BaseModel):
    """One row of a case list: no personal data."""

    case_no: str
    status: CaseStatus
    case_type: CaseType
    category: str
    urgency: Urgency
    district: str
    title: str
    lead_department: str | None
    escalation_level: int
    overdue: bool
    next_deadline: datetime | None
    received_at: datetime


class CaseListing(BaseModel):
    """A short row of a case list, as the CLI prints it (no personal data)."""

    case_no: str
    status: CaseStatus | None
    case_type: CaseType | None
    urgency: Urgency | None
    lead_department: str | None
    district: str | None
    escalation_level: int
    overdue: bool
    next_deadline: datetime | None

    @classmethod
    def of(cls, summary: CaseSummary) -> CaseListing:
        return cls.model_validate({name: getattr(summary, name) for name in cls.model_fields})


class CasePage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


class CursorError(BadDataError, ValueError):
    """A `cursor` this list did not hand out; `rule` names the rule it breaks."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class CaseFilter:
    """What a list asks for; every condition given must hold. Bounds on the next deadline:
    `due_after` inclusive, `due_before` exclusive."""

    status: tuple[CaseStatus, ...] = ()
    case_type: tuple[CaseType, ...] = ()
    urgency: tuple[Urgency, ...] = ()
    department: str | None = None  # the lead or an assisting department
    lead_department: str | None = None
    district: str | None = None
    overdue: bool | None = None
    min_escalation_level: int | None = None
    max_escalation_level: int | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None
    title_contains: str | None = None
    case_no: str | None = None


def listed(row: CaseRow) -> CaseSummary:
    """One list row: only what `rules.disclosure.LISTED_FIELDS` lets every audience see."""
    return CaseSummary.model_validate(
        {name: getattr(row, name) for name in CaseSummary.model_fields if name in LISTED_FIELDS}
    )


def list_cases(
    sessions: SessionFactory,
    wanted: CaseFilter,
    *,
    reader: Principal | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> CasePage:
    """One page of the cases matching `wanted` that `reader` may see (a department: the cases
    it holds; no reader: every case), newest first. CursorError for a cursor not handed out
    here. Blocking: call it in a thread from async code."""
    query = _after(_where(select(CaseRow), wanted, reader), cursor)
    query = query.order_by(CaseRow.received_at.desc(), CaseRow.case_no.desc()).limit(limit + 1)
    with sessions() as session:
        rows = list(session.scalars(query))
    page = rows[:limit]
    more = len(rows) > limit
    return CasePage(
        items=[listed(row) for row in page],
        next_cursor=page_cursor(page[-1]) if more and page else None,
    )


def page_cursor(row: CaseRow) -> str:
    """The cursor of the page after `row`."""
    raw = json.dumps([row.received_at.isoformat(), row.case_no]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _where(query: Select[CaseRow], wanted: CaseFilter, reader: Principal | None) -> Select[CaseRow]:
    if reader is not None and reader.role is Role.DEPARTMENT and reader.department:
        query = query.where(department_filter(reader.department))
    if wanted.status:
        query = query.where(CaseRow.status.in_([s.value for s in wanted.status]))
    if wanted.department:
        query = query.where(department_filter(wanted.department))
    if wanted.lead_department is not None:
        query = query.where(CaseRow.lead_department == wanted.lead_department)
    if wanted.case_type:
        query = query.where(CaseRow.case_type.in_([t.value for t in wanted.case_type]))
    if wanted.urgency:
        query = query.where(CaseRow.urgency.in_([u.value for u in wanted.urgency]))
    if wanted.district:
        query = query.where(CaseRow.district == wanted.district)
    if wanted.overdue is not None:
        query = query.where(CaseRow.overdue.is_(wanted.overdue))
    if wanted.min_escalation_level is not None:
        query = query.where(CaseRow.escalation_level >= wanted.min_escalation_level)
    if wanted.max_escalation_level is not None:
        query = query.where(CaseRow.escalation_level <= wanted.max_escalation_level)
    if wanted.due_after:
        query = query.where(CaseRow.next_deadline >= wanted.due_after)
    if wanted.due_before:
        query = query.where(CaseRow.next_deadline < wanted.due_before)
    if wanted.title_contains:
        text = wanted.title_contains
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(CaseRow.title.like(f"%{escaped}%", escape="\\"))
    if wanted.case_no is not None:
        query = query.where(CaseRow.case_no == wanted.case_no)
    return query


def _after(query: Select[CaseRow], cursor: str | None) -> Select[CaseRow]:
    """Keyset pagination on (received_at, case_no), newest first."""
    if cursor is None:
        return query
    try:
        received, case_no = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(received, str) or not isinstance(case_no, str):
            raise TypeError("a cursor holds a time and a case number")
        at = offset_datetime(received)
    except (ValueError, TypeError) as err:
        naive = offset_refusal(err)
        message = naive or "not a cursor this API returned"
        raise CursorError(message, OFFSET_RULE if naive else "cursor") from err
    # A row comparison, so PostgreSQL uses it as an index condition (not a filter).
    condition = tuple_(CaseRow.received_at, CaseRow.case_no) < tuple_(
        literal(at, UtcDateTime()), literal(case_no)
    )
    return query.where(condition)

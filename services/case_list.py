"""The one case list: the SQL case projection, filtered, sorted, keyset-paginated.

The API's `GET /cases`, the CLI's `hotline case list` and every list of the console read it.
Lists stay fast on millions of cases (every filter runs on an index of migration 0003) and show
only what `rules.disclosure.LISTED_FIELDS` lets every audience see: never personal data.

A list is sorted newest first (the API's order), oldest first or by the nearest deadline; a
page's cursor names its order and its last row's (sort key, case number), so the next page
starts after that row (no OFFSET). A row's clock stage (`stage_of`) comes from the case's own
projection: its escalation level, its overdue flag and the moment its clock reached the
ladder's warning (`warn_at`, written by `activities.store`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import (
    ColumnElement,
    Select,
    UnaryExpression,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)

from db.engine import SessionFactory
from db.tables import CaseRow, UtcDateTime
from models.enums import CaseStatus, CaseType, ClockStage, Urgency
from models.errors import BadDataError
from models.timestamps import OFFSET_RULE, offset_datetime, offset_refusal
from rules.disclosure import LISTED_FIELDS
from rules.escalation import LEVEL2
from rules.permissions import Principal, Role
from services.case_access import department_filter

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


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
    warn_at: datetime | None = Field(
        default=None, description="when the case's clock reached its warning, if it has"
    )


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
    category: str | None = None
    received_after: datetime | None = None  # inclusive
    received_before: datetime | None = None  # exclusive
    stage: ClockStage | None = None  # the row's clock stage, as `stage_of` tells it
    nothing: bool = False  # conditions that contradict each other: no row at all


class ListOrder(StrEnum):
    """How a list is sorted; the cursor of a page names its order."""

    NEWEST = "newest"
    OLDEST = "oldest"
    DEADLINE = "deadline"  # nearest next deadline first, cases without one last


@dataclass(frozen=True)
class GroupCount:
    """How many listed cases one department holds at one escalation level."""

    lead_department: str | None
    escalation_level: int
    count: int


def stage_of(case: CaseSummary) -> ClockStage:
    """The clock stage a list row is coloured by: level 2 or above is the ladder's LEVEL2, an
    overdue clock is OVERDUE, a clock past its warning is WARNED. `_stage_condition` is the
    same rule in SQL."""
    if case.escalation_level >= LEVEL2:
        return ClockStage.LEVEL2
    if case.overdue:
        return ClockStage.OVERDUE
    if case.warn_at is not None:
        return ClockStage.WARNED
    return ClockStage.RUNNING


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
    order: ListOrder = ListOrder.NEWEST,
) -> CasePage:
    """One page of the cases matching `wanted` that `reader` may see (a department: the cases
    it holds; no reader: every case), in `order` (newest first unless told). CursorError for a
    cursor not handed out here for that order. Blocking: call it in a thread from async code."""
    query = _after(_where(select(CaseRow), wanted, reader), cursor, order)
    query = query.order_by(*_ordering(order)).limit(limit + 1)
    with sessions() as session:
        rows = list(session.scalars(query))
    page = rows[:limit]
    more = len(rows) > limit
    return CasePage(
        items=[listed(row) for row in page],
        next_cursor=page_cursor(page[-1], order) if more and page else None,
    )


def all_cases(
    sessions: SessionFactory,
    wanted: CaseFilter,
    *,
    reader: Principal | None = None,
    order: ListOrder = ListOrder.NEWEST,
    chunk: int = 500,
) -> Iterator[CaseSummary]:
    """Every case of the list, page after page (each page its own short read): an export."""
    cursor: str | None = None
    while True:
        found = list_cases(sessions, wanted, reader=reader, limit=chunk, cursor=cursor, order=order)
        yield from found.items
        if found.next_cursor is None:
            return
        cursor = found.next_cursor


def count_by_department_and_level(
    sessions: SessionFactory, wanted: CaseFilter, *, reader: Principal | None = None
) -> list[GroupCount]:
    """How many cases of the list each lead department holds at each escalation level."""
    query = _where(
        select(CaseRow.lead_department, CaseRow.escalation_level, func.count()), wanted, reader
    )
    query = query.group_by(CaseRow.lead_department, CaseRow.escalation_level)
    with sessions() as session:
        found = session.execute(query).all()
    groups = [GroupCount(dept, int(level), int(count)) for dept, level, count in found]
    return sorted(groups, key=lambda g: (g.lead_department or "", g.escalation_level))


def page_cursor(row: CaseRow, order: ListOrder = ListOrder.NEWEST) -> str:
    """The cursor of the page after `row` in `order` (newest first: the API's own form)."""
    if order is ListOrder.NEWEST:
        key: list[str | None] = [row.received_at.isoformat(), row.case_no]
    elif order is ListOrder.OLDEST:
        key = [order.value, row.received_at.isoformat(), row.case_no]
    else:
        due = row.next_deadline.isoformat() if row.next_deadline else None
        key = [order.value, due, row.case_no]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _ordering(order: ListOrder) -> tuple[UnaryExpression[Any], ...]:
    if order is ListOrder.OLDEST:
        return (CaseRow.received_at.asc(), CaseRow.case_no.asc())
    if order is ListOrder.DEADLINE:
        return (CaseRow.next_deadline.asc().nulls_last(), CaseRow.case_no.asc())
    return (CaseRow.received_at.desc(), CaseRow.case_no.desc())


def _stage_condition(stage: ClockStage) -> ColumnElement[bool]:
    """`stage_of` in SQL."""
    below_level2 = CaseRow.escalation_level < LEVEL2
    if stage is ClockStage.LEVEL2:
        return CaseRow.escalation_level >= LEVEL2
    if stage is ClockStage.OVERDUE:
        return and_(below_level2, CaseRow.overdue.is_(True))
    warned = CaseRow.warn_at.is_not(None)
    on_time = and_(below_level2, CaseRow.overdue.is_(False))
    return and_(on_time, warned if stage is ClockStage.WARNED else ~warned)


def _where(query: SelectT, wanted: CaseFilter, reader: Principal | None) -> SelectT:
    if wanted.nothing:
        return query.where(false())
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
        # `= true`, not `IS true`: PostgreSQL applies the statistics on (overdue, status) of
        # migration 0018 only to the former, and plans the board's sections by them.
        query = query.where(CaseRow.overdue == (true() if wanted.overdue else false()))
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
    if wanted.category:
        query = query.where(CaseRow.category == wanted.category)
    if wanted.received_after:
        query = query.where(CaseRow.received_at >= wanted.received_after)
    if wanted.received_before:
        query = query.where(CaseRow.received_at < wanted.received_before)
    if wanted.stage is not None:
        query = query.where(_stage_condition(wanted.stage))
    return query


def _after(query: Select[CaseRow], cursor: str | None, order: ListOrder) -> Select[CaseRow]:
    """Keyset pagination: the rows after the cursor's (sort key, case_no) in `order`."""
    if cursor is None:
        return query
    at, case_no = _cursor_key(cursor, order)
    case_key = literal(case_no)
    if order is ListOrder.DEADLINE:
        if at is None:  # past every case with a deadline: the rest of those without one
            return query.where(CaseRow.next_deadline.is_(None), CaseRow.case_no > case_key)
        due = literal(at, UtcDateTime())
        later = tuple_(CaseRow.next_deadline, CaseRow.case_no) > tuple_(due, case_key)
        return query.where(or_(later, CaseRow.next_deadline.is_(None)))
    if at is None:
        raise CursorError("not a cursor this API returned", "cursor")
    received = literal(at, UtcDateTime())
    # A row comparison, so PostgreSQL uses it as an index condition (not a filter).
    row_key, cursor_key = tuple_(CaseRow.received_at, CaseRow.case_no), tuple_(received, case_key)
    if order is ListOrder.OLDEST:
        return query.where(row_key > cursor_key)
    return query.where(row_key < cursor_key)


def _cursor_key(cursor: str, order: ListOrder) -> tuple[datetime | None, str]:
    """The (sort key, case number) of a cursor of `order`; CursorError for any other."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(key, list):
            raise TypeError("a cursor is a list")
        if len(key) == 2:  # newest first, the API's own form
            key = [ListOrder.NEWEST.value, *key]
        tag, moment, case_no = key
        if tag != order.value:
            raise TypeError("a cursor of another order")
        if not isinstance(case_no, str) or not (moment is None or isinstance(moment, str)):
            raise TypeError("a cursor holds a time and a case number")
        at = offset_datetime(moment) if moment is not None else None
    except (ValueError, TypeError) as err:
        naive = offset_refusal(err)
        message = naive or "not a cursor this API returned"
        raise CursorError(message, OFFSET_RULE if naive else "cursor") from err
    return at, case_no

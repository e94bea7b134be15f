"""What the Open311 API reads from the database: catalogue, departments, projection, step log.

Plain synchronous functions over a session factory (call them in a worker thread). Every read
of a case goes through `published` (the SQL form of `rules.publication`): an unpublished case is
never selected, counted or looked up, so to Open311 it does not exist. Cases are read for their
public columns only (`PublicCase`): a caller's name, phone, street, address, title and the free
text of the contact are never selected; the description comes from `case_publications`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, not_, select
from sqlalchemy.orm import aliased

from db.engine import SessionFactory
from db.tables import (
    CaseNumberRow,
    CasePublicationRow,
    CaseRow,
    CatalogueRow,
    DepartmentRow,
    TransitionRow,
)
from models.enums import CaseStatus
from rules.publication import PUBLISHED_CHANNELS, UNPUBLISHED_TYPES

IDS_PER_QUERY = 500


@dataclass(frozen=True)
class RequestFilter:
    """Which cases GET requests returns: by number, or by category, status and intake time."""

    case_nos: Sequence[str] | None = None
    categories: Sequence[str] | None = None
    statuses: frozenset[str] = frozenset()  # "open" and/or "closed"; empty: all
    received_from: datetime | None = None
    received_until: datetime | None = None
    limit: int = 1000


@dataclass(frozen=True)
class PublicCase:
    """What of a published case may be shown: public columns of its projection row, the
    centre's public wording (None: none set) and the case it was merged into, if published."""

    case_no: str
    status: str
    closure_reason: str | None
    category: str
    district: str
    lead_department: str | None
    next_deadline: datetime | None
    received_at: datetime
    closed_at: datetime | None
    updated_at: datetime
    merged_into: str | None
    public_text: str | None
    latitude: float | None
    longitude: float | None


_TARGET = aliased(CaseRow, name="merge_target")


def published(cases: type[CaseRow] = CaseRow) -> ColumnElement[bool]:
    """`rules.publication.publishable` as SQL, on `cases` (the table or an alias of it)."""
    return and_(
        cases.channel.in_(sorted(PUBLISHED_CHANNELS)),
        not_(cases.confidential),
        cases.case_type.not_in(sorted(UNPUBLISHED_TYPES)),
    )


PUBLIC_COLUMNS = (
    CaseRow.case_no,
    CaseRow.status,
    CaseRow.closure_reason,
    CaseRow.category,
    CaseRow.district,
    CaseRow.lead_department,
    CaseRow.next_deadline,
    CaseRow.received_at,
    CaseRow.closed_at,
    CaseRow.updated_at,
    case((published(_TARGET), CaseRow.merged_into), else_=None).label("merged_into"),
    CasePublicationRow.public_text,
    CaseRow.latitude,
    CaseRow.longitude,
)


@dataclass(frozen=True)
class CaseRecord:
    """One case's public columns and its logged steps."""

    case: PublicCase
    steps: list[TransitionRow]


def catalogue_categories(sessions: SessionFactory) -> list[str]:
    """The distinct categories of the dispatch catalogue."""
    with sessions() as session:
        return sorted(set(session.scalars(select(CatalogueRow.category).distinct())))


def known_categories(sessions: SessionFactory) -> list[str]:
    """The catalogue's categories and every category a case has (for service_code filters)."""
    with sessions() as session:
        cases = set(session.scalars(select(CaseRow.category).distinct()))
        catalogue = set(session.scalars(select(CatalogueRow.category).distinct()))
    return sorted(cases | catalogue)


def districts(sessions: SessionFactory) -> list[str]:
    """The districts that have an active district government (the places a case can be in)."""
    with sessions() as session:
        found = session.scalars(
            select(DepartmentRow.district)
            .where(DepartmentRow.kind == "district_government", DepartmentRow.active)
            .distinct()
        )
        return sorted(d for d in found if d)


def department_names(sessions: SessionFactory) -> dict[str, str]:
    with sessions() as session:
        return {
            id_: name for id_, name in session.execute(select(DepartmentRow.id, DepartmentRow.name))
        }


def case_of_request(sessions: SessionFactory, request_id: str) -> str | None:
    """The case number allocated to an intake request id."""
    with sessions() as session:
        return session.scalar(
            select(CaseNumberRow.case_no).where(CaseNumberRow.request_id == request_id)
        )


def operator_of_request(sessions: SessionFactory, request_id: str) -> str | None:
    """Who took in the case of an intake request id (None: no such case, or not yet projected)."""
    with sessions() as session:
        return session.scalar(
            select(CaseRow.operator_id)
            .join(CaseNumberRow, CaseNumberRow.case_no == CaseRow.case_no)
            .where(CaseNumberRow.request_id == request_id)
        )


def published_case_of_request(sessions: SessionFactory, request_id: str) -> str | None:
    """The case number of an intake request id, if that case is published."""
    with sessions() as session:
        return session.scalar(
            select(CaseNumberRow.case_no)
            .join(CaseRow, CaseRow.case_no == CaseNumberRow.case_no)
            .where(CaseNumberRow.request_id == request_id, published())
        )


def find_cases(sessions: SessionFactory, where: RequestFilter) -> list[CaseRecord]:
    """The published cases of a filter, newest intake first, at most `where.limit`, with their
    steps. The policy is part of the query, so an unpublished case never takes a place."""
    query = (
        select(*PUBLIC_COLUMNS)
        .outerjoin(CasePublicationRow, CasePublicationRow.case_no == CaseRow.case_no)
        .outerjoin(_TARGET, _TARGET.case_no == CaseRow.merged_into)
        .where(published())
    )
    if where.case_nos is not None:
        query = query.where(CaseRow.case_no.in_(list(where.case_nos)))
    else:
        if where.categories is not None:
            query = query.where(CaseRow.category.in_(list(where.categories)))
        if where.statuses == {"open"}:
            query = query.where(CaseRow.status != CaseStatus.CLOSED.value)
        elif where.statuses == {"closed"}:
            query = query.where(CaseRow.status == CaseStatus.CLOSED.value)
        if where.received_from is not None:
            query = query.where(CaseRow.received_at >= where.received_from)
        if where.received_until is not None:
            query = query.where(CaseRow.received_at <= where.received_until)
    query = query.order_by(CaseRow.received_at.desc(), CaseRow.case_no.desc()).limit(where.limit)
    with sessions() as session:
        rows = [PublicCase(*row) for row in session.execute(query)]
        steps: dict[str, list[TransitionRow]] = defaultdict(list)
        numbers = [row.case_no for row in rows]
        for start in range(0, len(numbers), IDS_PER_QUERY):
            chunk = numbers[start : start + IDS_PER_QUERY]
            for step in session.scalars(
                select(TransitionRow)
                .where(TransitionRow.case_no.in_(chunk))
                .order_by(TransitionRow.case_no, TransitionRow.seq)
            ):
                steps[step.case_no].append(step)
    return [CaseRecord(case=row, steps=steps[row.case_no]) for row in rows]

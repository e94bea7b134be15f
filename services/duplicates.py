"""Possible duplicates of a call being taken: open cases of the same category and district whose
titles look alike, so the operator can merge the call into the case already being handled.

The candidates are read from the SQL case projection, bounded: among the newest SCANNED cases of
each open status (one range of the (status, received_at) index each, so a search never reads
more than that however many cases there are), those of the category (as typed, or in its stored
form) and the district. Their titles are scored in Python by the overlap of character bigrams
(the Dice coefficient, 0 to 1), which suits Chinese titles without word boundaries; the best TOP
with a score of at least MIN_SCORE are returned.
Only the case number, title, status, lead department and time are read: no personal data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CompoundSelect, select, union_all

from db.engine import SessionFactory
from db.tables import CaseRow
from models.enums import CaseStatus
from rules.dispatch import canonical_category
from rules.permissions import Principal, Role
from services.case_access import department_filter

OPEN_STATUSES = tuple(status for status in CaseStatus if status is not CaseStatus.CLOSED)
SCANNED = 5000
"""Of each open status, the newest this many cases are looked at (an index range each)."""
CANDIDATES = 200
"""Of those, at most this many of each status in the category and district are scored."""
TOP = 5
MIN_SCORE = 0.2
MAX_TITLE = 128
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class PossibleDuplicate:
    """An open case that may be the same request: what the operator needs to decide."""

    case_no: str
    title: str
    status: CaseStatus
    lead_department: str | None
    received_at: datetime
    score: float

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def bigrams(text: str) -> set[str]:
    """The character bigrams of `text` without spaces and punctuation (a lone character as is)."""
    cleaned = _NOISE.sub("", text.lower())
    if len(cleaned) < 2:
        return {cleaned} if cleaned else set()
    return {cleaned[i : i + 2] for i in range(len(cleaned) - 1)}


def similarity(first: str, second: str) -> float:
    """How alike two titles are: 2·|shared bigrams| / (|bigrams of one| + |of the other|)."""
    a, b = bigrams(first), bigrams(second)
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _candidates(categories: set[str], district: str, principal: Principal) -> CompoundSelect[Any]:
    """The open cases of the category and district among the newest SCANNED of each open
    status: one index range (status, received_at) per status, so no search reads more rows."""
    parts = []
    for status in OPEN_STATUSES:
        newest = (
            select(
                CaseRow.case_no,
                CaseRow.title,
                CaseRow.status,
                CaseRow.lead_department,
                CaseRow.received_at,
                CaseRow.category,
                CaseRow.district,
            )
            .where(CaseRow.status == status.value)
            .order_by(CaseRow.received_at.desc(), CaseRow.case_no.desc())
            .limit(SCANNED)
        )
        if principal.role is Role.DEPARTMENT and principal.department is not None:
            newest = newest.where(department_filter(principal.department))
        recent = newest.subquery()
        matching = (
            select(
                recent.c.case_no,
                recent.c.title,
                recent.c.status,
                recent.c.lead_department,
                recent.c.received_at,
            )
            .where(recent.c.category.in_(categories), recent.c.district == district)
            .order_by(recent.c.received_at.desc(), recent.c.case_no.desc())
            .limit(CANDIDATES)
            .subquery()
        )
        parts.append(select(matching))  # wrapped: SQLite takes no LIMIT in a compound's part
    return union_all(*parts)


def possible_duplicates(
    sessions: SessionFactory,
    principal: Principal,
    category: str,
    district: str,
    title: str,
    limit: int = TOP,
) -> list[PossibleDuplicate]:
    """The open cases of `category` in `district` most like `title`, best first (at most
    `limit`, each scoring at least MIN_SCORE); empty when a field is blank."""
    category, district, title = category.strip(), district.strip(), title.strip()[:MAX_TITLE]
    if not (category and district and title):
        return []
    forms = {category, canonical_category(category)}
    with sessions() as session:
        rows = session.execute(_candidates(forms, district, principal)).all()
    scored = [
        PossibleDuplicate(
            case_no=row.case_no,
            title=row.title,
            status=CaseStatus(row.status),
            lead_department=row.lead_department,
            received_at=row.received_at,
            score=similarity(title, row.title),
        )
        for row in rows
    ]
    found = [dup for dup in scored if dup.score >= MIN_SCORE]
    found.sort(key=lambda dup: (-dup.score, -dup.received_at.timestamp(), dup.case_no))
    return found[:limit]

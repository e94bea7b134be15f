"""Department isolation: a department sees and acts only on the cases it holds.

A case a department does not hold is, to that department, no case at all: the API answers 404
and the CLI `no case <NO>`, exactly as for a case that does not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, cast, or_, select

from db.engine import SessionFactory
from db.tables import CaseRow
from rules.permissions import Principal, Role


def department_filter(department: str) -> ColumnElement[bool]:
    """Cases where the department is the lead or one of the assisting departments."""
    # Department ids are plain codes (checked at creation), so a quoted match on the JSON text
    # is exact and works the same on SQLite and PostgreSQL.
    return or_(
        CaseRow.lead_department == department,
        cast(CaseRow.assisting_departments, String).like(f'%"{department}"%'),
    )


def may_see(sessions: SessionFactory, principal: Principal, case_no: str) -> bool:
    """Whether `principal` may see the case: every role but a department sees every case."""
    if principal.role is not Role.DEPARTMENT or principal.department is None:
        return True
    with sessions() as session:
        found = session.scalar(
            select(CaseRow.case_no).where(
                CaseRow.case_no == case_no, department_filter(principal.department)
            )
        )
    return found is not None

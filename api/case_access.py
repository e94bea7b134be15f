"""Department isolation: a department sees and acts only on cases it holds (404 otherwise)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, cast, or_, select
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, Role
from api.context import ApiContext
from api.problems import Problem
from db.tables import CaseRow


def department_filter(department: str) -> ColumnElement[bool]:
    """Cases where the department is the lead or one of the assisting departments."""
    # Department ids are plain codes (checked at creation), so a quoted match on the JSON text
    # is exact and works the same on SQLite and PostgreSQL.
    return or_(
        CaseRow.lead_department == department,
        cast(CaseRow.assisting_departments, String).like(f'%"{department}"%'),
    )


async def ensure_visible(context: ApiContext, principal: Principal, case_no: str) -> None:
    if principal.role is not Role.DEPARTMENT or principal.department is None:
        return
    department = principal.department

    def held() -> bool:
        with context.sessions() as session:
            found = session.scalar(
                select(CaseRow.case_no).where(
                    CaseRow.case_no == case_no, department_filter(department)
                )
            )
            return found is not None

    if not await run_in_threadpool(held):
        raise Problem(404, f"no case {case_no}")

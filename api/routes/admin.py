"""What the centre administers: departments, the dispatch catalogue, users; the access log."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from api.auth import current_principal, require
from api.context import ApiContext, get_context
from api.problems import Problem
from db.tables import CatalogueRow, DepartmentRow
from models.intake import CASE_NO_PATTERN
from models.text import PRINTABLE, CleanText
from models.timestamps import QueryDateTime
from rules.permissions import Action, Principal, Role
from services.access_log import AccessEntry, access_entries
from services.principals import UserInfo, add_user, list_users

router = APIRouter(tags=["administration"])

DepartmentId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,31}$")]


class Department(CleanText):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: DepartmentId
    name: str = Field(min_length=1, max_length=64)
    kind: Literal["functional", "district_government", "enterprise"]
    district: str | None = Field(default=None, max_length=64)
    liaison: str | None = Field(default=None, max_length=64)
    active: bool = True


class CatalogueEntry(CleanText):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: int | None = None
    category: str = Field(min_length=1, max_length=128)
    district: str | None = Field(default=None, max_length=64, description="None: any district")
    lead_department: DepartmentId
    assisting_departments: list[DepartmentId] = Field(default_factory=list, max_length=10)
    priority: int = 0


@router.get("/departments", response_model=list[Department])
async def list_departments(
    principal: Annotated[Principal, Depends(current_principal)],
    context: Annotated[ApiContext, Depends(get_context)],
) -> list[Department]:
    def fetch() -> list[Department]:
        with context.sessions() as session:
            rows = session.scalars(select(DepartmentRow).order_by(DepartmentRow.id))
            return [Department.model_validate(row) for row in rows]

    return await run_in_threadpool(fetch)


@router.put("/departments/{department_id}", response_model=Department)
async def put_department(
    department_id: str,
    body: Department,
    principal: Annotated[Principal, Depends(require(Action.MANAGE_DEPARTMENTS))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> Department:
    """Create or change a department (deactivate with `active: false`)."""
    if body.id != department_id:
        raise Problem(422, f"id: the body says {body.id}, the path {department_id}")

    def save() -> Department:
        with context.sessions.begin() as session:
            row = session.get(DepartmentRow, department_id)
            if row is None:
                row = DepartmentRow(id=department_id)
                session.add(row)
            for name, value in body.model_dump(exclude={"id"}).items():
                setattr(row, name, value)
        return body

    return await run_in_threadpool(save)


@router.get("/dispatch-catalogue", response_model=list[CatalogueEntry])
async def list_catalogue(
    principal: Annotated[Principal, Depends(current_principal)],
    context: Annotated[ApiContext, Depends(get_context)],
) -> list[CatalogueEntry]:
    def fetch() -> list[CatalogueEntry]:
        with context.sessions() as session:
            rows = session.scalars(select(CatalogueRow).order_by(CatalogueRow.category))
            return [CatalogueEntry.model_validate(row) for row in rows]

    return await run_in_threadpool(fetch)


@router.post("/dispatch-catalogue", response_model=CatalogueEntry, status_code=201)
async def add_catalogue_entry(
    body: CatalogueEntry,
    principal: Annotated[Principal, Depends(require(Action.MANAGE_CATALOGUE))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> CatalogueEntry:
    def save() -> CatalogueEntry:
        try:
            with context.sessions.begin() as session:
                known = set(session.scalars(select(DepartmentRow.id)))
                unknown = [
                    d for d in [body.lead_department, *body.assisting_departments] if d not in known
                ]
                if unknown:
                    raise Problem(422, f"lead_department: unknown department {unknown[0]}")
                row = CatalogueRow(**body.model_dump(exclude={"id"}))
                session.add(row)
                session.flush()
                return CatalogueEntry.model_validate(row)
        except IntegrityError as err:
            raise Problem(
                409, f"category {body.category} already has an entry for this district"
            ) from err

    return await run_in_threadpool(save)


@router.get("/access-log", response_model=list[AccessEntry])
async def read_access_log(
    principal: Annotated[Principal, Depends(require(Action.READ_ACCESS_LOG))],
    context: Annotated[ApiContext, Depends(get_context)],
    case_no: Annotated[str | None, Query(pattern=CASE_NO_PATTERN)] = None,
    user_id: Annotated[str | None, Query(max_length=64, pattern=PRINTABLE)] = None,
    since: QueryDateTime | None = None,
    until: QueryDateTime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AccessEntry]:
    """Who read whose personal data, when and why (auditors, administrators)."""
    return await run_in_threadpool(
        lambda: access_entries(
            context.sessions,
            case_no=case_no,
            user_id=user_id,
            since=since,
            until=until,
            limit=limit,
        )
    )


class NewUser(CleanText):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$")
    name: str = Field(min_length=1, max_length=64)
    role: Role
    department: DepartmentId | None = None


@router.get("/users", response_model=list[UserInfo])
async def get_users(
    principal: Annotated[Principal, Depends(require(Action.MANAGE_USERS))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> list[UserInfo]:
    """Users and their roles (tokens are issued and revoked with `hotline token …`)."""
    return await run_in_threadpool(list_users, context.sessions)


@router.post("/users", response_model=UserInfo, status_code=201)
async def post_user(
    body: NewUser,
    principal: Annotated[Principal, Depends(require(Action.MANAGE_USERS))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> UserInfo:
    try:
        return await run_in_threadpool(
            add_user, context.sessions, body.id, body.name, body.role, body.department
        )
    except ValueError as err:
        raise Problem(422, str(err)) from err

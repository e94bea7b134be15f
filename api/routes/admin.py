"""What the centre administers: departments, the dispatch catalogue, users; the access log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import current_principal, require
from api.context import ApiContext, get_context
from api.problems import Problem
from models.intake import CASE_NO_PATTERN
from models.text import PRINTABLE, CleanText
from models.timestamps import QueryDateTime
from rules.permissions import Action, Principal, Role
from services import reference_data as reference
from services.access_log import AccessEntry, access_entries
from services.principals import UserInfo, add_user, list_users
from services.reference_data import (
    CatalogueConflict,
    CatalogueEntry,
    Department,
    DepartmentId,
    ReferenceRefused,
)

router = APIRouter(tags=["administration"])


@router.get("/departments", response_model=list[Department])
async def list_departments(
    principal: Annotated[Principal, Depends(current_principal)],
    context: Annotated[ApiContext, Depends(get_context)],
) -> list[Department]:
    return await run_in_threadpool(reference.list_departments, context.sessions)


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
    return await run_in_threadpool(reference.save_department, context.sessions, body)


@router.get("/dispatch-catalogue", response_model=list[CatalogueEntry])
async def list_catalogue(
    principal: Annotated[Principal, Depends(current_principal)],
    context: Annotated[ApiContext, Depends(get_context)],
) -> list[CatalogueEntry]:
    return await run_in_threadpool(reference.list_catalogue, context.sessions)


@router.post("/dispatch-catalogue", response_model=CatalogueEntry, status_code=201)
async def add_catalogue_entry(
    body: CatalogueEntry,
    principal: Annotated[Principal, Depends(require(Action.MANAGE_CATALOGUE))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> CatalogueEntry:
    try:
        return await run_in_threadpool(reference.add_catalogue_entry, context.sessions, body)
    except ReferenceRefused as err:
        raise Problem(422, str(err)) from err
    except CatalogueConflict as err:
        raise Problem(409, str(err)) from err


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

"""Departments and the dispatch catalogue: list, add a department, change its name or whether it
is active, and add catalogue entries (category + district → lead and assisting departments).

Through `services.reference_data`, as the API's `/departments` and `/dispatch-catalogue`. A
refused change re-draws the page with each bad field and its reason (422; 409 for an entry the
catalogue has already), and nothing is written.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.console.admin_common import admin_page, missing_page, pydantic_errors, repeated
from api.console.web import posted, require, signed_in
from api.context import get_context
from api.open311.queries import districts
from rules.permissions import Action
from services.console_auth import ConsoleSession
from services.reference_data import (
    DEPARTMENT_ID_PATTERN,
    CatalogueConflict,
    CatalogueEntry,
    Department,
    ReferenceRefused,
    add_catalogue_entry,
    list_catalogue,
    list_departments,
    save_department,
)

router = APIRouter(include_in_schema=False)
DepartmentIdPath = Annotated[str, Path(pattern=DEPARTMENT_ID_PATTERN)]
KINDS = {"functional": "职能部门", "district_government": "区县政府", "enterprise": "企业"}
DONE = {"added": "承办单位已添加。", "saved": "承办单位已保存。", "entry": "目录条目已添加。"}


def _blank_none(value: str) -> str | None:
    value = value.strip()
    return value or None


# ---- departments --------------------------------------------------------------------------------


def _departments_page(
    request: Request,
    session: ConsoleSession,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    editing: str = "",
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    return admin_page(
        request,
        session,
        "admin_departments.html",
        status,
        section="/admin/departments",
        departments=list_departments(get_context(request).sessions),
        kinds=KINDS,
        values=values or {"kind": "functional"},
        errors=errors or {},
        editing=editing,
        notice=notice,
        refusal="请更正标出的内容，未保存。" if errors else "",
    )


@router.get("/admin/departments")
async def departments(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)], done: str = ""
) -> HTMLResponse:
    require(session, Action.MANAGE_DEPARTMENTS)
    return await run_in_threadpool(
        lambda: _departments_page(request, session, notice=DONE.get(done, ""))
    )


@router.post("/admin/departments")
async def add_department(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    form = await posted(request, session)
    require(session, Action.MANAGE_DEPARTMENTS)
    names = ("id", "name", "kind", "district", "liaison")
    values = {name: form.get(name, "").strip() for name in names}
    sessions = get_context(request).sessions
    known = {d.id for d in await run_in_threadpool(list_departments, sessions)}
    if values["id"] in known:
        errors = {"id": f"单位编号 {values['id']} 已存在，请在列表中修改。"}
        return await run_in_threadpool(
            lambda: _departments_page(request, session, values=values, errors=errors, status=409)
        )
    try:
        department = Department.model_validate(
            {name: _blank_none(value) for name, value in values.items()} | {"active": True}
        )
    except ValidationError as err:
        errors = pydantic_errors(err.errors(), {})
        return await run_in_threadpool(
            lambda: _departments_page(request, session, values=values, errors=errors, status=422)
        )
    await run_in_threadpool(save_department, sessions, department)
    return RedirectResponse("/admin/departments?done=added", status_code=303)


@router.post("/admin/departments/{department_id}")
async def edit_department(
    department_id: DepartmentIdPath,
    request: Request,
    session: Annotated[ConsoleSession, Depends(signed_in)],
) -> Response:
    """Change a department's name and whether it is active (its other fields stay)."""
    form = await posted(request, session)
    require(session, Action.MANAGE_DEPARTMENTS)
    sessions = get_context(request).sessions
    current = next(
        (d for d in await run_in_threadpool(list_departments, sessions) if d.id == department_id),
        None,
    )
    if current is None:
        return await run_in_threadpool(missing_page, request, session, "承办单位")
    changed: dict[str, Any] = current.model_dump() | {
        "name": form.get("name", "").strip(),
        "active": form.get("active") == "on",
    }
    try:
        department = Department.model_validate(changed)
    except ValidationError as err:
        errors = {
            f"{name}-{department_id}": reason
            for name, reason in pydantic_errors(err.errors(), {}).items()
        }
        return await run_in_threadpool(
            lambda: _departments_page(
                request, session, errors=errors, editing=department_id, status=422
            )
        )
    await run_in_threadpool(save_department, sessions, department)
    return RedirectResponse("/admin/departments?done=saved", status_code=303)


# ---- the dispatch catalogue ---------------------------------------------------------------------


def _catalogue_page(
    request: Request,
    session: ConsoleSession,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    sessions = get_context(request).sessions
    found = list_departments(sessions)
    return admin_page(
        request,
        session,
        "admin_catalogue.html",
        status,
        section="/admin/catalogue",
        entries=list_catalogue(sessions),
        departments=found,
        names={d.id: d.name for d in found},
        districts=districts(sessions),
        values=values or {"assisting_departments": [], "priority": "0"},
        errors=errors or {},
        notice=notice,
        refusal="请更正标出的内容，目录条目未添加。" if errors else "",
    )


@router.get("/admin/catalogue")
async def catalogue(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)], done: str = ""
) -> HTMLResponse:
    require(session, Action.MANAGE_CATALOGUE)
    return await run_in_threadpool(
        lambda: _catalogue_page(request, session, notice=DONE.get(done, ""))
    )


@router.post("/admin/catalogue")
async def add_entry(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    form = await posted(request, session)
    require(session, Action.MANAGE_CATALOGUE)
    values: dict[str, Any] = {
        "category": form.get("category", "").strip(),
        "district": form.get("district", "").strip(),
        "lead_department": form.get("lead_department", "").strip(),
        "assisting_departments": await repeated(request, "assisting_departments"),
        "priority": form.get("priority", "").strip() or "0",
    }
    errors: dict[str, str] = {}
    status = 422
    try:
        entry = CatalogueEntry.model_validate(values | {"district": values["district"] or None})
        await run_in_threadpool(add_catalogue_entry, get_context(request).sessions, entry)
    except ValidationError as err:
        errors = pydantic_errors(err.errors(), {})
    except ReferenceRefused as err:
        errors = {err.field: err.reason}
    except CatalogueConflict:
        where = values["district"] or "所有区县"
        errors = {"category": f"分类“{values['category']}”在{where}已有目录条目。"}
        status = 409
    if errors:
        return await run_in_threadpool(
            lambda: _catalogue_page(request, session, values=values, errors=errors, status=status)
        )
    return RedirectResponse("/admin/catalogue?done=entry", status_code=303)

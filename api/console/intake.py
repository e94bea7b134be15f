"""The operator's intake form (受理) and its outcome: `services.cases.open_case`, as the API.

The form carries a request id made when it was drawn, so submitting it twice (a reload, a
double click) opens one case. Bad input re-draws the form with each field's error beside it;
the catalogue's suggested lead is shown on the dispatch outcome and used when none is chosen.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from activities.store import route_case
from api.console.render import html, page
from api.console.web import posted, require, signed_in
from api.context import ApiContext, get_context
from api.open311.queries import catalogue_categories, department_names, districts
from models.enums import CaseType, EmergencyLine, NotAcceptedReason, Urgency
from models.errors import CaseActionError, RefusedError
from models.records import RouteRequest
from rules.permissions import Action
from services import cases as case_service
from services.console_auth import ConsoleSession

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Choices:
    """What the form's selects offer: from the catalogue and the departments."""

    categories: list[str]
    districts: list[str]
    departments: dict[str, str]


def _choices(context: ApiContext) -> Choices:
    return Choices(
        catalogue_categories(context.sessions),
        districts(context.sessions),
        department_names(context.sessions),
    )


def suggested_lead(context: ApiContext, category: str, district: str) -> str | None:
    """The catalogue's lead department for a category and district (None: no route)."""
    try:
        return route_case(
            context.sessions, RouteRequest(category=category, district=district)
        ).lead_department
    except RefusedError:
        return None


def _form_page(
    request: Request,
    session: ConsoleSession,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HTMLResponse:
    context = get_context(request)
    choices = _choices(context)
    return page(
        request,
        session,
        "intake.html",
        status,
        values=values,
        errors=errors or {},
        refusal=refusal,
        choices=choices,
        case_types=list(CaseType),
        urgencies=list(Urgency),
        lines=list(EmergencyLine),
        not_accepted=list(NotAcceptedReason),
    )


@router.get("/intake")
async def intake_form(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    require(session, Action.INTAKE)
    fresh = {"request_id": uuid.uuid4().hex, "outcome": "dispatch", "case_type": "complaint"}
    return await run_in_threadpool(_form_page, request, session, fresh)


def intake_record(form: dict[str, str], operator: str) -> dict[str, Any]:
    """The intake request's fields from the form (pydantic checks them)."""

    def text(name: str) -> str | None:
        return form.get(name, "").strip() or None

    kind = form.get("outcome", "dispatch")
    outcome: dict[str, Any] = {"kind": kind}
    if kind == "dispatch":
        outcome["lead_department"] = text("lead_department")
    elif kind == "direct_answer":
        outcome["answer"] = text("answer")
    elif kind == "not_accepted":
        outcome |= {"reason": text("not_accepted_reason"), "proper_route": text("proper_route")}
    elif kind == "emergency_handoff":
        outcome["line"] = text("line")
    elif kind == "three_way_call":
        outcome |= {"department": text("three_way_department"), "officer": text("officer")}
    phone = text("caller_phone")
    return {
        "request_id": form.get("request_id") or uuid.uuid4().hex,
        "operator_id": operator,
        "caller": {
            "name": text("caller_name"),
            "phones": [phone] if phone else [],
            "confidential": form.get("confidential") == "on",
        },
        "location": {
            "district": text("district"),
            "street": text("street"),
            "address": text("address"),
        },
        "case_type": text("case_type"),
        "category": text("category"),
        "urgency": text("urgency") or "normal",
        "title": text("title"),
        "content": text("content"),
        "outcome": outcome,
    }


def field_errors(err: ValidationError) -> dict[str, str]:
    """Each bad field's message, keyed by the form field that holds it."""
    names = {
        "caller.name": "caller_name",
        "caller.phones.0": "caller_phone",
        "location.district": "district",
        "location.street": "street",
        "location.address": "address",
        "outcome.answer": "answer",
        "outcome.reason": "not_accepted_reason",
        "outcome.proper_route": "proper_route",
        "outcome.line": "line",
        "outcome.department": "three_way_department",
        "outcome.officer": "officer",
        "outcome.lead_department": "lead_department",
    }
    found: dict[str, str] = {}
    for error in err.errors():
        path = ".".join(str(part) for part in error["loc"])
        path = path.replace(".dispatch.", ".").replace(".direct_answer.", ".")
        for kind in ("not_accepted", "emergency_handoff", "three_way_call"):
            path = path.replace(f".{kind}.", ".")
        field = names.get(path, path)
        found.setdefault(field, "必填" if error["type"] == "missing" else error["msg"])
    return found


@router.post("/intake")
async def intake_submit(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    require(session, Action.INTAKE)
    form = await posted(request, session)
    context = get_context(request)
    try:
        intake = case_service.IntakeRequest.model_validate(intake_record(form, session.user.id))
    except ValidationError as err:
        return await run_in_threadpool(
            _form_page, request, session, form, field_errors(err), "", 422
        )
    try:
        view = await case_service.open_case(
            context.client, context.sessions, intake, context.task_queue
        )
    except CaseActionError as err:
        return await run_in_threadpool(_form_page, request, session, form, None, str(err), 409)
    except RefusedError as err:
        return await run_in_threadpool(_form_page, request, session, form, None, str(err), 422)
    return page(request, session, "intake_done.html", view=view)


@router.get("/intake/suggestion")
async def suggestion(
    request: Request,
    session: Annotated[ConsoleSession, Depends(signed_in)],
    category: str = "",
    district: str = "",
) -> HTMLResponse:
    """The catalogue's suggested lead for the form's category and district (a fragment)."""
    require(session, Action.INTAKE)
    context = get_context(request)
    lead = None
    if category.strip() and district.strip():
        lead = await run_in_threadpool(
            suggested_lead, context, category.strip()[:128], district.strip()[:64]
        )
    names = await run_in_threadpool(department_names, context.sessions)
    return html("suggestion.html", lead=lead, names=names)

"""The operator's intake form (受理) and its outcome: `services.cases.open_case`, as the API.

The form carries a request id made when it was drawn, so submitting it twice (a reload, a
double click) opens one case. Bad input re-draws the form with each field's error beside it.
Every outcome of the standard is on the form: dispatch (with the catalogue's suggested lead and
assisting departments a click away), direct answer naming knowledge articles, three-way call,
emergency hand-off, not accepted with its reason, and merge into an open case (a possible
duplicate's button). The page beside the form (`api.console.intake_assist`) shows knowledge
answers, duplicates and the wording check while the operator types. After the submit the
operator reads out the case number, the retrieval code and the expected reply time; the page
is the POST's answer, so the code is never in a URL.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from activities.store import route_case
from api.console import intake_assist
from api.console.forms import NEEDS_LEAD
from api.console.render import html, page
from api.console.web import posted, require, signed_in
from api.context import ApiContext, get_context
from api.open311.queries import catalogue_categories, department_names, districts
from models.enums import CaseType, EmergencyLine, NotAcceptedReason, Urgency
from models.errors import CaseActionError, RefusedError
from models.records import Route, RouteRequest
from rules.dispatch import AssistingWithoutLeadError
from rules.permissions import Action
from services import cases as case_service
from services.cases import ForbiddenWordingError, IntakeArticlesError
from services.console_auth import ConsoleSession
from services.intake_phrases import intake_script
from services.intake_receipt import intake_receipt

router = APIRouter(include_in_schema=False)
router.include_router(intake_assist.router)

OUTCOME_KEYS: tuple[tuple[str, str, str], ...] = (
    ("dispatch", "派单", "P"),
    ("direct_answer", "直接答复", "A"),
    ("three_way_call", "三方通话", "S"),
    ("emergency_handoff", "转应急", "J"),
    ("not_accepted", "不予受理", "B"),
    ("merge", "并入已有案件", "M"),
)
"""(outcome, its name, its Alt+ key): the form's radios and the shortcuts' help."""
_LIST_SEPARATORS = re.compile(r"[\s,，、;；]+")


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


def suggested_route(context: ApiContext, category: str, district: str) -> Route | None:
    """The catalogue's route (lead and assisting) for a category and district; None: no route."""
    try:
        return route_case(context.sessions, RouteRequest(category=category, district=district))
    except RefusedError:
        return None


def suggested_lead(context: ApiContext, category: str, district: str) -> str | None:
    """The catalogue's lead department for a category and district (None: no route)."""
    found = suggested_route(context, category, district)
    return found.lead_department if found else None


def _form_page(
    request: Request,
    session: ConsoleSession,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HTMLResponse:
    context = get_context(request)
    return page(
        request,
        session,
        "intake.html",
        status,
        values=values,
        errors=errors or {},
        refusal=refusal,
        choices=_choices(context),
        outcomes=OUTCOME_KEYS,
        script=intake_script(context.sessions),
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


def listed(text: str | None) -> list[str]:
    """The items of a field typed as a list (`12, 15`, `12，15`, one per line)."""
    return [item for item in _LIST_SEPARATORS.split(text or "") if item]


def intake_record(
    form: dict[str, str], operator: str, assisting: list[str] | None = None
) -> dict[str, Any]:
    """The intake request's fields from the form (pydantic checks them). A duplicate's
    "merge" button (`merge_into`) makes the outcome a merge into that case."""

    def text(name: str) -> str | None:
        return form.get(name, "").strip() or None

    kind = "merge" if text("merge_into") else form.get("outcome", "dispatch")
    outcome: dict[str, Any] = {"kind": kind}
    if kind == "dispatch":
        outcome["lead_department"] = text("lead_department")
        outcome["assisting_departments"] = assisting or []
    elif kind == "direct_answer":
        outcome |= {"answer": text("answer"), "articles": listed(text("articles"))}
    elif kind == "not_accepted":
        outcome |= {"reason": text("not_accepted_reason"), "proper_route": text("proper_route")}
    elif kind == "emergency_handoff":
        outcome["line"] = text("line")
    elif kind == "three_way_call":
        outcome |= {"department": text("three_way_department"), "officer": text("officer")}
    elif kind == "merge":
        outcome["master_case_no"] = text("merge_into") or text("master_case_no")
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


FIELD_NAMES = {
    "caller.name": "caller_name",
    "caller.phones.0": "caller_phone",
    "location.district": "district",
    "location.street": "street",
    "location.address": "address",
    "outcome.answer": "answer",
    "outcome.articles": "articles",
    "outcome.reason": "not_accepted_reason",
    "outcome.proper_route": "proper_route",
    "outcome.line": "line",
    "outcome.department": "three_way_department",
    "outcome.officer": "officer",
    "outcome.lead_department": "lead_department",
    "outcome.assisting_departments": "assisting_departments",
    "outcome.master_case_no": "master_case_no",
}
"""The intake record's field paths and the form fields that hold them."""


def field_errors(err: ValidationError) -> dict[str, str]:
    """Each bad field's message, keyed by the form field that holds it."""
    found: dict[str, str] = {}
    for error in err.errors():
        path = ".".join(str(part) for part in error["loc"])
        for kind in (
            "dispatch",
            "direct_answer",
            "not_accepted",
            "emergency_handoff",
            "three_way_call",
            "merge",
        ):
            path = path.replace(f"outcome.{kind}.", "outcome.")
        path = re.sub(r"^(outcome\.(?:articles|assisting_departments))\.\d+$", r"\1", path)
        field = FIELD_NAMES.get(path, path)
        found.setdefault(field, "必填" if error["type"] == "missing" else error["msg"])
    return found


async def _repeated(request: Request, name: str) -> list[str]:
    """Every value of a repeated field of the posted form (checkboxes), blanks left out."""
    body = (await request.body()).decode("utf-8", "replace")
    return [value.strip() for value in parse_qs(body).get(name, []) if value.strip()]


@router.post("/intake")
async def intake_submit(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    require(session, Action.INTAKE)
    form = await posted(request, session)
    assisting = await _repeated(request, "assisting_departments")
    shown: dict[str, Any] = {**form, "assisting_departments": assisting}
    context = get_context(request)
    record = intake_record(form, session.user.id, assisting)
    try:
        intake = case_service.IntakeRequest.model_validate(record)
    except ValidationError as err:
        errors = field_errors(err)
        return await run_in_threadpool(_form_page, request, session, shown, errors, "", 422)
    try:
        view = await case_service.open_case(
            context.client, context.sessions, intake, context.task_queue
        )
    except AssistingWithoutLeadError:
        errors = {"assisting_departments": NEEDS_LEAD + "（或采用目录建议）"}
        return await run_in_threadpool(_form_page, request, session, shown, errors, "", 422)
    except ForbiddenWordingError as err:
        errors = {"answer": f"含服务用语禁用词：{err.listed}"}
        return await run_in_threadpool(_form_page, request, session, shown, errors, "", 422)
    except IntakeArticlesError as err:
        errors = {"articles": "不是已发布的知识库文章：" + "、".join(err.references)}
        return await run_in_threadpool(_form_page, request, session, shown, errors, "", 422)
    except CaseActionError as err:
        return await run_in_threadpool(_form_page, request, session, shown, None, str(err), 409)
    except RefusedError as err:
        return await run_in_threadpool(_form_page, request, session, shown, None, str(err), 422)
    receipt = await intake_receipt(context.client, context.sessions, view.case_no)
    script = await run_in_threadpool(intake_script, context.sessions, view.case_no)
    names = await run_in_threadpool(department_names, context.sessions)
    return page(
        request,
        session,
        "intake_done.html",
        view=view,
        receipt=receipt,
        script=script,
        outcome=intake.outcome.kind,
        names=names,
    )


@router.get("/intake/suggestion")
async def suggestion(
    request: Request,
    session: Annotated[ConsoleSession, Depends(signed_in)],
    category: str = "",
    district: str = "",
) -> HTMLResponse:
    """The catalogue's suggested lead and assisting departments for the form's category and
    district (a fragment, with a button that puts them into the form)."""
    require(session, Action.INTAKE)
    context = get_context(request)
    found = None
    if category.strip() and district.strip():
        found = await run_in_threadpool(
            suggested_route, context, category.strip()[:128], district.strip()[:64]
        )
    names = await run_in_threadpool(department_names, context.sessions)
    return html("suggestion.html", route=found, names=names)

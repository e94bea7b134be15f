"""One case's page for every role, and the steps its forms post.

The page reads the case from its workflow (`services.cases.show`) and shows it as the reader's
audience may see it (`rules.disclosure`), logging the personal data shown (`services.access_log`)
exactly as `GET /cases/{no}` does. A case a department does not hold is the same 404 page as a
case that does not exist. The page offers the forms of every step of the step table the
reader may take (`api.console.forms`), each review with what it decides on beside it
(`api.console.case_reviews`), and the clocks and timeline in plain Chinese
(`api.console.case_timeline`). A step runs through the step table (`services.steps.perform`);
a refused step re-draws the page with the refusal, and the case stays as it was.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.console.case_reviews import reviews
from api.console.case_timeline import clock_rows, told
from api.console.forms import (
    NEEDS_LEAD,
    REPEATED_FIELDS,
    TITLES,
    own_assignment,
    step_forms,
    step_values,
)
from api.console.intake import suggested_lead
from api.console.render import page
from api.console.web import PageForbidden, PageNotFound, posted, require, signed_in
from api.context import ApiContext, get_context
from api.open311.queries import department_names
from models.commands import MAX_EXTENSION_WORKING_DAYS, EscalationRequest
from models.errors import CaseActionError, CaseNotFoundError
from models.intake import CASE_NO_PATTERN
from models.timestamps import BEIJING
from rules.dispatch import AssistingWithoutLeadError
from rules.permissions import Action, Principal, acts_as_itself, allowed
from services import cases as case_service
from services.case_access import may_see
from services.case_reading import read_case
from services.cases import ForbiddenWordingError
from services.console_auth import ConsoleSession
from services.notice_delivery import CaseNotice, case_notices
from services.steps import STEPS, perform

router = APIRouter(include_in_schema=False)

CaseNo = Annotated[str, Path(pattern=CASE_NO_PATTERN)]
PURPOSE = "console case handling"
STEP_BY_NAME = {step.name: step for step in STEPS}
ROUTING_STEPS = ("dispatch", "return-review")
"""Steps whose form names a department: the page offers the catalogue's suggestion."""


async def visible(context: ApiContext, session: ConsoleSession, case_no: str) -> None:
    if not await run_in_threadpool(may_see, context.sessions, session.user.principal, case_no):
        raise PageNotFound


async def case_page(
    request: Request,
    session: ConsoleSession,
    case_no: str,
    *,
    refusal: str = "",
    errors: dict[str, str] | None = None,
    failed_step: str = "",
    submitted: dict[str, str] | None = None,
    status: int = 200,
    done: str = "",
) -> HTMLResponse:
    """The case as the reader may see it, with the forms of the steps their role may take."""
    context = get_context(request)
    await visible(context, session, case_no)
    try:
        state = await case_service.show(context.client, case_no)
    except CaseNotFoundError as err:
        raise PageNotFound from err
    principal = session.user.principal
    reading = await run_in_threadpool(
        read_case, context.sessions, principal, case_no, state, PURPOSE
    )
    shown = reading.state
    forms = step_forms(shown, principal)
    departments = await run_in_threadpool(department_names, context.sessions)
    notices = await run_in_threadpool(notices_seen, context, principal, case_no)
    suggested = None
    if any(form.name in ROUTING_STEPS for form in forms):
        suggested = await run_in_threadpool(
            suggested_lead, context, state.intake.category, state.intake.location.district
        )
    return page(
        request,
        session,
        "case.html",
        status,
        case_no=case_no,
        state=shown,
        masked=reading.caller_masked,
        caller_hidden=not reading.personal_data_included,
        forms=forms,
        own=own_assignment(shown, principal),
        reviews=reviews(shown),
        max_extension_days=MAX_EXTENSION_WORKING_DAYS,
        timeline=told(shown, departments),
        clocks=clock_rows(shown, departments),
        departments=departments,
        notices=notices,
        suggested=suggested,
        may_escalate=allowed(principal.role, Action.ESCALATE) and shown.status.value != "closed",
        may_audit=allowed(principal.role, Action.READ_ACCESS_LOG),
        refusal=refusal,
        errors=errors or {},
        failed_step=failed_step,
        submitted=submitted or {},
        page_id=uuid.uuid4().hex,
        done=done,
        done_title=TITLES.get(done, "督办" if done == "escalate" else done),
    )


def notices_seen(
    context: ApiContext, principal: Principal, case_no: str
) -> list[CaseNotice] | None:
    """The case's notices as the reader may see them (the rule of `GET /cases/{no}/notices`);
    None for a role that may not read them."""
    if not allowed(principal.role, Action.READ_NOTICES):
        return None
    try:
        return case_notices(context.sessions, case_no, principal, PURPOSE)
    except CaseNotFoundError:  # the projection row is written just after the intake
        return []


async def repeated_fields(request: Request) -> dict[str, list[str]]:
    """Every value of the form's list fields (a checkbox group posts one value per box)."""
    body = (await request.body()).decode("utf-8", "replace")
    found = parse_qs(body, keep_blank_values=False)
    return {name: found[name] for name in REPEATED_FIELDS if name in found}


@router.get("/case/{case_no}")
async def show_case(
    case_no: CaseNo,
    request: Request,
    session: Annotated[ConsoleSession, Depends(signed_in)],
    done: str = "",
) -> HTMLResponse:
    require(session, Action.READ_CASE)
    return await case_page(request, session, case_no, done=done[:32])


@router.post("/case/{case_no}/steps/{name}")
async def take_step(
    case_no: CaseNo,
    name: str,
    request: Request,
    session: Annotated[ConsoleSession, Depends(signed_in)],
) -> Response:
    form = await posted(request, session)
    step = STEP_BY_NAME.get(name)
    if step is None:
        raise PageNotFound
    require(session, step.permission)
    principal = session.user.principal
    values = step_values(step, form, principal, await repeated_fields(request))
    if not acts_as_itself(principal, values.get("department")):
        raise PageForbidden
    context = get_context(request)
    await visible(context, session, case_no)
    try:
        command = step.build(values | {"by": principal.user_id})
        await perform(
            context.client, context.sessions, step, case_no, command, form.get("request_id") or None
        )
    except ValidationError as err:
        errors = {".".join(map(str, e["loc"])): e["msg"] for e in err.errors()}
        return await case_page(
            request,
            session,
            case_no,
            errors=errors,
            failed_step=name,
            submitted=form,
            status=422,
            refusal="请更正标出的内容。",
        )
    except AssistingWithoutLeadError:
        return await case_page(
            request,
            session,
            case_no,
            errors={"assisting_departments": NEEDS_LEAD},
            failed_step=name,
            submitted=form,
            status=422,
            refusal="请更正标出的内容。",
        )
    except ForbiddenWordingError as err:
        return await case_page(
            request,
            session,
            case_no,
            errors={"content": f"禁用语：{err.listed}"},
            failed_step=name,
            submitted=form,
            status=422,
            refusal="答复中含有禁用语，未提交。",
        )
    except CaseNotFoundError as err:
        raise PageNotFound from err
    except CaseActionError as err:
        return await case_page(request, session, case_no, refusal=str(err), status=409)
    return RedirectResponse(f"/case/{case_no}?done={name}", status_code=303)


@router.post("/case/{case_no}/escalate")
async def escalate(
    case_no: CaseNo,
    request: Request,
    session: Annotated[ConsoleSession, Depends(signed_in)],
) -> Response:
    form = await posted(request, session)
    require(session, Action.ESCALATE)
    context = get_context(request)
    await visible(context, session, case_no)
    values: dict[str, Any] = {
        "level": form.get("level", ""),
        "note": form.get("note", "").strip(),
        "by": session.user.id,
    }
    if form.get("deadline"):
        try:
            values["deadline"] = datetime.fromisoformat(form["deadline"]).replace(tzinfo=BEIJING)
        except ValueError:
            values["deadline"] = form["deadline"]
    try:
        request_model = EscalationRequest.model_validate(values)
        await case_service.escalate(context.client, case_no, request_model)
    except ValidationError as err:
        errors = {".".join(map(str, e["loc"])): e["msg"] for e in err.errors()}
        return await case_page(
            request,
            session,
            case_no,
            errors=errors,
            failed_step="escalate",
            status=422,
            refusal="请更正标出的内容。",
        )
    except CaseNotFoundError as err:
        raise PageNotFound from err
    except CaseActionError as err:
        return await case_page(request, session, case_no, refusal=str(err), status=409)
    return RedirectResponse(f"/case/{case_no}?done=escalate", status_code=303)

"""Cases: intake, the filtered list (from the SQL projection) and one case in full.

Lists read the projection table, indexed and keyset-paginated, so they stay fast on millions of
cases; one case is read from its workflow, the live truth. A caller's personal data is returned
only to roles allowed to read it, masked for departments on confidential cases, and every such
read is written to the access log.
"""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from activities.store import retrieval_code
from api.auth import require
from api.case_access import ensure_visible
from api.context import ApiContext, get_context
from api.problems import Problem
from api.refusals import refused
from db.tables import CaseRow
from models.enums import CaseStatus, CaseType, Urgency
from models.errors import CaseActionError
from models.intake import CASE_NO_PATTERN, IntakeRecord
from models.state import CaseState, CaseView
from models.text import PRINTABLE, check_text
from models.timestamps import QueryDateTime
from rules.disclosure import (
    may_see_retrieval_code,
)
from rules.dispatch import AssistingWithoutLeadError
from rules.permissions import Action, Principal
from services import case_audit, case_list
from services import cases as case_service
from services.case_list import CaseFilter, CasePage, CursorError
from services.case_reading import read_case

router = APIRouter(prefix="/cases", tags=["cases"])

CaseNo = Annotated[str, Path(pattern=CASE_NO_PATTERN, description="e.g. GY20261128-000123")]
MAX_PAGE = 100


class IntakeBody(IntakeRecord):
    """One contact as the operator records it; the operator is the token's user."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str | None = Field(  # type: ignore[assignment]
        default=None, min_length=1, max_length=64, description="or the Idempotency-Key header"
    )
    operator_id: str | None = Field(  # type: ignore[assignment]
        default=None, description="ignored: the operator is the authenticated user"
    )


class IntakeAnswer(CaseView):
    """The intake's answer; to the operator who took the call, the retrieval code too."""

    retrieval_code: str | None = Field(
        default=None,
        description="the citizen's progress-lookup code, for the operator who took the call to "
        "read out (the receipt SMS carries it too); in no other answer",
    )


@router.post("", status_code=201, response_model=IntakeAnswer, summary="Intake (受理)")
async def intake(
    body: IntakeBody,
    response: Response,
    principal: Annotated[Principal, Depends(require(Action.INTAKE))],
    context: Annotated[ApiContext, Depends(get_context)],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=64)] = None,
) -> IntakeAnswer:
    request_id = idempotency_key or body.request_id or uuid.uuid4().hex
    request = case_service.IntakeRequest.model_validate(
        body.model_dump() | {"request_id": request_id, "operator_id": principal.user_id}
    )
    try:
        view = await case_service.open_case(
            context.client, context.sessions, request, context.task_queue
        )
    except case_service.IntakeArticlesError as err:
        errors = [
            {"field": field, "rule": "published_article", "message": "not a published article"}
            for field in err.fields
        ]
        raise Problem(422, str(err), errors=errors) from err
    except AssistingWithoutLeadError as err:
        errors = [
            {"field": "outcome.assisting_departments", "rule": "needs_lead", "message": str(err)}
        ]
        raise Problem(422, str(err), errors=errors) from err
    except case_service.ForbiddenWordingError as err:
        errors = [{"field": "outcome.answer", "rule": "forbidden_wording", "message": err.listed}]
        raise Problem(422, str(err), errors=errors) from err
    except CaseActionError as err:
        raise Problem(409, str(err)) from err
    response.headers["Location"] = f"/cases/{view.case_no}"
    code = await run_in_threadpool(_intake_code, context, view.case_no, principal.user_id)
    return IntakeAnswer(**view.model_dump(), retrieval_code=code)


def _intake_code(context: ApiContext, case_no: str, reader: str) -> str | None:
    """The retrieval code, if `reader` is the operator who took the call."""
    with context.sessions() as session:
        operator = session.scalar(select(CaseRow.operator_id).where(CaseRow.case_no == case_no))
    if not may_see_retrieval_code(intake_operator=operator, reader=reader):
        return None
    return retrieval_code(context.sessions, case_no)


@router.get("", response_model=CasePage, summary="List and filter cases")
async def list_cases(
    principal: Annotated[Principal, Depends(require(Action.LIST_CASES))],
    context: Annotated[ApiContext, Depends(get_context)],
    status: Annotated[list[CaseStatus] | None, Query()] = None,
    department: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9-]+$")] = None,
    case_type: Annotated[list[CaseType] | None, Query()] = None,
    urgency: Annotated[list[Urgency] | None, Query()] = None,
    district: Annotated[str | None, Query(max_length=64, pattern=PRINTABLE)] = None,
    overdue: bool | None = None,
    min_escalation_level: Annotated[int | None, Query(ge=0, le=3)] = None,
    due_after: QueryDateTime | None = None,
    due_before: QueryDateTime | None = None,
    q: Annotated[
        str | None, Query(max_length=64, pattern=PRINTABLE, description="text in the title")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CasePage:
    wanted = CaseFilter(
        status=tuple(status or ()),
        department=department,
        case_type=tuple(case_type or ()),
        urgency=tuple(urgency or ()),
        district=district,
        overdue=overdue,
        min_escalation_level=min_escalation_level,
        due_after=due_after,
        due_before=due_before,
        title_contains=q,
    )
    try:
        return await run_in_threadpool(
            case_list.list_cases,
            context.sessions,
            wanted,
            reader=principal,
            limit=limit,
            cursor=cursor,
        )
    except CursorError as err:
        message = str(err)
        raise Problem(
            422,
            f"query.cursor: {message}",
            errors=[{"field": "query.cursor", "rule": err.rule, "message": message}],
        ) from err


class CaseDetail(BaseModel):
    """The whole case with its timeline; the caller as the reader may see it."""

    state: CaseState
    caller_masked: bool
    personal_data_included: bool


@router.get("/{case_no}", response_model=CaseDetail, summary="One case in full")
async def show_case(
    case_no: CaseNo,
    principal: Annotated[Principal, Depends(require(Action.READ_CASE))],
    context: Annotated[ApiContext, Depends(get_context)],
    purpose: Annotated[
        str,
        Header(
            alias="X-Access-Purpose",
            max_length=600,
            description="why (for the access log); UTF-8 percent-encoded if not ASCII",
        ),
    ] = "case handling",
) -> CaseDetail:
    await ensure_visible(context, principal, case_no)
    try:
        state = await case_service.show(context.client, case_no)
    except CaseActionError as err:
        raise await refused(context, case_no, err) from err
    reading = await run_in_threadpool(
        read_case, context.sessions, principal, case_no, state, access_purpose(purpose)
    )
    return CaseDetail(
        state=reading.state,
        caller_masked=reading.caller_masked,
        personal_data_included=reading.personal_data_included,
    )


def access_purpose(raw: str) -> str:
    """The reason given in X-Access-Purpose (UTF-8 percent-encoded if not ASCII)."""
    purpose = unquote(raw).strip()
    if not purpose:
        raise Problem(422, "X-Access-Purpose: say why the caller's data is read")
    try:
        check_text(purpose)
    except ValueError as err:
        raise Problem(422, f"X-Access-Purpose: {err}") from err
    return purpose[:200]


@router.get("/{case_no}/export", response_model=CaseState, summary="Export one case (auditors)")
async def export_case(
    case_no: CaseNo,
    response: Response,
    principal: Annotated[Principal, Depends(require(Action.EXPORT))],
    context: Annotated[ApiContext, Depends(get_context)],
    purpose: Annotated[
        str,
        Header(alias="X-Access-Purpose", max_length=600, description="why (for the access log)"),
    ] = "audit",
) -> CaseState:
    """The complete record, personal data included, as a download; logged as an export."""
    try:
        state = await case_service.show(context.client, case_no)
    except CaseActionError as err:
        raise await refused(context, case_no, err) from err
    exported = await run_in_threadpool(
        case_audit.export_case,
        context.sessions,
        principal,
        case_no,
        state,
        access_purpose(purpose),
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{case_no}.json"'
    return exported

"""The auditor's pages: search any case, one case's audit page with replay, hash-chain check and
export; the record sheet (`audit_record`) and the access log (`audit_log_pages`) beside them.

Every page needs `read_access_log` (auditors, administrators); the export needs `export`
(auditors only). The search is the one case list (`services.case_list`); replay, the chain check
and the export are `services.case_audit`, the same code as `hotline audit replay|verify` and
`GET /cases/{no}/export`. A check's result is one plain sentence, the detail folded below it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console import audit_log_pages, audit_record
from api.console.audit_filters import FormError, case_search
from api.console.audit_words import (
    Verdict,
    chain_verdict,
    missing_history_verdict,
    replay_verdict,
)
from api.console.render import page
from api.console.stages import list_stage
from api.console.web import PageNotFound, may, posted, require, signed_in
from api.context import get_context
from api.open311.queries import department_names, districts
from audit.sources import HistoryNotFoundError
from models.enums import CaseStatus, CaseType, Urgency
from models.errors import CaseNotFoundError
from models.intake import CASE_NO_PATTERN
from models.text import check_text
from rules.permissions import Action
from services import case_audit
from services import cases as case_service
from services.case_list import CaseFilter, CaseSummary, CursorError, list_cases
from services.console_auth import ConsoleSession

router = APIRouter(include_in_schema=False)
router.include_router(audit_record.router)
router.include_router(audit_log_pages.router)

CaseNo = Annotated[str, Path(pattern=CASE_NO_PATTERN)]
PAGE_SIZE = 50
MAX_PURPOSE = 200
EXPORT_PURPOSE = "审计导出"


async def summary_of(request: Request, session: ConsoleSession, case_no: str) -> CaseSummary:
    """The case's list row (no personal data); the 404 page if there is no such case."""
    found = await run_in_threadpool(
        list_cases,
        get_context(request).sessions,
        CaseFilter(case_no=case_no),
        reader=session.user.principal,
        limit=1,
    )
    if not found.items:
        raise PageNotFound
    return found.items[0]


@router.get("/audit")
async def audit_search(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    require(session, Action.READ_ACCESS_LOG)
    context = get_context(request)
    form = dict(request.query_params)
    errors: dict[str, str] = {}
    summaries: list[CaseSummary] = []
    next_url = ""
    kept = {k: v for k, v in form.items() if v and k != "cursor"}
    try:
        found = await run_in_threadpool(
            list_cases,
            context.sessions,
            case_search(form),
            reader=session.user.principal,
            limit=PAGE_SIZE,
            cursor=form.get("cursor") or None,
        )
        summaries = found.items
        if found.next_cursor:
            next_url = "/audit?" + urlencode(kept | {"cursor": found.next_cursor})
    except FormError as err:
        errors = err.errors
    except CursorError:
        errors = {"cursor": "不是本页给出的翻页位置"}
    return page(
        request,
        session,
        "audit_search.html",
        422 if errors else 200,
        form=form,
        errors=errors,
        rows=[(case, list_stage(case)) for case in summaries],
        next_url=next_url,
        first_page=not form.get("cursor"),
        first_url="/audit?" + urlencode(kept),
        departments=await run_in_threadpool(department_names, context.sessions),
        districts=await run_in_threadpool(districts, context.sessions),
        statuses=list(CaseStatus),
        case_types=list(CaseType),
        urgencies=list(Urgency),
    )


async def audit_case_page(
    request: Request,
    session: ConsoleSession,
    case_no: str,
    *,
    verdict: Verdict | None = None,
    checked: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    case = await summary_of(request, session, case_no)
    return page(
        request,
        session,
        "audit_case.html",
        status,
        case=case,
        stage=list_stage(case),
        verdict=verdict,
        checked=checked,
        errors=errors or {},
        may_export=may(session, Action.EXPORT),
        export_purpose=EXPORT_PURPOSE,
    )


@router.get("/audit/case/{case_no}")
async def audit_case(
    case_no: CaseNo, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    require(session, Action.READ_ACCESS_LOG)
    return await audit_case_page(request, session, case_no)


@router.post("/audit/case/{case_no}/replay")
async def replay(
    case_no: CaseNo, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    await posted(request, session)
    require(session, Action.READ_ACCESS_LOG)
    await summary_of(request, session, case_no)
    context = get_context(request)
    try:
        replayed = await case_audit.replay_case(context.client, context.sessions, case_no)
        verdict = replay_verdict(replayed)
    except HistoryNotFoundError as err:
        verdict = missing_history_verdict(str(err))
    return await audit_case_page(request, session, case_no, verdict=verdict, checked="replay")


@router.post("/audit/case/{case_no}/verify")
async def verify(
    case_no: CaseNo, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    await posted(request, session)
    require(session, Action.READ_ACCESS_LOG)
    await summary_of(request, session, case_no)
    report = await run_in_threadpool(
        case_audit.verify_case_chain, get_context(request).sessions, case_no
    )
    verdict = chain_verdict(report)
    return await audit_case_page(request, session, case_no, verdict=verdict, checked="verify")


@router.post("/audit/case/{case_no}/export")
async def export(
    case_no: CaseNo, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    """The complete record as a JSON download, logged as an export (as the API's export)."""
    form = await posted(request, session)
    require(session, Action.EXPORT)
    await summary_of(request, session, case_no)
    purpose = form.get("purpose", "").strip()
    try:
        check_text(purpose)
        if not purpose or len(purpose) > MAX_PURPOSE:
            raise ValueError(purpose)
    except ValueError:
        why = f"请说明导出用途（1 至 {MAX_PURPOSE} 个字符，不含控制字符）"
        return await audit_case_page(request, session, case_no, errors={"purpose": why}, status=422)
    context = get_context(request)
    try:
        state = await case_service.show(context.client, case_no)
    except CaseNotFoundError as err:
        raise PageNotFound from err
    exported = await run_in_threadpool(
        case_audit.export_case,
        context.sessions,
        session.user.principal,
        case_no,
        state,
        f"{purpose}（工作台导出）",
    )
    return Response(
        exported.model_dump_json(indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{case_no}.json"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )

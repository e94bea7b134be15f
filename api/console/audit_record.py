"""The case information record sheet (案件信息记录单): every field of the case's record, printable.

The case is read from its workflow and shown through the one disclosure rule
(`services.case_reading.read_case`, as `GET /cases/{no}` does): an auditor sees the caller in
full and the reading goes to the access log; an administrator, who may not read personal data,
sees no caller and nothing is logged. Every deadline computed over the case's life comes from its
history (`services.case_audit.history_facts`), with that history's cross-check against the SQL
log. The page prints on A4 with `audit.css`'s print sheet.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.console.audit_labels import NAMES, detail_text
from api.console.audit_words import mismatch_words, origin_words
from api.console.render import page
from api.console.web import PageNotFound, now, require, signed_in
from api.context import get_context
from api.open311.queries import department_names
from models.errors import CaseNotFoundError
from models.intake import CASE_NO_PATTERN
from rules.permissions import Action
from services import case_audit
from services import cases as case_service
from services.case_access import may_see
from services.case_reading import read_case
from services.console_auth import ConsoleSession

router = APIRouter(include_in_schema=False)

CaseNo = Annotated[str, Path(pattern=CASE_NO_PATTERN)]
PURPOSE = "审计：查阅案件信息记录单"


@router.get("/audit/case/{case_no}/record")
async def record_sheet(
    case_no: CaseNo, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    require(session, Action.READ_ACCESS_LOG)
    context = get_context(request)
    principal = session.user.principal
    if not await run_in_threadpool(may_see, context.sessions, principal, case_no):
        raise PageNotFound
    try:
        state = await case_service.show(context.client, case_no)
    except CaseNotFoundError as err:
        raise PageNotFound from err
    reading = await run_in_threadpool(
        read_case, context.sessions, principal, case_no, state, PURPOSE
    )
    history = await case_audit.history_facts(context.client, context.sessions, case_no)
    return page(
        request,
        session,
        "record_sheet.html",
        case_no=case_no,
        state=reading.state,
        masked=reading.caller_masked,
        caller_hidden=not reading.personal_data_included,
        departments=await run_in_threadpool(department_names, context.sessions),
        names=NAMES,
        detail_text=detail_text,
        history=history,
        history_origin=origin_words(history.origin),
        mismatch_words=mismatch_words,
        printed_at=now(),
    )

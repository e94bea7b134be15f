"""The access log of personal data, for auditors and administrators: of all cases and of one.

Who read or exported which fields of which case, when and why (`services.access_log`, as
`GET /access-log`), newest first, filtered by user and Beijing days, in keyset pages of 50.
The log names fields, never their values, so these pages show no personal data.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.console.audit_filters import FormError, LogQuery, log_cursor, log_query
from api.console.audit_labels import NAMES
from api.console.render import page
from api.console.web import require, signed_in
from api.context import get_context
from models.intake import CASE_NO_PATTERN
from rules.permissions import Action
from services.access_log import AccessEntry, access_entries
from services.console_auth import ConsoleSession

router = APIRouter(include_in_schema=False)

CaseNo = Annotated[str, Path(pattern=CASE_NO_PATTERN)]
PAGE_SIZE = 50


async def log_page(request: Request, session: ConsoleSession, case_no: str | None) -> HTMLResponse:
    require(session, Action.READ_ACCESS_LOG)
    form = dict(request.query_params)
    errors: dict[str, str] = {}
    entries: list[AccessEntry] = []
    next_url = ""
    kept = {k: v for k, v in form.items() if v and k != "cursor"}
    first_url = f"{request.url.path}?{urlencode(kept)}"
    try:
        wanted = log_query(form, case_no)
        entries = await run_in_threadpool(_entries, request, wanted)
    except FormError as err:
        errors = err.errors
    if len(entries) > PAGE_SIZE:
        entries = entries[:PAGE_SIZE]
        last = entries[-1]
        cursor = {"cursor": log_cursor(last.at, last.id)}
        next_url = f"{request.url.path}?{urlencode(kept | cursor)}"
    return page(
        request,
        session,
        "audit_access_log.html",
        422 if errors else 200,
        case_no=case_no,
        form=form,
        errors=errors,
        entries=entries,
        next_url=next_url,
        first_page=not form.get("cursor"),
        first_url=first_url,
        names=NAMES,
    )


def _entries(request: Request, wanted: LogQuery) -> list[AccessEntry]:
    """One page and one entry more (to know whether a next page exists)."""
    return access_entries(
        get_context(request).sessions,
        case_no=wanted.case_no,
        user_id=wanted.user_id,
        since=wanted.since,
        until=wanted.until,
        before=wanted.before,
        limit=PAGE_SIZE + 1,
    )


@router.get("/audit/access-log")
async def global_log(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    return await log_page(request, session, None)


@router.get("/audit/case/{case_no}/access-log")
async def case_log(
    case_no: CaseNo, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    return await log_page(request, session, case_no)

"""Call records of the telephony system: ingest (administrators), links from calls to cases,
and the call indicators. The formats: docs/call-records.md."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import require
from api.context import ApiContext, get_context
from api.problems import PROBLEM_JSON, Problem
from evaluation.call_ingest import (
    CallLink,
    CallLinkError,
    IngestReport,
    ingest_calls,
    link_call,
)
from evaluation.calls import call_summary
from evaluation.telephony import DEFAULT_TIMEZONE, CallFormat
from models.evaluation import CallSummary, Period
from models.intake import CASE_NO_PATTERN
from rules.permissions import Action, Principal
from rules.telephony import TelephonyRulesError
from settings.environment import Settings

router = APIRouter(prefix="/calls", tags=["call records"])

MAX_INGEST_BYTES = 512 * 1024 * 1024
"""Largest file: a busy day's queue_log is some tens of MiB."""
_FILE_BODY = {
    "requestBody": {
        "required": True,
        "description": "the file's bytes as they are (queue_log, Master.csv or the generic CSV)",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
}


class CaseLinkRequest(BaseModel):
    case_no: str = Field(pattern=CASE_NO_PATTERN, examples=["GY20261128-000123"])
    source: str | None = Field(
        default=None, description="the call's source; needed only if several have its id"
    )


@router.post(
    "/ingest",
    response_model=IngestReport,
    openapi_extra=_FILE_BODY,
    responses={
        413: {"description": "the body is larger than 512 MiB", "content": {PROBLEM_JSON: {}}},
        500: {
            "description": "the centre's call direction rules (HOTLINE_TELEPHONY_RULES) are "
            "unusable: nothing written; `detail` names the key",
            "content": {PROBLEM_JSON: {}},
        },
        422: {
            "description": "no line could be read, or a bad source or time zone: nothing "
            "written; `errors` lists the lines",
            "content": {PROBLEM_JSON: {}},
        },
    },
)
async def ingest(
    request: Request,
    principal: Annotated[Principal, Depends(require(Action.INGEST_CALLS))],
    context: Annotated[ApiContext, Depends(get_context)],
    format: Annotated[CallFormat, Query(description="queue_log, cdr or csv")],
    source: Annotated[
        str | None,
        Query(description="the telephony system (default asterisk, or csv for the generic CSV)"),
    ] = None,
    timezone: Annotated[
        str, Query(description="the PBX's local time zone, for Master.csv")
    ] = DEFAULT_TIMEZONE,
    name: Annotated[
        str | None, Query(max_length=255, description="the file's name, for the record")
    ] = None,
) -> IngestReport:
    """Ingest a file of call records; the body is the file as it is.

    200 with the report: the good lines are kept and every bad line is listed in `errors`
    (`line`, `reason`); a file ingested before answers `already_ingested: true` and writes
    nothing. 422 when no line could be read (nothing written).
    """
    data = await _body(request)
    settings = Settings.from_env()  # the centre's files as they are now, as the CLI reads them
    label = name or f"upload-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{format.value}"
    try:
        report = await run_in_threadpool(
            lambda: ingest_calls(
                context.sessions,
                data,
                format,
                name=label,
                by=principal.user_id,
                source=source,
                timezone=timezone,
                caller_key=settings.caller_hash_key,
                rules_file=settings.telephony_rules,
            )
        )
    except TelephonyRulesError as err:
        # The server's configuration, not the request: an administrator must fix the file.
        raise Problem(500, str(err)) from None
    except ValueError as err:
        raise Problem(422, str(err)) from None
    if report.refused:
        raise Problem(
            422,
            report.summary(),
            errors=[error.model_dump() for error in report.errors],
            format=report.format.value,
            lines=report.lines,
        )
    return report


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    limit = f"the file is larger than {MAX_INGEST_BYTES // (1024 * 1024)} MiB"
    if declared.isdigit() and int(declared) > MAX_INGEST_BYTES:
        raise Problem(413, limit)
    received = bytearray()
    async for chunk in request.stream():
        received.extend(chunk)
        if len(received) > MAX_INGEST_BYTES:
            raise Problem(413, limit)
    return bytes(received)


@router.post(
    "/{call_id}/case",
    response_model=CallLink,
    responses={422: {"description": "unknown call or case", "content": {PROBLEM_JSON: {}}}},
)
async def link_case(
    call_id: str,
    body: CaseLinkRequest,
    principal: Annotated[Principal, Depends(require(Action.INGEST_CALLS))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> CallLink:
    """Link a call to a case, replacing any earlier link; 422 for an unknown call or case."""
    try:
        return await run_in_threadpool(
            lambda: link_call(
                context.sessions, call_id, body.case_no, by=principal.user_id, source=body.source
            )
        )
    except CallLinkError as err:
        raise Problem(422, str(err)) from None


@router.get("/summary", response_model=CallSummary)
async def summary(
    principal: Annotated[Principal, Depends(require(Action.READ_EVALUATION))],
    context: Annotated[ApiContext, Depends(get_context)],
    start: Annotated[date, Query(description="first Beijing day")],
    end: Annotated[date, Query(description="last Beijing day, included")],
    queue: Annotated[str | None, Query(description="one queue only")] = None,
) -> CallSummary:
    """The call indicators of the days `start` to `end` (both included, Beijing time): offered,
    answered, abandoned, the connection and 15-second answer rates and the worst 24 hours."""
    if end < start:
        raise Problem(422, f"end: {end} is before start {start}")
    period = Period.days(start, end)
    return await run_in_threadpool(lambda: call_summary(context.sessions, period, queue))

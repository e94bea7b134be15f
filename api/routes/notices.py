"""Notice delivery over HTTP: a case's notices, the supervisors' counts, retrying a dead one.

GET /cases/{case_no}/notices   every reader of the case: its notices and how far each got (a
                               department only its own; another department's case is 404)
GET /notices/summary           supervisors, administrators: pending, held and dead-lettered
POST /notices/{id}/retry       supervisors, administrators: a dead-lettered notice back to
                               pending (409 for any other status, with the status it has)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path
from starlette.concurrency import run_in_threadpool

from api.auth import require
from api.context import ApiContext, get_context
from api.problems import Problem
from api.routes.cases import access_purpose
from models.delivery import DeliveryCounts
from models.errors import CaseNotFoundError
from models.intake import CASE_NO_PATTERN
from rules.permissions import Action, Principal
from services.notice_delivery import (
    PURPOSE,
    CaseNotice,
    NoticeNotFoundError,
    NoticeNotRetryableError,
    case_notices,
    delivery_counts,
    requeue,
)

router = APIRouter(tags=["notices"])
CaseNo = Annotated[str, Path(pattern=CASE_NO_PATTERN, description="e.g. GY20261128-000123")]
NoticeId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the notice's id")]
Context = Annotated[ApiContext, Depends(get_context)]
Manager = Annotated[Principal, Depends(require(Action.MANAGE_NOTICES))]


@router.get(
    "/cases/{case_no}/notices",
    response_model=list[CaseNotice],
    summary="A case's notices and their delivery",
)
async def notices_of_case(
    case_no: CaseNo,
    principal: Annotated[Principal, Depends(require(Action.READ_NOTICES))],
    context: Context,
    purpose: Annotated[
        str,
        Header(
            alias="X-Access-Purpose",
            max_length=600,
            description="why (for the access log, when a masked phone is shown)",
        ),
    ] = PURPOSE,
) -> list[CaseNotice]:
    """Oldest first. The citizen's SMS shows `recipient: "citizen"` and, to the centre's
    readers only, the phone masked (`139****5678`); a department sees only its own notices."""
    try:
        return await run_in_threadpool(
            case_notices, context.sessions, case_no, principal, access_purpose(purpose)
        )
    except CaseNotFoundError as err:
        raise Problem(404, str(err)) from err


@router.get("/notices/summary", response_model=DeliveryCounts, summary="Notices not yet sent")
async def notices_summary(principal: Manager, context: Context) -> DeliveryCounts:
    """Pending (waiting or being sent), held (quiet hours, daily cap) and dead-lettered."""
    return await run_in_threadpool(delivery_counts, context.sessions)


@router.post(
    "/notices/{notice_id}/retry",
    response_model=CaseNotice,
    summary="Retry a dead-lettered notice",
)
async def retry_notice(notice_id: NoticeId, principal: Manager, context: Context) -> CaseNotice:
    """Puts a `dead` notice back to `pending`; the delivery process sends it again under the
    same idempotency key. 409 for a notice in any other status, 404 for no such notice."""
    try:
        return await run_in_threadpool(requeue, context.sessions, notice_id, principal)
    except NoticeNotFoundError as err:
        raise Problem(404, str(err)) from err
    except NoticeNotRetryableError as err:
        raise Problem(409, str(err), notice_status=err.status) from err

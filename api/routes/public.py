"""Citizen progress lookup: case number + retrieval code -> where the case stands.

The answer holds status, expected reply and the public steps only (domain §13): no names, no
phones, no department's words. The code travels in the body, never in the URL. Lookups are
rate-limited per client address across all API processes (`api.rate_limit.RateLimiter`), and
wrong codes are counted per case number across all addresses (`api.rate_limit.LookupGuard`):
an unknown number is answered and counted exactly as a known number with a wrong code, and a
locked number refuses every code for a while.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.context import ApiContext, get_context
from api.problems import Problem
from api.rate_limit import LookupGuard, RateLimiter, Verdict
from db.tables import CaseRow, TransitionRow
from models.actions import Action
from models.intake import CASE_NO_PATTERN

router = APIRouter(prefix="/public", tags=["citizens"])
lookups = RateLimiter(scope="progress-lookup", limit=10, per_seconds=60)
guard = LookupGuard()
NOT_FOUND = "no case with that number and retrieval code"


def lookup_clock() -> datetime:
    """Now, for the lookup guard (a dependency, so a test can move the clock)."""
    return datetime.now(UTC)


STATUS_LABELS = {
    "received": "已受理，待派单",
    "dispatched": "已派单，待承办单位签收",
    "return_review": "重新派单中",
    "handling": "承办单位办理中",
    "replied": "承办单位已答复，中心审核中",
    "callback": "待回访",
    "closed": "已办结",
}
PUBLIC_STEPS: Mapping[str, str] = {
    Action.INTAKE: "受理",
    Action.DISPATCH: "派单",
    Action.SIGN_OFF: "签收",
    Action.RETURN_APPROVED: "重新派单",
    Action.EXTENSION_DECIDED: "延期审核",
    Action.REPLY: "答复",
    Action.REPLY_APPROVED: "答复审核通过",
    Action.REPLY_REJECTED: "退回重新办理",
    Action.REOPEN: "重新办理",
    Action.CALLBACK: "回访",
    Action.WITHDRAW: "撤单",
}


class ProgressQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_no: str = Field(pattern=CASE_NO_PATTERN)
    retrieval_code: str = Field(pattern=r"^\d{6}$")


class PublicNote(BaseModel):
    at: datetime
    step: str


class Progress(BaseModel):
    case_no: str
    status: str
    status_label: str
    expected_reply: datetime | None
    closed_at: datetime | None
    notes: list[PublicNote]


@router.post("/progress", response_model=Progress, dependencies=[Depends(lookups)])
async def progress(
    query: ProgressQuery,
    context: Annotated[ApiContext, Depends(get_context)],
    now: Annotated[datetime, Depends(lookup_clock)],
) -> Progress:
    def read() -> Progress | None:
        attempt = guard.attempt(context.sessions, query.case_no, query.retrieval_code, now)
        if attempt.verdict is Verdict.LOCKED:
            retry = attempt.retry_after
            raise Problem(
                429,
                f"too many wrong codes for this case number; retry in {retry} s",
                retry_after=retry,
            )
        if attempt.verdict is not Verdict.RIGHT:
            return None
        with context.sessions() as session:
            case = session.get(CaseRow, query.case_no)
            if case is None:
                return None
            steps = session.execute(
                select(TransitionRow.at, TransitionRow.action)
                .where(TransitionRow.case_no == query.case_no)
                .order_by(TransitionRow.seq)
            ).all()
        return Progress(
            case_no=case.case_no,
            status=case.status,
            status_label=STATUS_LABELS.get(case.status, case.status),
            expected_reply=None if case.closed_at else case.next_deadline,
            closed_at=case.closed_at,
            notes=[
                PublicNote(at=at, step=PUBLIC_STEPS[action])
                for at, action in steps
                if action in PUBLIC_STEPS
            ],
        )

    found = await run_in_threadpool(read)
    if found is None:
        # One answer for an unknown case and a wrong code: nothing to probe with.
        raise Problem(404, NOT_FOUND)
    return found

"""Department isolation over HTTP: a case a department does not hold answers 404."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from api.context import ApiContext
from api.problems import Problem
from rules.permissions import Principal
from services.case_access import may_see


async def ensure_visible(context: ApiContext, principal: Principal, case_no: str) -> None:
    if not await run_in_threadpool(may_see, context.sessions, principal, case_no):
        raise Problem(404, f"no case {case_no}")

"""Bulk dispatch from the dispatcher's queue: each selected case to the catalogue's suggested lead.

Each case goes through the same dispatch step as the case page (`services.steps.perform` with
the step table's DISPATCH), one after the other, and the workflow's validator decides. What
happened is reported per case: dispatched to whom, refused with the workflow's reason, or no
suggestion in the catalogue. One refused case does not stop the others; a case the reader may
not see is reported as not found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.console.intake import suggested_lead
from api.console.render import page
from api.console.web import posted, require, signed_in
from api.context import ApiContext, get_context
from api.open311.queries import department_names
from models.errors import CaseActionError
from models.intake import CASE_NO_PATTERN
from rules.permissions import Action
from services.case_list import CaseFilter, list_cases
from services.console_auth import ConsoleSession
from services.steps import DISPATCH, perform

router = APIRouter(include_in_schema=False)

MOST_AT_ONCE = 50
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Outcome:
    case_no: str
    result: str  # dispatched | refused | no_suggestion | not_found
    detail: str


RESULT_WORDS = {
    "dispatched": "已派单",
    "refused": "被拒绝",
    "no_suggestion": "目录无建议单位，未派单",
    "not_found": "找不到案件",
}


async def dispatch_one(
    context: ApiContext, session: ConsoleSession, case_no: str, request_id: str
) -> Outcome:
    """Dispatch one case to the catalogue's suggestion, as the case page's dispatch does."""
    found = await run_in_threadpool(
        list_cases,
        context.sessions,
        CaseFilter(case_no=case_no),
        reader=session.user.principal,
        limit=1,
    )
    if not found.items:
        return Outcome(case_no, "not_found", "没有这个案件，或您无权查看")
    case = found.items[0]
    lead = await run_in_threadpool(suggested_lead, context, case.category, case.district)
    if lead is None:
        return Outcome(
            case_no, "no_suggestion", f"分类“{case.category}”在{case.district}无派单目录"
        )
    try:
        command = DISPATCH.build({"by": session.user.id, "lead_department": lead})
        await perform(
            context.client,
            context.sessions,
            DISPATCH,
            case_no,
            command,
            f"bulk-{request_id}-{case_no}",
        )
    except (CaseActionError, ValidationError) as err:
        return Outcome(case_no, "refused", str(err).splitlines()[0])
    return Outcome(case_no, "dispatched", lead)


@router.post("/queue/bulk-dispatch")
async def bulk_dispatch(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    form = await posted(request, session)
    require(session, Action.DISPATCH)
    body = (await request.body()).decode("utf-8", "replace")
    chosen = list(dict.fromkeys(v for k, v in parse_qsl(body) if k == "case"))
    request_id = form.get("request_id", "")
    error = ""
    if not chosen:
        error = "请先勾选要派单的案件。"
    elif len(chosen) > MOST_AT_ONCE:
        error = f"一次最多派 {MOST_AT_ONCE} 件。"
    elif any(not re.fullmatch(CASE_NO_PATTERN, no) for no in chosen):
        error = "案件编号格式不对。"
    elif not REQUEST_ID.match(request_id):
        error = "表单已失效，请刷新页面后重试。"
    if error:
        return page(request, session, "error.html", 422, heading="未能派单", message=error)
    context = get_context(request)
    outcomes = [await dispatch_one(context, session, no, request_id) for no in chosen]
    names = await run_in_threadpool(department_names, context.sessions)
    return page(
        request,
        session,
        "bulk_result.html",
        outcomes=outcomes,
        words=RESULT_WORDS,
        names=names,
        dispatched=sum(o.result == "dispatched" for o in outcomes),
    )

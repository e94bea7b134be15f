"""The lists of each role (queue, inbox, callbacks, board, search) and their fragments.

Every list is `services.case_list.list_cases` with the reader as principal, so a department
sees only the cases it holds; a row carries no personal data. A list's fragment
(`/fragments/<list>`) is the same table alone, which the page's script fetches every few
seconds to refresh it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.console.render import html, page
from api.console.stages import list_stage
from api.console.web import PageNotFound, now, require, signed_in
from api.context import get_context
from models.enums import CaseStatus, ClockStage
from models.text import PRINTABLE
from rules.permissions import Action
from services.case_list import CaseFilter, CaseSummary, list_cases
from services.console_auth import ConsoleSession

router = APIRouter(include_in_schema=False)

LIST_SIZE = 100
NEAR_DUE = timedelta(days=1)
OPEN = tuple(status for status in CaseStatus if status is not CaseStatus.CLOSED)


@dataclass(frozen=True)
class Row:
    case: CaseSummary
    stage: ClockStage


@dataclass(frozen=True)
class ListSpec:
    key: str
    title: str
    action: Action
    wanted: Callable[[datetime], CaseFilter]
    by_deadline: bool = True


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    fragment: str
    rows: list[Row]


LISTS: dict[str, ListSpec] = {
    spec.key: spec
    for spec in (
        ListSpec(
            "received",
            "待派单",
            Action.DISPATCH,
            lambda _: CaseFilter(status=(CaseStatus.RECEIVED,)),
        ),
        ListSpec(
            "return-review",
            "退单待审核",
            Action.REVIEW_RETURN,
            lambda _: CaseFilter(status=(CaseStatus.RETURN_REVIEW,)),
        ),
        ListSpec(
            "replied",
            "答复待审核",
            Action.REVIEW_REPLY,
            lambda _: CaseFilter(status=(CaseStatus.REPLIED,)),
        ),
        ListSpec(
            "inbox",
            "待签收与办理中（按最近时限）",
            Action.SIGN_OFF,
            lambda _: CaseFilter(status=(CaseStatus.DISPATCHED, CaseStatus.HANDLING)),
        ),
        ListSpec(
            "callbacks",
            "待回访",
            Action.RECORD_CALLBACK,
            lambda _: CaseFilter(status=(CaseStatus.CALLBACK,)),
        ),
        ListSpec(
            "overdue",
            "已超期",
            Action.ESCALATE,
            lambda _: CaseFilter(status=OPEN, overdue=True),
        ),
        ListSpec(
            "near-due",
            "临近时限（24 小时内）",
            Action.ESCALATE,
            lambda at: CaseFilter(
                status=OPEN, overdue=False, due_after=at, due_before=at + NEAR_DUE
            ),
        ),
    )
}

PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "queue": ("派单与审核", ("received", "return-review", "replied")),
    "inbox": ("本单位待办", ("inbox",)),
    "callbacks": ("回访", ("callbacks",)),
    "board": ("督办看板", ("overdue", "near-due")),
}


async def rows_of(request: Request, session: ConsoleSession, spec: ListSpec) -> list[Row]:
    require(session, spec.action)
    found = await run_in_threadpool(
        list_cases,
        get_context(request).sessions,
        spec.wanted(now()),
        reader=session.user.principal,
        limit=LIST_SIZE,
    )
    rows = [Row(case, list_stage(case)) for case in found.items]
    if spec.by_deadline:
        far = datetime.max.replace(tzinfo=now().tzinfo)
        rows.sort(key=lambda row: row.case.next_deadline or far)
    return rows


async def sections(
    request: Request, session: ConsoleSession, keys: tuple[str, ...]
) -> list[Section]:
    return [
        Section(
            key, LISTS[key].title, f"/fragments/{key}", await rows_of(request, session, LISTS[key])
        )
        for key in keys
    ]


def _list_page(name: str) -> None:
    heading, keys = PAGES[name]

    async def show(
        request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
    ) -> HTMLResponse:
        found = await sections(request, session, keys)
        return page(request, session, "lists.html", heading=heading, sections=found)

    router.add_api_route(f"/{name}", show, methods=["GET"], name=f"console_{name}")


for _name in PAGES:
    _list_page(_name)


@router.get("/fragments/{key}")
async def fragment(
    key: str, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    spec = LISTS.get(key)
    if spec is None:
        raise PageNotFound
    rows = await rows_of(request, session, spec)
    return html("cases_table.html", rows=rows, caption=spec.title)


@router.get("/search")
async def search(
    request: Request,
    session: Annotated[ConsoleSession, Depends(signed_in)],
    q: Annotated[str, Query(max_length=64, pattern=PRINTABLE)] = "",
) -> HTMLResponse:
    spec = ListSpec(
        "search",
        "查询结果",
        Action.LIST_CASES,
        lambda _: CaseFilter(title_contains=q.strip() or None),
        by_deadline=False,
    )
    found = [Section("search", spec.title, "", await rows_of(request, session, spec))]
    return page(request, session, "lists.html", heading="案件查询", sections=found, search=q)

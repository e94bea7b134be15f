"""The lists of each role (queue, inbox, callbacks, board, search), their fragments and exports.

Every list is `services.case_list.list_cases` with the reader as principal, so a department
sees only the cases it holds; a row carries no personal data. Each page takes the filters and
sort of `api.console.list_query` from its URL, shows one keyset page per section with a link
to the next, and its fragment (`/fragments/<list>`, the same query string) is the section's
table alone (without the board's counts), which the page's script fetches every few seconds to
refresh it. The board's counts by department × level are laid out here as table lines
(`group_rows`), so the template only prints them. `/export/<list>.csv`
streams every page of the same filtered list; saved filters are `services.saved_filters`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.console import bulk_dispatch, list_export, saved_filter_pages
from api.console.list_query import PAGE_SIZES, ListQuery, ListQueryError, cursor_of, parse_query
from api.console.list_specs import LISTS, PAGES, ListSpec, page_of
from api.console.render import html, page
from api.console.stages import STAGE_MARKS, list_stage
from api.console.web import PageNotFound, may, now, require, signed_in
from api.context import get_context
from api.open311.queries import catalogue_categories, department_names, districts
from models.enums import CaseStatus, ClockStage
from rules.permissions import Action, Role
from services.case_list import (
    CaseSummary,
    CursorError,
    GroupCount,
    ListOrder,
    count_by_department_and_level,
    list_cases,
)
from services.console_auth import ConsoleSession
from services.saved_filters import my_filters

router = APIRouter(include_in_schema=False)
for _part in (bulk_dispatch, list_export, saved_filter_pages):
    router.include_router(_part.router)

PAGE_SIZE = 100
LEVELS = (0, 1, 2, 3)
ORDER_LABELS = {
    ListOrder.DEADLINE: "最近时限优先",
    ListOrder.NEWEST: "最新受理优先",
    ListOrder.OLDEST: "最早受理优先",
}


@dataclass(frozen=True)
class Row:
    case: CaseSummary
    stage: ClockStage


@dataclass(frozen=True)
class GroupRow:
    """One department's line of a board section's counts: (level, cases) for each of LEVELS,
    then their total; `department` None for the cases without a lead."""

    department: str | None
    cells: tuple[tuple[int, int], ...]
    total: int


def group_rows(groups: Sequence[GroupCount]) -> list[GroupRow]:
    """The counts by department × level as table lines, departments in the order given."""
    table: dict[str | None, list[int]] = {}
    for group in groups:
        counts = table.setdefault(group.lead_department, [0] * len(LEVELS))
        if group.escalation_level in LEVELS:
            counts[LEVELS.index(group.escalation_level)] += group.count
    return [
        GroupRow(department, tuple(zip(LEVELS, counts, strict=True)), sum(counts))
        for department, counts in table.items()
    ]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    fragment: str
    rows: list[Row]
    query: str  # the filters and this section's cursor: what the fragment is polled with
    next_link: str | None
    first_link: str | None
    export: str
    selectable: bool = False  # checkboxes for bulk dispatch
    countdown: bool = False  # the dispatch clock counts down
    groups: list[GroupRow] = field(default_factory=list)  # the board's counts table


@dataclass(frozen=True)
class Choices:
    """What the filter form's selects offer."""

    categories: list[str]
    districts: list[str]
    departments: dict[str, str]
    statuses: list[CaseStatus]
    stages: list[ClockStage]
    orders: dict[ListOrder, str]
    levels: tuple[int, ...]
    sizes: tuple[int, ...]


def _link(path: str, query: ListQuery, extra: dict[str, str] | None = None) -> str:
    pairs = query.pairs() + list((extra or {}).items())
    return f"{path}?{urlencode(pairs)}" if pairs else path


async def section_of(
    request: Request,
    session: ConsoleSession,
    spec: ListSpec,
    query: ListQuery,
    page_name: str,
    *,
    counted: bool = True,
) -> Section:
    """One list section of a page; `counted`: with the board's counts (a fragment has none)."""
    require(session, spec.action)
    params = dict(request.query_params)
    cursor = cursor_of(params, spec.key)
    wanted = query.narrowed(spec.wanted(now()))
    order = query.sort or spec.order
    sessions = get_context(request).sessions
    reader = session.user.principal
    try:
        found = await run_in_threadpool(
            list_cases,
            sessions,
            wanted,
            reader=reader,
            limit=query.per or PAGE_SIZE,
            cursor=cursor,
            order=order,
        )
    except CursorError as err:
        raise ListQueryError("cursor", "不是本列表给出的翻页位置") from err
    groups: list[GroupCount] = []
    if spec.summarised and counted:
        groups = await run_in_threadpool(
            count_by_department_and_level, sessions, wanted, reader=reader
        )
    path = f"/{page_name}"
    after = f"after_{spec.key}"
    own = {after: cursor} if cursor else {}
    return Section(
        key=spec.key,
        title=spec.title,
        fragment=f"/fragments/{spec.key}",
        rows=[Row(case, list_stage(case)) for case in found.items],
        query=urlencode(query.pairs() + list(own.items())),
        next_link=_link(path, query, {after: found.next_cursor}) if found.next_cursor else None,
        first_link=_link(path, query) if cursor else None,
        export=_link(f"/export/{spec.key}.csv", query),
        selectable=spec.key == "received" and may(session, Action.DISPATCH),
        countdown=spec.key == "received",
        groups=group_rows(groups),
    )


def _choices(request: Request) -> Choices:
    sessions = get_context(request).sessions
    return Choices(
        categories=catalogue_categories(sessions),
        districts=districts(sessions),
        departments=department_names(sessions),
        statuses=[s for s in CaseStatus],
        stages=[s for s in ClockStage],
        orders=ORDER_LABELS,
        levels=LEVELS,
        sizes=PAGE_SIZES,
    )


def _refused(request: Request, session: ConsoleSession, err: ListQueryError) -> HTMLResponse:
    return page(request, session, "error.html", 422, heading="筛选条件有误", message=str(err))


def _list_page(name: str) -> None:
    heading, keys = PAGES[name]

    async def show(
        request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
    ) -> HTMLResponse:
        for key in keys:
            require(session, LISTS[key].action)
        try:
            query = parse_query(dict(request.query_params))
            found = [await section_of(request, session, LISTS[k], query, name) for k in keys]
        except ListQueryError as err:
            return _refused(request, session, err)
        sessions = get_context(request).sessions
        saved = await run_in_threadpool(my_filters, sessions, session.user.id, name)
        return page(
            request,
            session,
            "lists.html",
            heading=heading,
            list_page=name,
            sections=found,
            query=query,
            encoded=query.encoded(),
            saved=saved,
            choices=await run_in_threadpool(_choices, request),
            centre=session.user.role is not Role.DEPARTMENT,
            marks=STAGE_MARKS,
            notice=_notice(request.query_params.get("done", "")),
            request_id=uuid.uuid4().hex,
        )

    router.add_api_route(f"/{name}", show, methods=["GET"], name=f"console_{name}")


NOTICES = {"saved": "已保存筛选条件。", "deleted": "已删除筛选条件。"}


def _notice(done: str) -> str:
    return NOTICES.get(done, "")


for _name in PAGES:
    _list_page(_name)


@router.get("/fragments/{key}")
async def fragment(
    key: str, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    spec = LISTS.get(key)
    if spec is None:
        raise PageNotFound
    try:
        query = parse_query(dict(request.query_params))
        section = await section_of(request, session, spec, query, page_of(key), counted=False)
    except ListQueryError as err:
        return html("error.html", 422, heading="筛选条件有误", message=str(err))
    return html("cases_table.html", section=section, marks=STAGE_MARKS)

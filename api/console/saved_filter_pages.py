"""Saved filters of the list pages: save the current filters under a name, apply, delete.

Each is the reader's own (`services.saved_filters`): another user's filter is the 404 page.
The filters saved are the page's query string as `api.console.list_query` reads it back (never
a page cursor); saving and deleting are POST forms with the CSRF field.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console.list_query import ListQuery, ListQueryError, parse_query
from api.console.list_specs import LISTS, PAGES
from api.console.render import page
from api.console.web import PageNotFound, now, posted, require, signed_in
from api.context import get_context
from services.console_auth import ConsoleSession
from services.saved_filters import (
    SavedFilter,
    SavedFilterError,
    delete_filter,
    my_filter,
    save_filter,
)

router = APIRouter(include_in_schema=False)


def _back(list_page: str, encoded: str, done: str) -> RedirectResponse:
    joined = "&".join(part for part in (encoded, f"done={done}") if part)
    return RedirectResponse(f"/{list_page}?{joined}", status_code=303)


@router.post("/saved-filters")
async def save(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    form = await posted(request, session)
    list_page = form.get("list_page", "")
    if list_page not in PAGES:
        raise PageNotFound
    for key in PAGES[list_page][1]:
        require(session, LISTS[key].action)
    try:
        query = parse_query(dict(parse_qsl(form.get("query", ""), keep_blank_values=True)))
        await run_in_threadpool(
            save_filter,
            get_context(request).sessions,
            session.user.id,
            list_page,
            form.get("name", ""),
            query.encoded(),
            now(),
        )
    except ListQueryError as err:
        return page(request, session, "error.html", 422, heading="筛选条件有误", message=str(err))
    except SavedFilterError as err:
        message = f"筛选条件名称：{err}" if err.field == "name" else str(err)
        return page(request, session, "error.html", 422, heading="未能保存", message=message)
    return _back(list_page, query.encoded(), "saved")


async def _mine(request: Request, session: ConsoleSession, filter_id: int) -> SavedFilter:
    found = await run_in_threadpool(
        my_filter, get_context(request).sessions, session.user.id, filter_id
    )
    if found is None:
        raise PageNotFound
    return found


@router.get("/saved-filters/{filter_id}")
async def apply(
    filter_id: int, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    """The list page with one of the reader's own saved filters (another's: the 404 page)."""
    found = await _mine(request, session, filter_id)
    target = f"/{found.list_page}?{found.query}" if found.query else f"/{found.list_page}"
    return RedirectResponse(target, status_code=303)


@router.post("/saved-filters/{filter_id}/delete")
async def delete(
    filter_id: int, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    form = await posted(request, session)
    found = await _mine(request, session, filter_id)
    await run_in_threadpool(
        delete_filter, get_context(request).sessions, session.user.id, filter_id
    )
    try:
        back = parse_query(dict(parse_qsl(form.get("query", ""), keep_blank_values=True)))
    except ListQueryError:
        back = ListQuery()
    return _back(found.list_page, back.encoded(), "deleted")

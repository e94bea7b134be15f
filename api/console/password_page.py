"""A signed-in user sets their own console password (after a one-time one, or at any time).

`services.console_auth.set_password` by the user themselves clears the "must change" mark and
ends the user's other sessions, keeping this one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console.render import home_for, page
from api.console.web import now, posted, signed_in
from api.context import get_context
from services.console_auth import MIN_PASSWORD_LENGTH, ConsoleSession, PasswordRefused, set_password

router = APIRouter(include_in_schema=False)


def _form(
    request: Request, session: ConsoleSession, message: str = "", status: int = 200
) -> HTMLResponse:
    return page(
        request, session, "password.html", status, message=message, minimum=MIN_PASSWORD_LENGTH
    )


@router.get("/password")
async def password_form(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    return _form(request, session)


@router.post("/password")
async def password_submit(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    form = await posted(request, session)
    chosen = form.get("password", "")
    if chosen != form.get("confirm", ""):
        return _form(request, session, "两次输入的密码不一致。", 422)
    try:
        await run_in_threadpool(
            lambda: set_password(
                get_context(request).sessions,
                session.user.id,
                chosen,
                by=session.user.id,
                now=now(),
                keep_session=session.token,
            )
        )
    except PasswordRefused:
        return _form(request, session, f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。", 422)
    return RedirectResponse(home_for(session), status_code=303)

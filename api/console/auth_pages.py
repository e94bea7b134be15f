"""Signing in and out of the console, and its home page.

The sign-in form has no session yet, so its CSRF secret is a random value in a short-lived
cookie of its own that the form echoes back (a double-submit token); once signed in, the
session's own secret protects every form. A refused sign-in shows the reason on the page
(wrong credentials, a lockout, a deactivated account) and names no one in the URL; an unknown
user id gets the same answers as a known one (`services.console_auth.sign_in`). A user signed
in with a password an administrator set is taken to the password page first.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console.render import home_for, html
from api.console.web import (
    clear_session_cookie,
    now,
    posted,
    read_form,
    set_session_cookie,
    signed_in,
)
from api.context import get_context
from services.console_auth import ConsoleSession, SignInRefused, sign_in, sign_out

router = APIRouter(include_in_schema=False)

SIGN_IN_COOKIE = "hotline_console_sign_in"
SIGN_IN_MAX_AGE = 3600
USER_ID_MAX = 64
PASSWORD_MAX = 1024


@router.get("/")
async def home(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> RedirectResponse:
    return RedirectResponse(home_for(session), status_code=303)


def _sign_in_page(
    request: Request, status: int = 200, message: str = "", user_id: str = "", notice: str = ""
) -> HTMLResponse:
    secret = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
    response = html(
        "sign_in.html", status, csrf=secret, message=message, user_id=user_id, notice=notice
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        secret,
        max_age=SIGN_IN_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/sign-in",
    )
    return response


@router.get("/sign-in")
async def sign_in_form(request: Request, ended: str | None = None) -> HTMLResponse:
    notice = "会话已结束，请重新登录。" if ended else ""
    return _sign_in_page(request, notice=notice)


@router.post("/sign-in")
async def sign_in_submit(request: Request) -> Response:
    form = await read_form(request)
    expected = request.cookies.get(SIGN_IN_COOKIE) or ""
    submitted = form.get("csrf", "")
    if not expected or not hmac.compare_digest(expected.encode(), submitted.encode()):
        return html(
            "error.html", 403, heading="请求被拒绝", message="表单已失效，请刷新页面后重试。"
        )
    user_id = form.get("user_id", "").strip()[:USER_ID_MAX]
    password = form.get("password", "")[:PASSWORD_MAX]
    try:
        session = await run_in_threadpool(
            sign_in, get_context(request).sessions, user_id, password, now=now()
        )
    except SignInRefused as err:
        return _sign_in_page(request, 401, message=str(err), user_id=user_id)
    # A password someone else set (a one-time one) is changed before anything else.
    target = "/password" if session.must_change_password else home_for(session)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, session.token)
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
async def sign_out_submit(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> RedirectResponse:
    await posted(request, session)
    await run_in_threadpool(sign_out, get_context(request).sessions, session.token)
    response = RedirectResponse("/sign-in", status_code=303)
    clear_session_cookie(response)
    return response

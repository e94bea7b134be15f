"""What every console page shares: the signed-in session, its cookie, forms and their CSRF check.

The session cookie holds only an opaque token (`services.console_auth` stores its sha256);
every POST carries the session's CSRF secret in a hidden field, and a missing or wrong one is
refused with the 403 page before anything else runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from api.context import get_context
from models.errors import NotFoundError, RefusedError
from rules.permissions import Action, allowed
from services.console_auth import ConsoleSession, check_csrf, session_for

COOKIE = "hotline_console"
FORM_TYPE = "application/x-www-form-urlencoded"
PASSWORD_CHANGE_PATHS = frozenset({"/password", "/sign-out"})
"""The pages a user with a one-time password may open before choosing their own."""


class SignInRequired(RefusedError):
    """No live session: the page answers with a redirect to the sign-in page."""


class PasswordChangeRequired(RefusedError):
    """Signed in with a password someone else set: every page but `/password` and sign-out
    sends the user to choose their own first."""


class CsrfRefused(RefusedError):
    """A form without the session's CSRF secret: the 403 page."""


class PageForbidden(RefusedError):
    """The role may not do this: the 403 page."""


class PageNotFound(NotFoundError):
    """No such case, or one the reader may not see: the same 404 page for both."""


def now() -> datetime:
    return datetime.now(UTC)


async def signed_in(request: Request) -> ConsoleSession:
    """The session of the request's cookie (its idle expiry moved on); SignInRequired if none."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired
    sessions = get_context(request).sessions
    found = await run_in_threadpool(session_for, sessions, token, now=now())
    if found is None:
        raise SignInRequired
    if found.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequired
    return found


def require(session: ConsoleSession, action: Action) -> None:
    """PageForbidden unless the session's role may perform `action`."""
    if not allowed(session.user.role, action):
        raise PageForbidden


def may(session: ConsoleSession, action: Action) -> bool:
    return allowed(session.user.role, action)


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a url-encoded form body (the last value of a repeated field)."""
    if not request.headers.get("content-type", "").startswith(FORM_TYPE):
        return {}
    body = await request.body()
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


async def posted(request: Request, session: ConsoleSession) -> dict[str, str]:
    """The submitted form, if it carries the session's CSRF secret; CsrfRefused otherwise."""
    form = await read_form(request)
    if not check_csrf(session, form.get("csrf")):
        raise CsrfRefused
    return form


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")

"""Mounting the console on the API's app: its routers, static files and error pages.

The console's pages live at paths no API route uses (`/sign-in`, `/password`, `/intake`,
`/queue`, `/queue/bulk-dispatch`, `/inbox`, `/callbacks`, `/board`, `/search`, `/today`,
`/ranking`, `/case/<no>`, `/audit/...`, `/admin/...`, `/knowledge/...`, `/saved-filters`,
`/export/<list>.csv`, `/fragments/...`, `/static/console/`), so every API route and the
OpenAPI document stay where they are; the console's routes are left out of the OpenAPI document.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.console import (
    admin_pages,
    audit_pages,
    auth_pages,
    case_page,
    intake,
    lists,
    password_page,
    supervision_pages,
)
from api.console.render import html
from api.console.web import (
    COOKIE,
    CsrfRefused,
    PageForbidden,
    PageNotFound,
    PasswordChangeRequired,
    SignInRequired,
)

STATIC = Path(__file__).parent / "static"


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/fragments/"):
        return HTMLResponse("", status_code=401)  # the page's script goes to the sign-in page
    target = "/sign-in?ended=1" if request.cookies.get(COOKIE) else "/sign-in"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


async def _password_change_required(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/fragments/"):
        return HTMLResponse("", status_code=401)
    return RedirectResponse("/password", status_code=303)


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    return html(
        "error.html", 403, heading="请求被拒绝", message="表单缺少有效的校验码，请刷新页面后重试。"
    )


async def _forbidden(request: Request, exc: Exception) -> Response:
    return html("error.html", 403, heading="无权操作", message="您的角色不能进行这项操作。")


async def _not_found(request: Request, exc: Exception) -> Response:
    return html("error.html", 404, heading="找不到案件", message="没有这个案件，或您无权查看。")


def install(app: FastAPI) -> None:
    """Add the console to `app`."""
    app.include_router(auth_pages.router)
    app.include_router(lists.router)
    app.include_router(intake.router)
    app.include_router(case_page.router)
    app.include_router(password_page.router)
    app.include_router(supervision_pages.router)
    app.include_router(audit_pages.router)
    app.include_router(admin_pages.router)
    app.mount("/static/console", StaticFiles(directory=STATIC), name="console-static")
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(PasswordChangeRequired, _password_change_required)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(PageForbidden, _forbidden)
    app.add_exception_handler(PageNotFound, _not_found)

"""Users and their credentials: list and create users, set or reset a console password, disable
and enable a user, and issue, list and revoke the API tokens of a user.

The same service functions as the API and the CLI (`services.principals`,
`services.console_auth`, `services.tokens`). A generated one-time password and a new token are
shown once, on the page that answers the form (never in a URL, never logged); only their hashes
are stored. A refused change re-draws its form with the field and the reason, status 422.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console.admin_common import admin_page, missing_page
from api.console.web import now, posted, require, signed_in
from api.context import get_context
from db.engine import SessionFactory
from rules.permissions import Action, Role
from services.console_auth import (
    MIN_PASSWORD_LENGTH,
    ConsoleSession,
    PasswordRefused,
    UnknownUserError,
    password_state,
    set_password,
)
from services.principals import (
    UserRefused,
    activate_user,
    add_user,
    deactivate_user,
    get_user,
    list_users,
)
from services.reference_data import list_departments
from services.tokens import issue_token, list_tokens, revoke_token

router = APIRouter(include_in_schema=False)
UserId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
TokenId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]
DONE = {
    "created": "用户已创建。",
    "disabled": "用户已停用：其令牌和会话立即失效。",
    "enabled": "用户已启用。",
    "revoked": "令牌已吊销。",
}


def _users_page(
    request: Request,
    session: ConsoleSession,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    sessions = get_context(request).sessions
    return admin_page(
        request,
        session,
        "admin_users.html",
        status,
        section="/admin",
        users=list_users(sessions),
        departments=list_departments(sessions),
        roles=list(Role),
        values=values or {"role": "operator"},
        errors=errors or {},
        refusal="请更正标出的内容，用户未创建。" if errors else "",
    )


def _user_page(
    request: Request,
    session: ConsoleSession,
    user_id: str,
    *,
    status: int = 200,
    notice: str = "",
    errors: dict[str, str] | None = None,
    secret: str = "",
    secret_kind: str = "",
) -> HTMLResponse:
    sessions = get_context(request).sessions
    user = get_user(sessions, user_id)
    if user is None:
        return missing_page(request, session, "用户")
    return admin_page(
        request,
        session,
        "admin_user.html",
        status,
        section="/admin",
        user=user,
        password=password_state(sessions, user_id),
        tokens=list_tokens(sessions, user_id),
        minimum=MIN_PASSWORD_LENGTH,
        notice=notice,
        errors=errors or {},
        refusal="请更正标出的内容。" if errors else "",
        secret=secret,
        secret_kind=secret_kind,
        now=now(),
    )


@router.get("/admin")
async def users(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    require(session, Action.MANAGE_USERS)
    return await run_in_threadpool(_users_page, request, session)


@router.post("/admin/users")
async def create_user(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    form = await posted(request, session)
    require(session, Action.MANAGE_USERS)
    values = {name: form.get(name, "").strip() for name in ("id", "name", "role", "department")}
    if values["role"] != Role.DEPARTMENT.value:
        values["department"] = ""
    sessions = get_context(request).sessions
    try:
        user = await run_in_threadpool(
            add_user,
            sessions,
            values["id"],
            values["name"],
            values["role"],
            values["department"] or None,
        )
    except UserRefused as err:
        return await run_in_threadpool(
            _users_page, request, session, values, {err.field: str(err)}, 422
        )
    return RedirectResponse(f"/admin/users/{user.id}?done=created", status_code=303)


@router.get("/admin/users/{user_id}")
async def user_detail(
    user_id: UserId,
    request: Request,
    session: Annotated[ConsoleSession, Depends(signed_in)],
    done: str = "",
) -> HTMLResponse:
    require(session, Action.MANAGE_USERS)
    return await run_in_threadpool(
        lambda: _user_page(request, session, user_id, notice=DONE.get(done, ""))
    )


@router.post("/admin/users/{user_id}/password")
async def reset_password(
    user_id: UserId, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    """Generate a one-time password (shown once) or set the one typed; either way the user must
    choose their own at the next sign-in, their lock is lifted and their sessions end."""
    form = await posted(request, session)
    require(session, Action.MANAGE_USERS)
    chosen: str | None = None
    if form.get("mode") == "set":
        chosen = form.get("password", "")
        if chosen != form.get("confirm", ""):
            return await _refused(request, session, user_id, {"password": "两次输入的密码不一致。"})
    sessions = get_context(request).sessions
    try:
        password = await run_in_threadpool(
            lambda: set_password(sessions, user_id, chosen, by=session.user.id, now=now())
        )
    except UnknownUserError:
        return await run_in_threadpool(missing_page, request, session, "用户")
    except PasswordRefused:
        reason = f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。"
        return await _refused(request, session, user_id, {"password": reason})
    if chosen is not None:
        notice = "密码已设置：用户下次登录时须改为自己的密码。"
        return await run_in_threadpool(lambda: _user_page(request, session, user_id, notice=notice))
    return await run_in_threadpool(
        lambda: _user_page(request, session, user_id, secret=password, secret_kind="password")
    )


@router.post("/admin/users/{user_id}/active")
async def set_active(
    user_id: UserId, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    form = await posted(request, session)
    require(session, Action.MANAGE_USERS)
    wanted = form.get("active", "")
    if wanted not in ("0", "1"):
        return await _refused(request, session, user_id, {"active": "请选择启用或停用。"})
    if wanted == "0" and user_id == session.user.id:
        return await _refused(request, session, user_id, {"active": "不能停用自己的账户。"})
    sessions = get_context(request).sessions
    change = activate_user if wanted == "1" else deactivate_user
    try:
        await run_in_threadpool(change, sessions, user_id)
    except ValueError:
        return await run_in_threadpool(missing_page, request, session, "用户")
    done = "enabled" if wanted == "1" else "disabled"
    return RedirectResponse(f"/admin/users/{user_id}?done={done}", status_code=303)


@router.post("/admin/users/{user_id}/tokens")
async def new_token(
    user_id: UserId, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    await posted(request, session)
    require(session, Action.MANAGE_USERS)
    sessions = get_context(request).sessions
    if await run_in_threadpool(get_user, sessions, user_id) is None:
        return await run_in_threadpool(missing_page, request, session, "用户")
    try:
        issued = await run_in_threadpool(issue_token, sessions, user_id)
    except ValueError as err:
        return await _refused(request, session, user_id, {"token": str(err)})
    return await run_in_threadpool(
        lambda: _user_page(request, session, user_id, secret=issued.token, secret_kind="token")
    )


@router.post("/admin/users/{user_id}/tokens/{token_id}/revoke")
async def revoke(
    user_id: UserId,
    token_id: TokenId,
    request: Request,
    session: Annotated[ConsoleSession, Depends(signed_in)],
) -> Response:
    await posted(request, session)
    require(session, Action.MANAGE_USERS)
    sessions = get_context(request).sessions
    if not await run_in_threadpool(_holds_token, sessions, user_id, token_id):
        return await run_in_threadpool(missing_page, request, session, "令牌")
    if not await run_in_threadpool(revoke_token, sessions, token_id):
        return await _refused(request, session, user_id, {"token": "该令牌已经吊销。"}, 409)
    return RedirectResponse(f"/admin/users/{user_id}?done=revoked", status_code=303)


def _holds_token(sessions: SessionFactory, user_id: str, token_id: str) -> bool:
    return any(token.token_id == token_id for token in list_tokens(sessions, user_id))


async def _refused(
    request: Request,
    session: ConsoleSession,
    user_id: str,
    errors: dict[str, str],
    status: int = 422,
) -> HTMLResponse:
    return await run_in_threadpool(
        lambda: _user_page(request, session, user_id, errors=errors, status=status)
    )

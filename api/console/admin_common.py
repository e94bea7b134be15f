"""What the administrator's pages share: their section links, a page in that frame, the
4xx page of a refused change, and the repeated fields of a posted form.

Each section is shown only to a role that may use it (`rules.permissions`); the pages check the
same action again with `require` before reading or writing anything.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.console.render import NavItem, page
from api.console.web import FORM_TYPE, may
from rules.permissions import Action
from services.console_auth import ConsoleSession

SECTIONS: tuple[NavItem, ...] = (
    NavItem("/admin", "用户与令牌", Action.MANAGE_USERS),
    NavItem("/admin/departments", "承办单位", Action.MANAGE_DEPARTMENTS),
    NavItem("/admin/catalogue", "派单目录", Action.MANAGE_CATALOGUE),
    NavItem("/admin/holidays", "节假日", Action.MANAGE_CALENDAR),
    NavItem("/admin/phrases", "服务用语", Action.MANAGE_PHRASES),
    NavItem("/knowledge/review", "知识库审核", Action.REVIEW_ARTICLE),
    NavItem("/knowledge/import", "知识库导入", Action.TRANSFER_ARTICLES),
)


def admin_page(
    request: Request,
    session: ConsoleSession,
    template: str,
    status: int = 200,
    *,
    section: str,
    **values: Any,
) -> HTMLResponse:
    """A page of the administrator's area: the layout, its section links and `values`."""
    values.setdefault("errors", {})
    values.setdefault("refusal", "")
    values.setdefault("notice", "")
    return page(
        request,
        session,
        template,
        status,
        sections=[s for s in SECTIONS if may(session, s.action)],
        section=section,
        **values,
    )


def missing_page(request: Request, session: ConsoleSession, what: str) -> HTMLResponse:
    """The 404 page of an administered thing that does not exist (a user, a phrase...)."""
    return page(
        request, session, "error.html", 404, heading=f"找不到{what}", message=f"没有这个{what}。"
    )


async def repeated(request: Request, name: str) -> list[str]:
    """Every non-blank value of a repeated field of a url-encoded form (a multiple select)."""
    if not request.headers.get("content-type", "").startswith(FORM_TYPE):
        return []
    body = (await request.body()).decode("utf-8", "replace")
    return [value.strip() for value in parse_qs(body).get(name, []) if value.strip()]


def pydantic_errors(errors: list[Any], fields: dict[str, str]) -> dict[str, str]:
    """A ValidationError's `errors()` as {form field: reason}; `fields` maps a model field to
    the form field that holds it (unmapped fields keep their own name)."""
    found: dict[str, str] = {}
    for error in errors:
        name = str(error["loc"][0]) if error["loc"] else ""
        field = fields.get(name, name)
        found.setdefault(field, "必填" if error["type"] == "missing" else str(error["msg"]))
    return found

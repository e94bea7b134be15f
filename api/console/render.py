"""Rendering: the jinja2 environment (autoescaped), its filters, and a page with its layout.

Times are shown in Beijing time (`models.timestamps.BEIJING`); the navigation of a page lists
only what the reader's role may do (`rules.permissions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.console.labels import label
from models.timestamps import BEIJING
from rules.permissions import Action, allowed
from services.console_auth import ConsoleSession

TEMPLATES = Path(__file__).parent / "templates"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
"""Pages can show personal data: never cached, never framed, nothing from elsewhere."""


@dataclass(frozen=True)
class NavItem:
    href: str
    text: str
    action: Action


NAV: tuple[NavItem, ...] = (
    NavItem("/intake", "受理", Action.INTAKE),
    NavItem("/queue", "派单与审核", Action.DISPATCH),
    NavItem("/inbox", "本单位待办", Action.SIGN_OFF),
    NavItem("/callbacks", "回访", Action.RECORD_CALLBACK),
    NavItem("/board", "督办看板", Action.ESCALATE),
    NavItem("/today", "今日运行", Action.READ_EVALUATION),
    NavItem("/search", "案件查询", Action.LIST_CASES),
    NavItem("/audit", "审计", Action.READ_ACCESS_LOG),
    NavItem("/knowledge/review", "知识库审核", Action.REVIEW_ARTICLE),
    NavItem("/admin", "系统管理", Action.MANAGE_USERS),
)


def beijing(moment: datetime | None, with_seconds: bool = False) -> str:
    """`2026-12-01 10:00` in Beijing time; empty for no time."""
    if moment is None:
        return ""
    return moment.astimezone(BEIJING).strftime(
        "%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M"
    )


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["bj"] = beijing
    env.filters["label"] = label
    return env


ENV = _environment()


def nav_for(session: ConsoleSession) -> list[NavItem]:
    return [item for item in NAV if allowed(session.user.role, item.action)]


def home_for(session: ConsoleSession) -> str:
    """The first page of the reader's role."""
    items = nav_for(session)
    return items[0].href if items else "/search"


def html(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A rendered template (no layout values needed: the sign-in and error pages)."""
    values.setdefault("session", None)
    values.setdefault("nav", [])
    values.setdefault("current", "")
    response = HTMLResponse(ENV.get_template(template).render(**values), status_code=status)
    response.headers.update(PAGE_HEADERS)
    return response


def page(
    request: Request,
    session: ConsoleSession,
    template: str,
    status: int = 200,
    **values: Any,
) -> HTMLResponse:
    """A page in the layout: the user, their role and the navigation of their role."""
    return html(
        template,
        status,
        session=session,
        nav=nav_for(session),
        current=request.url.path,
        csrf=session.csrf_token,
        **values,
    )

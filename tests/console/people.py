"""The people of the browser tests: a user per role with a console password, each signed in
in a browser context of their own; and the screenshots of the main screens."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

from db.engine import make_engine
from db.engine import session_factory as make_sessions
from services.console_auth import set_password
from services.principals import add_user

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 860}
_serial = itertools.count(1)


@dataclass(frozen=True)
class Person:
    user_id: str
    password: str


def person(
    database_url: str, role: str, department: str | None = None, *, one_time: bool = False
) -> Person:
    """A new user of `role` with a password of their own, or a one-time one an administrator
    had generated (`one_time`)."""
    sessions = make_sessions(make_engine(database_url))
    user_id = f"web-{role[:4]}-{next(_serial):03d}-{secrets.token_hex(3)}"
    add_user(sessions, user_id, f"测试{role}", role, department)
    if one_time:
        password = set_password(sessions, user_id, None, by="admin", now=datetime.now(UTC))
    else:
        password = set_password(
            sessions, user_id, "correct-horse-9", by=user_id, now=datetime.now(UTC)
        )
    return Person(user_id, password)


async def new_context(browser: Browser, base_url: str, phone: bool = False) -> BrowserContext:
    return await browser.new_context(
        base_url=base_url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport=PHONE if phone else DESKTOP,
    )


async def sign_in(
    browser: Browser, base_url: str, who: Person, phone: bool = False
) -> tuple[BrowserContext, Page]:
    """A browser context of its own, signed in as `who`, on their home page."""
    context = await new_context(browser, base_url, phone)
    page = await context.new_page()
    await page.goto("/sign-in")
    await page.get_by_label("用户名").fill(who.user_id)
    await page.get_by_label("密码").fill(who.password)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_selector("header nav")
    return context, page


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

"""What the console refuses: another department's case (the same 404 page as no case), a
confidential caller in full to a department, a form without its CSRF token, a sixth password
guess, and a session left idle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, expect
from sqlalchemy import update

from db.engine import make_engine
from db.engine import session_factory as make_sessions
from db.tables import ConsoleSessionRow
from services.console_auth import MAX_FAILED_SIGN_INS
from tests.console.flows import CALLER_ADDRESS, CALLER_NAME, CALLER_PHONE, open_case, take_call
from tests.console.people import Person, new_context, person, screenshot, sign_in

MISSING_CASE = "GY20200101-000001"


async def test_another_departments_case_is_the_404_of_no_case(
    browser: Browser, console_url: str, database_url: str
) -> None:
    operator = person(database_url, "operator")
    water = person(database_url, "department", "gy-water")
    ctx_op, op = await sign_in(browser, console_url, operator)
    case_no = await take_call(op, title="不属于水务局的案件", lead="gy-market")
    ctx, page = await sign_in(browser, console_url, water)

    theirs = await page.goto(f"/case/{case_no}")
    assert theirs is not None and theirs.status == 404
    shown = await page.locator("main").inner_text()
    await screenshot(page, "not-found")
    missing = await page.goto(f"/case/{MISSING_CASE}")
    assert missing is not None and missing.status == 404
    assert await page.locator("main").inner_text() == shown
    step = await page.request.post(f"/case/{case_no}/steps/sign-off", form={"csrf": "x"})
    assert step.status == 403  # a wrong CSRF token is refused before anything else
    await page.goto("/inbox?sort=newest")
    await expect(page.get_by_role("link", name=case_no)).to_have_count(0)
    csrf = await page.locator("input[name=csrf]").first.get_attribute("value")
    assert csrf
    signed = await page.request.post(
        f"/case/{case_no}/steps/sign-off", form={"csrf": csrf}, max_redirects=0
    )
    assert signed.status == 404  # with its token: the same answer as for no case
    fragment = await page.request.get("/fragments/inbox")
    assert fragment.ok and case_no not in await fragment.text()
    found = await page.request.get("/search", params={"q": "不属于水务局的案件"})
    assert found.ok and case_no not in await found.text()
    on_their_side = await op.request.get("/search", params={"q": "不属于水务局的案件"})
    assert case_no in await on_their_side.text()  # the search itself finds it for the centre
    await op.goto(f"/case/{case_no}")
    await expect(op.get_by_text("待签收").first).to_be_visible()  # still unsigned
    for context in (ctx_op, ctx):
        await context.close()


async def test_a_confidential_caller_is_masked_for_the_department(
    browser: Browser, console_url: str, database_url: str
) -> None:
    operator = person(database_url, "operator")
    market = person(database_url, "department", "gy-market")
    ctx_op, op = await sign_in(browser, console_url, operator)
    case_no = await take_call(op, title="保密举报", confidential=True, lead="gy-market")
    await open_case(op, case_no)
    await expect(op.locator("#caller")).to_contain_text(CALLER_NAME)  # the centre sees it all

    ctx, page = await sign_in(browser, console_url, market)
    await open_case(page, case_no)
    await expect(page.locator("#caller")).to_contain_text("李*")
    await expect(page.locator("#caller")).to_contain_text("139****1111")
    pages = [await page.content()]
    await page.goto("/inbox?sort=newest")
    await expect(page.get_by_role("link", name=case_no)).to_be_visible()
    pages.append(await page.content())
    fragment = await page.request.get("/fragments/inbox")
    assert fragment.ok and case_no in await fragment.text()
    pages.append(await fragment.text())
    for shown in pages:
        for secret in (CALLER_NAME, CALLER_PHONE, CALLER_ADDRESS, "中华北路街道"):
            assert secret not in shown
    for context in (ctx_op, ctx):
        await context.close()


async def test_a_form_without_its_csrf_token_is_refused(
    browser: Browser, console_url: str, database_url: str
) -> None:
    operator = person(database_url, "operator")
    ctx, page = await sign_in(browser, console_url, operator)
    form: dict[str, str | float | bool] = {
        "title": "无校验码",
        "content": "x",
        "case_type": "complaint",
        "outcome": "dispatch",
    }
    missing = await page.request.post("/intake", form=form)
    assert missing.status == 403
    wrong = await page.request.post("/intake", form=form | {"csrf": "not-the-token"})
    assert wrong.status == 403
    assert "校验码" in await wrong.text()
    signed_out = await page.request.post("/sign-out", form={}, max_redirects=0)
    assert signed_out.status == 403  # sign-out is a form too
    await page.goto("/intake")
    await expect(page.get_by_role("heading", level=1)).to_have_text("受理来电")
    await ctx.close()


async def test_five_wrong_passwords_lock_the_user_out(
    browser: Browser, console_url: str, database_url: str
) -> None:
    user = person(database_url, "dispatcher")
    ctx = await new_context(browser, console_url)
    page = await ctx.new_page()
    await page.goto("/sign-in")
    await screenshot(page, "sign-in")
    for attempt in range(1, MAX_FAILED_SIGN_INS + 1):
        await page.get_by_label("用户名").fill(user.user_id)
        await page.get_by_label("密码").fill(f"wrong-password-{attempt}")
        await page.get_by_role("button", name="登录").click()
        expected = "锁定" if attempt == MAX_FAILED_SIGN_INS else "用户名或密码错误"
        await expect(page.get_by_role("alert")).to_contain_text(expected)
    await page.get_by_label("用户名").fill(user.user_id)
    await page.get_by_label("密码").fill(user.password)
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("alert")).to_contain_text("锁定")
    await screenshot(page, "sign-in-locked")
    assert "hotline_console" not in {c["name"] for c in await ctx.cookies()}
    await ctx.close()


async def test_an_idle_session_goes_back_to_sign_in_and_sign_out_ends_it(
    browser: Browser, console_url: str, database_url: str
) -> None:
    user = person(database_url, "operator")
    ctx, page = await sign_in(browser, console_url, user)
    cookie = next(c for c in await ctx.cookies() if c["name"] == "hotline_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    sessions = make_sessions(make_engine(database_url))
    with sessions.begin() as session:
        session.execute(
            update(ConsoleSessionRow)
            .where(ConsoleSessionRow.user_id == user.user_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    await page.goto("/intake")
    assert page.url.endswith("/sign-in?ended=1")
    await expect(page.get_by_role("status")).to_contain_text("会话已结束")

    ctx2, page2 = await sign_in(browser, console_url, user)
    await page2.get_by_role("button", name="退出").click()
    await expect(page2.get_by_role("heading", level=1)).to_have_text("登录")
    await page2.goto("/intake")
    assert "/sign-in" in page2.url
    for context in (ctx, ctx2):
        await context.close()


async def test_a_one_time_password_is_changed_on_the_console(
    browser: Browser, console_url: str, database_url: str
) -> None:
    user = person(database_url, "operator", one_time=True)
    ctx, page = await sign_in(browser, console_url, user)
    await expect(page.get_by_role("alert")).to_contain_text("一次性密码")
    await page.get_by_role("link", name="修改密码").first.click()
    await page.locator("#password").fill("my-own-password-1")
    await page.locator("#confirm").fill("my-own-password-1")
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("受理来电")
    await expect(page.get_by_role("alert")).to_have_count(0)
    await page.get_by_role("button", name="退出").click()
    await ctx.close()
    ctx, page = await sign_in(browser, console_url, Person(user.user_id, "my-own-password-1"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("受理来电")
    await ctx.close()

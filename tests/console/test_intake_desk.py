"""The operator's intake desk in the browser: while the call is typed, the knowledge-base
answers and a possible duplicate appear beside the form and the call is merged into the
duplicate; the wording warning shows while a forbidden word is typed, and the server still
refuses it; the keyboard shortcuts (Ctrl+Enter, Alt+letters, Alt+digits, the ? help, Esc); and
every intake outcome reaches its result page with the case number and the retrieval code."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select
from temporalio.client import Client

from db.engine import make_engine
from db.engine import session_factory as make_sessions
from db.knowledge_tables import ArticleRow
from services.cases import show
from tests.console.flows import CASE_NO
from tests.console.people import person, screenshot, sign_in
from tests.knowledge.kb_fixture import load_articles

WATER = "城乡建设/供水/停水"
OUTAGE_ARTICLE = "停水通知查询和突发停水报修"
CODE = re.compile(r"^\d{6}$")


@pytest.fixture(scope="module")
def articles(database_url: str) -> dict[str, int]:
    """The knowledge-base fixture's 60 published articles in the console's database (once)."""
    sessions = make_sessions(make_engine(database_url))
    with sessions() as session:
        rows = session.execute(select(ArticleRow.title, ArticleRow.id)).all()
    found = {title: article_id for title, article_id in rows}
    return found if OUTAGE_ARTICLE in found else load_articles(sessions)


async def fill_call(page: Page, *, category: str, district: str, title: str, content: str) -> None:
    """The call's fields, the title and the content typed key by key as an operator does."""
    await page.goto("/intake")
    await page.get_by_label("分类（目录）").fill(category)
    await page.get_by_label("区县", exact=True).select_option(district)
    await page.get_by_label("姓名", exact=True).fill("赵先生")
    await page.get_by_label("电话", exact=True).fill("13900002222")
    await page.get_by_label("标题", exact=True).press_sequentially(title)
    await page.get_by_label("诉求内容").press_sequentially(content)


async def receipt(page: Page) -> tuple[str, str]:
    """The result page's case number and retrieval code (the code never in the URL)."""
    await expect(page.locator("#case-no")).to_have_text(CASE_NO)
    await expect(page.locator("#retrieval-code")).to_have_text(CODE)
    case_no = await page.locator("#case-no").inner_text()
    code = await page.locator("#retrieval-code").inner_text()
    assert page.url.endswith("/intake") and code not in page.url
    return case_no, code


async def until_merged(client: Client, master: str, merged: str) -> list[str]:
    """The master's merged cases once its workflow has taken the link (a signal)."""
    for _ in range(100):
        state = await show(client, master)
        if merged in state.merged_cases:
            break
        await asyncio.sleep(0.05)
    return state.merged_cases


async def test_typing_shows_answers_and_a_duplicate_to_merge_into(
    browser: Browser, console_url: str, database_url: str, articles: dict[str, int], client: Client
) -> None:
    operator = person(database_url, "operator")
    ctx, page = await sign_in(browser, console_url, operator)
    await fill_call(
        page,
        category=WATER,
        district="南明区",
        title="花果园小区停水三天了",
        content="一直没有来水",
    )
    await page.get_by_role("button", name="提交受理").click()
    first, _ = await receipt(page)
    await expect(page.locator("#reply-due")).to_contain_text("估算")

    await fill_call(
        page, category=WATER, district="南明区", title="花果园停水三天", content="家里没水"
    )
    assist = page.locator("#assist-body")
    await expect(assist.locator(".kb-hit").first).to_contain_text(OUTAGE_ARTICLE)
    duplicate = assist.locator(".duplicate", has_text=first)
    await expect(duplicate).to_contain_text("相似度")
    await expect(duplicate).to_contain_text("花果园小区停水三天了")
    await expect(page.locator("[data-outcome-phrase=dispatch]")).to_contain_text("转交相关部门")
    await screenshot(page, "intake-typing")

    await duplicate.get_by_role("button", name=f"合并到此案件 {first}").click()
    second, _ = await receipt(page)
    await expect(page.locator("#status")).to_contain_text("已并单")
    await expect(page.locator("#reply-due")).to_contain_text(first)
    assert second in await until_merged(client, first, second)
    await ctx.close()


async def test_forbidden_wording_is_flagged_while_typed_and_refused_on_submit(
    browser: Browser, console_url: str, database_url: str, articles: dict[str, int], client: Client
) -> None:
    operator = person(database_url, "operator")
    ctx, page = await sign_in(browser, console_url, operator)
    await fill_call(
        page, category=WATER, district="云岩区", title="突然停水怎么报修", content="停水了"
    )
    await page.keyboard.press("Alt+KeyA")
    await expect(page.locator("input[name=outcome][value=direct_answer]")).to_be_checked()
    await expect(page.locator("[data-outcome-phrase=direct_answer]")).to_be_visible()
    answer = page.get_by_label("答复内容")
    await answer.press_sequentially("这个不归我们管")
    warning = page.locator("#wording-answer")
    await expect(warning).to_have_attribute("role", "status")
    await expect(warning).to_contain_text("不归我们管")

    await answer.press("Control+Enter")
    await expect(page.locator("#err-answer")).to_contain_text("不归我们管")
    await expect(page.get_by_role("heading", level=1)).to_have_text("受理来电")
    await expect(page.get_by_label("标题", exact=True)).to_have_value("突然停水怎么报修")

    await answer.fill("")
    await answer.press_sequentially("可拨打供水服务热线报修，停水通知可在官网查询")
    await expect(warning).to_be_empty()
    hit = page.locator("#assist-body .kb-hit", has_text=OUTAGE_ARTICLE)
    await hit.get_by_role("button", name="用作直接答复依据").click()
    article = str(articles[OUTAGE_ARTICLE])
    await expect(page.get_by_label("依据的知识库文章（编号，可多个，用逗号分隔）")).to_have_value(
        article
    )
    await page.keyboard.press("Control+Enter")
    case_no, _ = await receipt(page)
    await expect(page.locator("#status")).to_contain_text("直接答复")
    await expect(page.locator("#reply-due")).to_contain_text("当场办结")
    state = await show(client, case_no)
    assert state.intake.outcome.kind == "direct_answer"
    assert state.intake.outcome.articles == [article]
    await ctx.close()


async def test_keyboard_shortcuts_and_their_help(
    browser: Browser, console_url: str, database_url: str
) -> None:
    operator = person(database_url, "operator")
    ctx, page = await sign_in(browser, console_url, operator)
    await page.goto("/intake")
    title = page.get_by_label("标题", exact=True)
    await title.press_sequentially("路灯?")
    await expect(title).to_have_value("路灯?")  # "?" typed in a field is just text
    await expect(page.get_by_role("dialog")).to_have_count(0)
    await page.evaluate(
        "document.body.dispatchEvent(new KeyboardEvent('keydown',"
        " {key: '?', isComposing: true, bubbles: true}))"
    )
    await expect(page.get_by_role("dialog")).to_have_count(0)  # an input method composing

    await page.locator("#main").focus()
    await page.keyboard.press("?")
    help_box = page.get_by_role("dialog", name="键盘快捷键")
    await expect(help_box).to_be_visible()
    for text in ("Alt+1", "打开「受理」", "Alt+S", "三方通话", "Ctrl+Enter", "Esc"):
        await expect(help_box).to_contain_text(text)
    height = await page.evaluate("document.documentElement.scrollHeight")
    await page.set_viewport_size({"width": 1280, "height": height})  # the overlay covers it all
    await screenshot(page, "intake-shortcuts")
    await page.keyboard.press("Escape")
    await expect(help_box).to_have_count(0)

    for key, outcome in (("S", "three_way_call"), ("J", "emergency_handoff"), ("P", "dispatch")):
        await page.keyboard.press(f"Alt+Key{key}")
        await expect(page.locator(f"input[name=outcome][value={outcome}]")).to_be_checked()
    second = await page.locator("header nav a").nth(1).get_attribute("href")
    assert second
    await page.keyboard.press("Alt+Digit2")
    await page.wait_for_url(f"**{second}")
    await ctx.close()


async def test_every_outcome_reaches_its_result_page_with_the_retrieval_code(
    browser: Browser, console_url: str, database_url: str, client: Client
) -> None:
    operator = person(database_url, "operator")
    ctx, page = await sign_in(browser, console_url, operator)

    await fill_call(
        page, category="劳动保障/欠薪", district="观山湖区", title="工地拖欠工资", content="三个月"
    )
    suggestion = page.locator("#suggestion")
    await expect(suggestion).to_contain_text("协办单位")
    await suggestion.get_by_role("button", name="采用目录建议").click()
    await expect(page.locator("#lead_department")).to_have_value("gy-hr")
    await expect(page.locator("input[name=assisting_departments][value=gy-market]")).to_be_checked()
    await page.get_by_role("button", name="提交受理").click()
    dispatched, _ = await receipt(page)
    await expect(page.locator("#status")).to_contain_text("待签收")
    await expect(page.locator("#reply-due")).to_contain_text("10 个工作日")
    await expect(page.locator("#assisting")).to_have_text("贵阳市市场监督管理局")
    await expect(page.locator(".script")).to_contain_text(f"工单号是{dispatched}")
    await screenshot(page, "intake-done")
    state = await show(client, dispatched)
    assert {(a.department, a.lead) for a in state.assignments} == {
        ("gy-hr", True),
        ("gy-market", False),
    }

    await fill_call(
        page, category=WATER, district="南明区", title="转供水公司", content="请供水公司接听"
    )
    await page.keyboard.press("Alt+KeyS")
    await page.get_by_label("单位", exact=True).select_option("gy-water")
    await page.get_by_label("接听人").fill("刘工")
    await page.keyboard.press("Control+Enter")
    await receipt(page)
    await expect(page.locator("#status")).to_contain_text("三方通话")

    await fill_call(
        page, category=WATER, district="南明区", title="水管爆裂有人受伤", content="需要急救"
    )
    await page.keyboard.press("Alt+KeyJ")
    await page.get_by_label("应急号码").select_option("120")
    await page.keyboard.press("Control+Enter")
    await receipt(page)
    await expect(page.locator("#status")).to_contain_text("转应急")

    await fill_call(
        page, category=WATER, district="南明区", title="水费官司", content="已经起诉供水公司"
    )
    await page.keyboard.press("Alt+KeyB")
    await page.get_by_label("原因").select_option("litigation")
    await page.get_by_label("告知的途径").fill("请通过法院诉讼途径解决")
    await page.keyboard.press("Control+Enter")
    not_accepted, _ = await receipt(page)
    await expect(page.locator("#status")).to_contain_text("不予受理")
    state = await show(client, not_accepted)
    assert state.intake.outcome.kind == "not_accepted"
    await ctx.close()


async def test_the_typing_fragments_need_the_csrf_field_and_the_intake_role(
    browser: Browser, console_url: str, database_url: str
) -> None:
    operator = person(database_url, "operator")
    liaison = person(database_url, "department", "gy-water")
    ctx, page = await sign_in(browser, console_url, operator)
    await page.goto("/intake")
    csrf = await page.locator("#intake-form input[name=csrf]").input_value()
    typed: dict[str, str | float | bool] = {
        "title": "停水",
        "content": "小区停水",
        "category": WATER,
        "district": "南明区",
    }
    refused = await page.request.post("/fragments/intake-assist", form=typed)
    assert refused.status == 403
    answered = await page.request.post("/fragments/intake-assist", form=typed | {"csrf": csrf})
    assert answered.status == 200 and "知识库答案" in await answered.text()
    assert answered.headers["cache-control"] == "no-store"
    found = await page.request.post("/fragments/wording", form={"text": "喂，你好", "csrf": csrf})
    assert "<mark>喂</mark>" in await found.text()
    clean = await page.request.post("/fragments/wording", form={"text": "喂养宠物", "csrf": csrf})
    assert (await clean.text()).strip() == ""
    assert (await page.request.post("/fragments/wording", form={"text": "喂"})).status == 403

    ctx_dept, dept = await sign_in(browser, console_url, liaison)
    await dept.goto("/inbox?sort=newest")
    dept_csrf = await dept.locator("input[name=csrf]").first.input_value()
    other = await dept.request.post("/fragments/intake-assist", form=typed | {"csrf": dept_csrf})
    assert other.status == 403
    wording = await dept.request.post(
        "/fragments/wording", form={"text": "不知道", "csrf": dept_csrf}
    )
    assert "不知道" in await wording.text()  # the reply field's check: every role has it
    for context in (ctx, ctx_dept):
        await context.close()

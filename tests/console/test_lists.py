"""Every list of the console in a real browser: filters, saved filters, keyset pages, the CSV,
bulk dispatch with a refused case, and the colour of each clock stage (virtual time).

Cases are started on the session's engine with a title of their own, so each test filters its
own cases out of the shared database (the filters are what is tested).
"""

from __future__ import annotations

import asyncio
import csv
import io
import secrets
from typing import Any

from playwright.async_api import Browser, Page, expect
from temporalio.testing import WorkflowEnvironment

from db.engine import make_engine
from db.engine import session_factory as make_sessions
from models.commands import Dispatch, EscalationRequest
from models.enums import Step
from models.intake import Caller, Location, ToDispatch
from services import cases as case_service
from services.case_list import CaseFilter, list_cases
from tests.console.people import person, screenshot, sign_in
from tests.workflows.cases import CaseHandle, advance_to, intake, start, started
from workflows.case import CaseWorkflow, workflow_id

WAIT_SECONDS = 20
SECRET_NAME = "欧阳保密"
SECRET_PHONE = "13712345678"


async def open_cases(
    env: WorkflowEnvironment, database_url: str, title: str, count: int, **changes: Any
) -> list[str]:
    """`count` received cases titled `title` (plus a number), once their rows are in SQL."""
    changes.setdefault("outcome", ToDispatch())  # no lead named: the dispatcher's to route
    cases = [intake(title=f"{title} {i:02d}", **changes) for i in range(count)]
    handles = await asyncio.gather(*(start(env.client, case) for case in cases))
    await asyncio.gather(*(started(handle) for handle in handles))
    sessions = make_sessions(make_engine(database_url))
    for _ in range(WAIT_SECONDS * 10):
        found = list_cases(sessions, CaseFilter(title_contains=title), limit=count + 1)
        if len(found.items) >= count:
            break
        await asyncio.sleep(0.1)
    return [case.case_no for case in cases]


async def reload_until(page: Page, url: str, selector: str, count: int = 1) -> None:
    """Reload `url` until `selector` matches `count` elements (the workflow works on its own)."""
    for _ in range(WAIT_SECONDS * 4):
        await page.goto(url)
        if await page.locator(selector).count() == count:
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"{url} never showed {count} of {selector}")


async def test_filters_saved_filters_pages_and_the_csv(
    browser: Browser, console_url: str, database_url: str, env: WorkflowEnvironment
) -> None:
    token = f"列表{secrets.token_hex(3)}"
    confidential = Caller(name=SECRET_NAME, phones=[SECRET_PHONE], confidential=True)
    numbers = await open_cases(env, database_url, token, 12, caller=confidential)
    dispatcher = person(database_url, "dispatcher")
    other = person(database_url, "dispatcher")
    ctx, page = await sign_in(browser, console_url, dispatcher)

    await page.goto("/queue")
    await page.get_by_label("标题包含").fill(token)
    await page.get_by_label("区县").select_option("云岩区")
    await page.get_by_label("排序").select_option("oldest")
    await page.get_by_label("每页件数").select_option("10")
    await page.get_by_role("button", name="筛选", exact=True).click()
    received = page.locator("[data-fragment='/fragments/received']")
    await expect(received.locator("tbody tr")).to_have_count(10)
    await expect(received.locator(".shown")).to_contain_text("本页显示 10 件，后面还有")
    first_page = [await a.inner_text() for a in await received.locator("tbody a").all()]
    assert len(set(first_page)) == 10 and set(first_page) <= set(numbers)
    assert "q=" in page.url and "per=10" in page.url  # the filters are in the URL
    await screenshot(page, "lists-queue")

    await received.get_by_role("link", name="下一页").click()
    await expect(received.locator("tbody tr")).to_have_count(2)
    second_page = [await a.inner_text() for a in await received.locator("tbody a").all()]
    assert sorted(first_page + second_page) == sorted(numbers)  # each case once, none lost
    await expect(received.get_by_role("link", name="下一页")).to_have_count(0)
    await expect(page.get_by_label("标题包含")).to_have_value(token)  # filters kept

    fragment = await page.request.get(
        "/fragments/received", params={"q": token, "sort": "oldest", "per": "10"}
    )
    assert fragment.ok and first_page[0] in await fragment.text()

    await page.get_by_label("把当前条件保存为").fill("我的测试筛选")
    await page.get_by_role("button", name="保存筛选").click()
    await expect(page.locator("p.notice")).to_contain_text("已保存")
    await page.goto("/queue")
    await expect(
        page.locator("[data-fragment='/fragments/received'] tbody tr").first
    ).to_be_visible()
    await page.get_by_role("link", name="我的测试筛选").click()
    await expect(page.get_by_label("标题包含")).to_have_value(token)
    await expect(received.locator("tbody tr")).to_have_count(10)
    saved_href = await page.get_by_role("link", name="我的测试筛选").get_attribute("href")
    assert saved_href is not None

    async with page.expect_download() as download_info:
        await (
            page.locator("section", has=page.locator("#h-received"))
            .get_by_role("link", name="导出 CSV")
            .click()
        )
    download = await download_info.value
    path = await download.path()
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "案件编号"
    assert sorted(row[0] for row in rows[1:]) == sorted(numbers)  # every page, as filtered
    assert SECRET_NAME not in text and SECRET_PHONE not in text

    ctx_other, other_page = await sign_in(browser, console_url, other)
    await other_page.goto("/queue")
    await expect(other_page.get_by_role("link", name="我的测试筛选")).to_have_count(0)
    stolen = await other_page.goto(saved_href)
    assert stolen is not None and stolen.status == 404
    refused = await other_page.goto("/queue?level=9")
    assert refused is not None and refused.status == 422
    await expect(other_page.locator("main")).to_contain_text("督办级别")

    await page.get_by_role("button", name="删除筛选条件 我的测试筛选").click()
    await expect(page.locator("p.notice")).to_contain_text("已删除")
    await expect(page.get_by_role("link", name="我的测试筛选")).to_have_count(0)
    for context in (ctx, ctx_other):
        await context.close()


async def test_bulk_dispatch_reports_each_case_and_a_refusal_stops_nothing(
    browser: Browser, console_url: str, database_url: str, env: WorkflowEnvironment
) -> None:
    token = f"批量{secrets.token_hex(3)}"
    good = await open_cases(env, database_url, token, 3)
    nowhere = Location(district="测试新区", street="无街道", address="无地址")  # no government
    (stray,) = await open_cases(
        env, database_url, f"{token}无目录", 1, category="无此目录/测试", location=nowhere
    )
    dispatcher = person(database_url, "dispatcher")
    ctx, page = await sign_in(browser, console_url, dispatcher)
    await page.goto(f"/queue?q={token}")
    received = page.locator("[data-fragment='/fragments/received']")
    await expect(received.locator("tbody tr")).to_have_count(4)
    await expect(received.locator(".countdown").first).to_contain_text("剩余")
    for case_no in [*good, stray]:
        await page.get_by_label(f"选择 {case_no}").check()

    # Meanwhile the first case is dispatched elsewhere: its bulk dispatch is refused.
    handle: CaseHandle = env.client.get_workflow_handle(workflow_id(good[0]))
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch(by="someone-else"))
    await page.get_by_role("button", name="按建议派单").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("批量派单结果")
    await expect(page.locator("p.notice")).to_contain_text("共 4 件，已派单 2 件")
    await expect(page.locator(f"#result-{good[0]}")).to_contain_text("被拒绝")
    for case_no in good[1:]:
        await expect(page.locator(f"#result-{case_no}")).to_contain_text("已派单")
        await expect(page.locator(f"#result-{case_no}")).to_contain_text("市场监督管理局")
    await expect(page.locator(f"#result-{stray}")).to_contain_text("目录无建议单位")
    await screenshot(page, "lists-bulk-dispatch")
    for case_no in good[1:]:
        state = await env.client.get_workflow_handle(workflow_id(case_no)).query(CaseWorkflow.state)
        assert state.lead is not None and state.lead.department == "gy-market"
    await ctx.close()


async def test_each_clock_stage_has_its_colour_and_words(
    browser: Browser, console_url: str, database_url: str, env: WorkflowEnvironment
) -> None:
    token = f"颜色{secrets.token_hex(3)}"
    on_time, warned, overdue, level2 = await open_cases(env, database_url, token, 4)

    async def dispatch_clock(case_no: str) -> tuple[CaseHandle, Any]:
        handle: CaseHandle = env.client.get_workflow_handle(workflow_id(case_no))
        state = await handle.query(CaseWorkflow.state)
        return handle, next(c for c in state.clocks if c.deadline.step is Step.DISPATCH)

    handle, clock = await dispatch_clock(warned)
    await advance_to(env, handle, clock.deadline.warn_at)
    handle, clock = await dispatch_clock(overdue)
    await advance_to(env, handle, clock.deadline.due)
    await case_service.escalate(
        env.client, level2, EscalationRequest(level=2, note="领导关注", by="sup-test")
    )

    supervisor = person(database_url, "supervisor")
    ctx, page = await sign_in(browser, console_url, supervisor)
    url = f"/search?q={token}"
    await reload_until(page, url, "tr.stage-warned")
    await reload_until(page, url, "tr.stage-overdue")
    await reload_until(page, url, "tr.stage-level2")
    for case_no, stage, words in (
        (on_time, "running", "正常"),
        (warned, "warned", "预警"),
        (overdue, "overdue", "超期"),
        (level2, "level2", "二级督办"),
    ):
        row = page.locator("table.cases tr", has_text=case_no)
        await expect(row).to_have_class(f"stage-{stage}")
        await expect(row.locator(".stage")).to_contain_text(words)  # not colour alone
    await expect(page.locator(".legend")).to_contain_text("预警")
    await screenshot(page, "lists-search")

    await page.goto(f"/search?q={token}&stage=warned")
    await expect(page.locator("table.cases tbody tr")).to_have_count(1)
    await expect(page.locator("table.cases tbody tr")).to_have_class("stage-warned")

    await page.goto(f"/board?q={token}")
    overdue_box = page.locator("[data-fragment='/fragments/overdue']")
    await expect(overdue_box.locator("tbody tr", has_text=overdue)).to_be_visible()
    groups = page.locator("table.groups").first
    await expect(groups).to_contain_text("（未派单）")
    await screenshot(page, "lists-board")
    await ctx.close()

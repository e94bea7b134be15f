"""An overdue case on the supervisor's board, escalated from the browser.

The case's own virtual clock is moved past its sign-off deadline (no test sleeps for a
deadline), so the workflow marks it overdue and the board's SQL list shows it.
"""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, Page, expect
from temporalio.testing import WorkflowEnvironment

from models.enums import Step
from tests.console.flows import open_case, take_call
from tests.console.people import person, screenshot, sign_in
from tests.workflows.cases import CaseHandle, advance_to
from workflows.case import CaseWorkflow, workflow_id

WAIT_SECONDS = 20


async def reload_until(page: Page, url: str, selector: str, text: str) -> None:
    """Reload `url` until `selector` shows `text` (the workflow applies a signal on its own)."""
    for _ in range(WAIT_SECONDS * 4):
        await page.goto(url)
        found = page.locator(selector)
        if await found.count() and text in await found.first.inner_text():
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"{url} never showed {text!r} in {selector}")


async def test_a_supervisor_escalates_an_overdue_case(
    browser: Browser, console_url: str, database_url: str, env: WorkflowEnvironment
) -> None:
    operator = person(database_url, "operator")
    supervisor = person(database_url, "supervisor")
    ctx_op, op = await sign_in(browser, console_url, operator)
    case_no = await take_call(op, title="超期未签收的投诉", lead="gy-market")

    handle: CaseHandle = env.client.get_workflow_handle(workflow_id(case_no))
    state = await handle.query(CaseWorkflow.state)
    sign_off = next(c for c in state.clocks if c.deadline.step is Step.SIGN_OFF)
    await advance_to(env, handle, sign_off.deadline.due)

    ctx_sup, sup = await sign_in(browser, console_url, supervisor)
    await reload_until(sup, "/board?sort=newest", "[data-fragment='/fragments/overdue']", case_no)
    row = sup.locator("[data-fragment='/fragments/overdue'] tr", has_text=case_no)
    await expect(row).to_have_class("stage-overdue")
    await screenshot(sup, "supervisor-board")

    await open_case(sup, case_no)
    await sup.get_by_label("督办级别").select_option("2")
    await sup.get_by_label("督办意见").fill("媒体关注，请加快办理")
    await sup.get_by_role("button", name="督办", exact=True).click()
    await expect(sup.locator("p.notice")).to_contain_text("督办")
    await reload_until(sup, f"/case/{case_no}", "#level", "2")
    await screenshot(sup, "supervisor-case")
    await reload_until(sup, "/board?sort=newest", "[data-fragment='/fragments/overdue']", case_no)
    await expect(row).to_have_class("stage-level2")
    for context in (ctx_op, ctx_sup):
        await context.close()

"""A phone call to closure in the browser, each step by its own role in its own context:
the operator takes it, the dispatcher dispatches it by the catalogue, the department signs and
answers it (first with forbidden wording, refused beside the field), the dispatcher approves
the reply, and the callback closes it."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.console.flows import expect_status, open_case, take_call
from tests.console.people import person, screenshot, sign_in


async def test_a_call_is_driven_to_closure_in_the_browser(
    browser: Browser, console_url: str, database_url: str
) -> None:
    operator = person(database_url, "operator")
    dispatcher = person(database_url, "dispatcher")
    liaison = person(database_url, "department", "gy-market")

    ctx_op, op = await sign_in(browser, console_url, operator)
    case_no = await take_call(op, title="商家拒绝退款", shot="intake")
    await screenshot(op, "intake-done")

    ctx_disp, disp = await sign_in(browser, console_url, dispatcher)
    await disp.goto("/queue?sort=newest")
    await expect(disp.get_by_role("link", name=case_no)).to_be_visible()
    await screenshot(disp, "dispatcher-queue")
    await open_case(disp, case_no)
    await expect_status(disp, "待派单")
    await expect(disp.locator("#suggested")).to_contain_text("贵阳市市场监督管理局")
    await screenshot(disp, "dispatcher-case")
    await disp.get_by_role("button", name="派单", exact=True).click()
    await expect_status(disp, "待签收")

    ctx_dept, dept = await sign_in(browser, console_url, liaison, phone=True)
    await dept.goto("/inbox?sort=newest")
    await expect(dept.get_by_role("link", name=case_no)).to_be_visible()
    await screenshot(dept, "department-inbox-phone")
    await open_case(dept, case_no)
    await dept.get_by_role("button", name="签收").click()
    await expect_status(dept, "办理中")
    await dept.get_by_label("答复内容").fill("这个我们不知道")
    await dept.get_by_label("责任人").fill("王科长")
    await dept.get_by_role("button", name="提交答复").click()
    await expect(dept.locator("#err-content")).to_contain_text("不知道")
    await screenshot(dept, "department-reply-wording-phone")
    await expect_status(dept, "办理中")
    await dept.get_by_label("答复内容").fill("已约谈商家，商家同意退款")
    await dept.get_by_label("责任人").fill("王科长")
    await dept.get_by_role("button", name="提交答复").click()
    await expect_status(dept, "答复待审核")
    await screenshot(dept, "department-case-phone")

    await disp.goto("/queue?sort=newest")
    await expect(disp.get_by_role("link", name=case_no)).to_be_visible()
    await open_case(disp, case_no)
    await disp.get_by_label("理由").fill("答复完整")
    await disp.get_by_role("button", name="提交审核").click()
    await expect_status(disp, "待回访")

    await op.goto("/callbacks?sort=newest")
    await expect(op.get_by_role("link", name=case_no)).to_be_visible()
    await open_case(op, case_no)
    await op.get_by_label("满意度").select_option("satisfied")
    await op.get_by_label("是否解决").select_option("true")
    await screenshot(op, "callback-form")
    await op.get_by_role("button", name="记录回访").click()
    await expect_status(op, "已办结")
    await screenshot(op, "case-closed")
    for context in (ctx_op, ctx_disp, ctx_dept):
        await context.close()


async def test_a_returned_case_is_reviewed_and_dispatched_again(
    browser: Browser, console_url: str, database_url: str
) -> None:
    operator = person(database_url, "operator")
    dispatcher = person(database_url, "dispatcher")
    liaison = person(database_url, "department", "gy-market")
    housing = person(database_url, "department", "gy-housing")
    ctx_op, op = await sign_in(browser, console_url, operator)
    case_no = await take_call(op, title="其实是物业问题", lead="gy-market")

    ctx_dept, dept = await sign_in(browser, console_url, liaison)
    await open_case(dept, case_no)
    await dept.get_by_label("退单原因").select_option("not_our_duty")
    await dept.get_by_label("依据").fill("物业服务纠纷属住建部门职责")
    await dept.get_by_role("button", name="退单").click()
    await expect_status(dept, "退单审核中")

    ctx_disp, disp = await sign_in(browser, console_url, dispatcher)
    await disp.goto("/queue?sort=newest")
    await expect(disp.get_by_role("link", name=case_no)).to_be_visible()
    await open_case(disp, case_no)
    await disp.get_by_label("改派单位（通过时，可选）").select_option("gy-housing")
    await disp.get_by_label("理由").fill("同意退单，改派住建局")
    await disp.get_by_role("button", name="提交审核").click()
    await expect_status(disp, "待签收")

    ctx_h, other = await sign_in(browser, console_url, housing)
    await other.goto("/inbox?sort=newest")
    await expect(other.get_by_role("link", name=case_no)).to_be_visible()
    gone = await dept.goto(f"/case/{case_no}")
    assert gone is not None and gone.status == 404  # no longer the market bureau's case
    for context in (ctx_op, ctx_dept, ctx_disp, ctx_h):
        await context.close()

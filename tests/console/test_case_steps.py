"""Every step of the case page in the browser, each by its own role in its own context.

A department asks for an extension on a phone; the dispatcher decides it reading the days and
the reason beside the form, and cannot grant more than was asked; the department replies and
the dispatcher reviews the reply with its content and writer shown; the timeline tells it all
in Chinese. An assisting department finds the case in its inbox and gives its input, which the
lead department reads on its own page.
"""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.console.flows import expect_status, open_case, take_call
from tests.console.people import person, screenshot, sign_in


async def sign_for(dept: Page, case_no: str) -> None:
    await open_case(dept, case_no)
    await dept.get_by_role("button", name="签收").click()
    await expect(dept.locator("p.notice")).to_contain_text("签收")


async def test_an_extension_is_asked_decided_and_the_reply_reviewed(
    browser: Browser, console_url: str, database_url: str
) -> None:
    operator = person(database_url, "operator")
    dispatcher = person(database_url, "dispatcher")
    liaison = person(database_url, "department", "gy-market")
    ctx_op, op = await sign_in(browser, console_url, operator)
    case_no = await take_call(op, title="商家拒不退款需检测", lead="gy-market")

    ctx_dept, dept = await sign_in(browser, console_url, liaison, phone=True)
    await sign_for(dept, case_no)
    await expect_status(dept, "办理中")
    await expect(dept.locator("#content")).to_have_attribute("data-wording-check", "")
    width = await dept.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the department's case page is {width}px wide on a 390px phone"
    await dept.get_by_label("延期天数（工作日）").fill("3")
    await dept.get_by_label("延期理由").fill("需送检商品，检测机构出具报告需要 3 个工作日")
    await dept.get_by_role("button", name="申请延期").click()
    await expect(dept.locator("p.notice")).to_contain_text("申请延期")
    await expect(dept.locator("#step-extension-request")).to_have_count(0)

    ctx_disp, disp = await sign_in(browser, console_url, dispatcher)
    await open_case(disp, case_no)
    reason = disp.locator("#reason-extension")
    await expect(reason.locator("#asked-days")).to_have_text("3 个工作日")
    await expect(reason.locator("#asked-reason")).to_contain_text("检测机构出具报告")
    await expect(reason).to_contain_text("贵阳市市场监督管理局")
    granted = disp.locator("#granted_days")
    await expect(granted).to_have_attribute("max", "3")
    await screenshot(disp, "case-extension")
    # More than asked: the browser's own bound aside, the case refuses it and stays as it was.
    await granted.evaluate("field => field.removeAttribute('max')")
    await granted.fill("5")
    await disp.get_by_role("button", name="提交延期审核").click()
    await expect(disp.locator("p.refusal")).to_contain_text("3 were requested")
    await expect(disp.locator("#reason-extension")).to_be_visible()
    await granted.fill("2")
    await disp.get_by_label("理由", exact=True).first.fill("同意延期 2 个工作日")
    await disp.get_by_role("button", name="提交延期审核").click()
    await expect(disp.locator("p.notice")).to_contain_text("延期审核")
    await expect(disp.locator("#step-extension-decision")).to_have_count(0)
    handling = disp.locator("#clocks tr", has_text="办理")
    await expect(handling).to_contain_text("原 ")
    await expect(disp.locator("#timeline")).to_contain_text("批准延期 2 个工作日")

    await open_case(dept, case_no)
    await expect(dept.locator("#timeline")).to_contain_text("申请延期 3 个工作日")
    await expect(dept.locator("#step-extension-request")).to_have_count(0)  # one per assignment
    await dept.get_by_label("答复内容").fill("已督促商家退款，消费者已收到退款")
    await dept.get_by_label("责任人").fill("王科长")
    await dept.get_by_role("button", name="提交答复").click()
    await expect_status(dept, "答复待审核")

    await open_case(disp, case_no)
    shown = disp.locator("#reason-reply")
    await expect(shown.locator("#reply-content")).to_have_text("已督促商家退款，消费者已收到退款")
    await expect(shown.locator("#reply-officer")).to_have_text("王科长")
    await expect(shown).to_contain_text(liaison.user_id)
    await disp.get_by_role("radio", name="通过", exact=True).check()
    await disp.get_by_role("button", name="提交审核").click()
    await expect_status(disp, "待回访")
    timeline = disp.locator("#timeline li")
    await expect(timeline.filter(has_text="审核通过答复")).to_have_count(1)
    await expect(disp.locator("#timeline")).to_contain_text("派单给 贵阳市市场监督管理局")
    await screenshot(disp, "case-timeline")
    for context in (ctx_op, ctx_dept, ctx_disp):
        await context.close()


async def test_an_assisting_department_gives_its_input(
    browser: Browser, console_url: str, database_url: str
) -> None:
    operator = person(database_url, "operator")
    dispatcher = person(database_url, "dispatcher")
    lead = person(database_url, "department", "gy-market")
    helper = person(database_url, "department", "gy-housing")
    ctx_op, op = await sign_in(browser, console_url, operator)
    case_no = await take_call(op, title="商铺占用消防通道")

    ctx_disp, disp = await sign_in(browser, console_url, dispatcher)
    await open_case(disp, case_no)
    await disp.locator("input[name=assisting_departments][value=gy-housing]").check()
    await disp.get_by_role("button", name="派单", exact=True).click()
    await expect(disp.locator("#err-assisting_departments")).to_contain_text("承办单位")
    await expect_status(disp, "待派单")
    await disp.locator("#lead_department").select_option("gy-market")
    await disp.locator("input[name=assisting_departments][value=gy-housing]").check()
    await disp.get_by_role("button", name="派单", exact=True).click()
    await expect_status(disp, "待签收")
    await expect(disp.locator("#timeline")).to_contain_text("协办：贵阳市住房和城乡建设局")

    ctx_h, other = await sign_in(browser, console_url, helper, phone=True)
    await other.goto("/inbox?sort=newest")
    await expect(other.get_by_role("link", name=case_no)).to_be_visible()
    await open_case(other, case_no)
    await expect(other.locator("#step-reply")).to_have_count(0)
    await expect(other.locator("#step-return")).to_have_count(0)
    await screenshot(other, "case-assist-phone")
    await other.get_by_label("协办意见内容").fill("经核查，该商铺属违规占用，已责令整改")
    await other.get_by_role("button", name="提交协办意见").click()
    await expect(other.locator("p.notice")).to_contain_text("协办意见")
    await expect(other.locator("#step-assist-input")).to_have_count(0)
    width = await other.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the assisting department's page is {width}px wide"

    ctx_lead, mine = await sign_in(browser, console_url, lead)
    await open_case(mine, case_no)
    await expect(mine.locator(".case-assist")).to_contain_text("已责令整改")
    await expect(mine.locator("#timeline")).to_contain_text("提交协办意见")
    await expect(mine.locator("#step-assist-input")).to_have_count(0)
    for context in (ctx_op, ctx_disp, ctx_h, ctx_lead):
        await context.close()


async def test_an_operator_notes_merges_and_withdraws(
    browser: Browser, console_url: str, database_url: str
) -> None:
    operator = person(database_url, "operator")
    ctx_op, op = await sign_in(browser, console_url, operator)
    master = await take_call(op, title="同一商家多次投诉")
    duplicate = await take_call(op, title="同一商家多次投诉（重复来电）")

    await open_case(op, duplicate)
    await op.locator("#step-notes summary").click()
    await op.get_by_label("备注内容").fill("来电人第二次来电，情况相同")
    await op.locator("#step-notes button[type=submit]").click()
    await expect(op.locator("#timeline")).to_contain_text("备注，意见：来电人第二次来电，情况相同")
    await op.locator("#step-merge summary").click()
    await op.get_by_label("并入的主案件编号").fill("不是编号")
    await op.locator("#step-merge button[type=submit]").click()
    await expect(op.locator("#err-master_case_no")).to_be_visible()
    await expect(op.locator("#step-merge")).to_have_attribute("open", "")
    await op.get_by_label("并入的主案件编号").fill(master)
    await op.locator("#step-merge button[type=submit]").click()
    await expect_status(op, "已办结")
    await expect(op.locator("#timeline")).to_contain_text(f"将本案并入 {master}")
    await expect(op.locator("#step-withdraw")).to_have_count(0)  # nothing to do on a closed case

    linked = f"将案件 {duplicate} 并入本案"
    for _ in range(40):  # the master case takes the link by a signal of its own
        await open_case(op, master)
        if linked in await op.locator("#timeline").inner_text():
            break
    await expect(op.locator("#timeline")).to_contain_text(linked)
    await op.locator("#step-withdraw summary").click()
    await op.get_by_label("撤单原因").fill("来电人来电撤回诉求")
    await op.locator("#step-withdraw button[type=submit]").click()
    await expect_status(op, "已撤单")
    await expect(op.locator("#timeline")).to_contain_text("撤单，原因：来电人来电撤回诉求")
    await ctx_op.close()

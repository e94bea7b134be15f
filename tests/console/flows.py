"""Steps of the browser tests, as a person does them on the pages."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

CASE_NO = re.compile(r"^[A-Z]{2}\d{8}-\d{6}$")
CALLER_NAME = "李晓梅"
CALLER_PHONE = "13900001111"
CALLER_ADDRESS = "中华北路 100 号"


async def take_call(
    page: Page, *, title: str, confidential: bool = False, lead: str = "", shot: str = ""
) -> str:
    """The operator's intake form, filled and submitted: the case number on screen."""
    await page.goto("/intake")
    await page.get_by_label("诉求类型").select_option("complaint")
    await page.get_by_label("分类（目录）").fill("市场监管/消费投诉")
    await page.get_by_label("标题", exact=True).fill(title)
    await page.get_by_label("诉求内容").fill("购买的商品有质量问题，商家拒绝退款")
    await page.get_by_label("区县", exact=True).select_option("云岩区")
    await page.get_by_label("街道", exact=True).fill("中华北路街道")
    await page.get_by_label("详细地址").fill(CALLER_ADDRESS)
    await page.get_by_label("姓名", exact=True).fill(CALLER_NAME)
    await page.get_by_label("电话", exact=True).fill(CALLER_PHONE)
    if confidential:
        await page.locator("#confidential").check()
    await page.locator("input[name=outcome][value=dispatch]").check()
    if lead:
        await page.locator("#lead_department").select_option(lead)
    if shot:
        await expect(page.locator("#suggestion")).to_contain_text("目录建议承办单位")
        from tests.console.people import screenshot

        await screenshot(page, shot)
    await page.get_by_role("button", name="提交受理").click()
    number = page.locator("#case-no")
    await expect(number).to_have_text(CASE_NO)
    return await number.inner_text()


async def open_case(page: Page, case_no: str) -> None:
    await page.goto(f"/case/{case_no}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"案件 {case_no}")


async def expect_status(page: Page, text: str) -> None:
    await expect(page.locator("#status")).to_contain_text(text)

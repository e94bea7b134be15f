"""The 通知 section of the case page and the notice counts on /today, in the browser.

A real case's three notices (the receipt SMS, a dispatch notice to the lead and one to the
assisting department) are given the states delivery leaves them in; the supervisor sees each
with its status in Chinese and the citizen's phone masked, a department sees only its own
notice and no phone, another department gets the 404 page, and /today counts the pending,
held and dead-lettered notices for supervisors only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, expect
from temporalio.client import Client

from db.engine import SessionFactory
from models.timestamps import BEIJING
from services.notice_delivery import delivery_counts
from tests.console.people import person, screenshot, sign_in
from tests.notices_surfaces.support import (
    ASSISTING,
    LEAD,
    MASKED,
    OTHER,
    PHONE,
    arrange,
    dead,
    dispatched_case,
    held,
    outbox,
    row_id,
    sent,
)

LEAD_NAME = "贵阳市人力资源和社会保障局"
ASSISTING_NAME = "贵阳市市场监督管理局"


async def test_the_case_page_shows_each_notice_as_the_reader_may_see_it(
    browser: Browser, console_url: str, client: Client, sessions: SessionFactory, database_url: str
) -> None:
    case_no = await dispatched_case(client, sessions)
    rows = await outbox(sessions, case_no, {"sms_received"}, at_least=3)
    sms, to_lead, to_assisting = (
        row_id(rows, "sms_received"),
        row_id(rows, "dispatch_notice", LEAD),
        row_id(rows, "dispatch_notice", ASSISTING),
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    morning = (now.astimezone(BEIJING) + timedelta(days=1)).replace(hour=8, minute=0)
    held(sessions, sms, morning)
    dead(sessions, to_lead, now)
    sent(sessions, to_assisting, now, delivered=True)

    ctx, sup = await sign_in(browser, console_url, person(database_url, "supervisor"))
    await sup.goto(f"/case/{case_no}")
    section = sup.locator("#notices")
    await expect(section.get_by_role("heading", name="通知")).to_be_visible()
    await expect(section.locator("tbody tr")).to_have_count(3)
    citizen = section.locator(f"#notice-{sms}")
    await expect(citizen).to_contain_text("受理短信")
    await expect(citizen).to_contain_text(f"来电人 {MASKED}")
    await expect(citizen).to_contain_text(f"暂缓至 {morning:%Y-%m-%d} 08:00")
    lead = section.locator(f"#notice-{to_lead}")
    await expect(lead).to_contain_text(LEAD_NAME)
    await expect(lead).to_contain_text("派单通知")
    await expect(lead).to_contain_text("短信网关")
    await expect(lead).to_contain_text("发送失败")
    await expect(lead).to_contain_text("HTTP 503 from the SMS gateway")
    await expect(lead.locator("td").nth(4)).to_have_text("5")
    assisting = section.locator(f"#notice-{to_assisting}")
    await expect(assisting).to_contain_text("已送达")
    await expect(assisting).to_contain_text("电子邮件")
    assert PHONE not in await section.inner_html()  # the case facts show the centre the caller
    await screenshot(sup, "case-notices")

    for status, word in (
        ("pending", "待发送"),
        ("sending", "发送中"),
        ("sent", "已发送"),
        ("suppressed", "已退订不发送"),
    ):
        arrange(sessions, sms, status=status)
        await sup.reload()
        await expect(sup.locator(f"#notice-{sms} .notice-status")).to_have_text(word)

    counts = delivery_counts(sessions)
    await sup.goto("/today")
    await expect(sup.locator("#today-notices")).to_be_visible()
    await expect(sup.locator("#notices-pending")).to_have_text(str(counts.pending))
    await expect(sup.locator("#notices-held")).to_have_text(str(counts.held))
    await expect(sup.locator("#notices-dead")).to_have_text(str(counts.dead))
    assert counts.dead >= 1
    await screenshot(sup, "today-notices")
    await ctx.close()

    assisting_user = person(database_url, "department", ASSISTING)
    ctx, liaison = await sign_in(browser, console_url, assisting_user)
    await liaison.goto(f"/case/{case_no}")
    rows_seen = liaison.locator("#notices tbody tr")
    await expect(rows_seen).to_have_count(1)
    await expect(rows_seen.first).to_contain_text(ASSISTING_NAME)
    await expect(rows_seen.first).to_contain_text("已送达")
    html = await liaison.locator("#notices").inner_html()
    assert PHONE not in html and MASKED not in html and "来电人" not in html
    await ctx.close()

    ctx, outsider = await sign_in(browser, console_url, person(database_url, "department", OTHER))
    response = await outsider.goto(f"/case/{case_no}")
    assert response is not None and response.status == 404
    await ctx.close()

    ctx, dispatcher = await sign_in(browser, console_url, person(database_url, "dispatcher"))
    await dispatcher.goto("/today")
    await expect(dispatcher.locator("#today-open")).to_be_visible()
    await expect(dispatcher.locator("#today-notices")).to_have_count(0)
    await ctx.close()

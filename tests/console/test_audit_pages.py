"""The auditor's pages in the browser: search, the record sheet (on screen and printed), the
export download, replay and hash-chain verification of an intact and a tampered case, the
access log of every view; and a dispatcher refused every audit page."""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime
from pathlib import Path

from playwright.async_api import Browser, Page, ViewportSize, expect
from temporalio.client import Client

from api.console.audit_log_pages import PAGE_SIZE
from db.engine import make_engine
from db.engine import session_factory as make_sessions
from models.intake import Caller, Location
from models.timestamps import BEIJING
from rules.permissions import Principal, Role
from services.access_log import AccessEntry, access_entries, record_access
from tests.audit.conftest import execute
from tests.console.people import DESKTOP, person, screenshot, sign_in
from tests.workflows.cases import drive_to_closure, intake, start

WHISTLE_NAME = "赵保密"
WHISTLE_PHONE = "13700002222"
WHISTLE_ADDRESS = "宝山北路 8 号 3 单元"
A4_AT_96_DPI: ViewportSize = {"width": 794, "height": 1123}
AUDIT_PAGES = (
    "/audit",
    "/audit/access-log",
    "/audit/case/{no}",
    "/audit/case/{no}/record",
    "/audit/case/{no}/access-log",
)


async def closed_case(client: Client, title: str, *, confidential: bool = False) -> str:
    """A complaint taken, dispatched, signed, answered, approved and called back: closed."""
    case = intake(
        title=title,
        caller=Caller(name=WHISTLE_NAME, phones=[WHISTLE_PHONE], confidential=confidential),
        location=Location(district="云岩区", street="宝山北路街道", address=WHISTLE_ADDRESS),
    )
    await drive_to_closure(await start(client, case))
    return case.case_no


def log_of(database_url: str, case_no: str) -> list[AccessEntry]:
    return access_entries(make_sessions(make_engine(database_url)), case_no=case_no)


async def search_for(page: Page, text: str) -> None:
    await page.goto("/audit")
    await page.get_by_label("案件编号或标题").fill(text)
    await page.get_by_role("button", name="查询").click()


async def test_an_auditor_searches_reads_prints_and_exports_a_confidential_case(
    browser: Browser, console_url: str, database_url: str, client: Client, tmp_path: Path
) -> None:
    marker = f"审计抽查{secrets.token_hex(2)}"
    case_no = await closed_case(client, f"{marker} 保密举报", confidential=True)
    others = [await closed_case(client, f"{marker} 商家拒绝退款 {n}") for n in (1, 2)]
    auditor = person(database_url, "auditor")
    ctx, page = await sign_in(browser, console_url, auditor)

    await page.get_by_role("link", name="审计").click()
    await page.get_by_label("案件编号或标题").fill(marker)
    await page.get_by_label("状态").select_option("closed")
    await page.get_by_role("button", name="查询").click()
    for number in [case_no, *others]:
        await expect(page.get_by_role("link", name=number, exact=True)).to_be_visible()
    listed = await page.content()
    for secret in (WHISTLE_NAME, WHISTLE_PHONE, WHISTLE_ADDRESS):
        assert secret not in listed  # a list row carries no personal data
    await screenshot(page, "audit-search")
    refused = await page.goto("/audit?status=lost&level=9")
    assert refused is not None and refused.status == 422
    await expect(page.get_by_role("alert")).to_contain_text("状态：不是可选的值")
    await expect(page.get_by_role("alert")).to_contain_text("督办级别：应为 1 至 3")
    await search_for(page, case_no)  # a case number finds exactly that case
    await expect(page.locator("table.audit-cases tbody tr")).to_have_count(1)

    await page.get_by_role("link", name=f"{case_no} 的记录单").click()
    await expect(page.locator("#sheet-case-no")).to_have_text(case_no)
    # The centre's auditor sees a confidential caller in full (rules.disclosure), logged.
    await expect(page.locator("#caller")).to_contain_text(WHISTLE_NAME)
    await expect(page.locator("#phones")).to_contain_text(WHISTLE_PHONE)
    await expect(page.locator("#address")).to_contain_text(WHISTLE_ADDRESS)
    await expect(page.locator("#confidential")).to_have_text("是")
    await expect(page.locator("#status")).to_have_text("已办结")
    await expect(page.locator("#replies")).to_contain_text("王科长")
    await expect(page.locator("#callbacks")).to_contain_text("满意")
    await expect(page.locator("#timeline tbody tr")).to_have_count(6)
    await expect(page.locator("#timeline")).to_contain_text("答复审核通过")
    await expect(page.locator("#deadlines")).to_contain_text("签收")
    await expect(page.locator("#crosscheck")).to_contain_text("一致")
    await screenshot(page, "audit-record-sheet")
    await page.emulate_media(media="print")
    await page.set_viewport_size(A4_AT_96_DPI)
    await expect(page.locator("header.top")).to_be_hidden()
    await expect(page.get_by_role("button", name="打印记录单")).to_be_hidden()
    await expect(page.locator("#printed-at")).to_be_visible()
    await screenshot(page, "audit-record-print")
    pdf = await page.pdf(path=tmp_path / "record-sheet.pdf", prefer_css_page_size=True)
    pages = max(int(n) for n in re.findall(rb"/Count (\d+)", pdf))
    assert pdf.startswith(b"%PDF") and 1 <= pages <= 3  # the whole record on A4 sheets
    await page.emulate_media(media="screen")
    await page.set_viewport_size(DESKTOP)
    [viewed] = log_of(database_url, case_no)
    assert (viewed.user_id, viewed.action, viewed.masked) == (auditor.user_id, "view", False)
    assert "caller.name" in viewed.fields and viewed.purpose == "审计：查阅案件信息记录单"

    await page.goto(f"/audit/case/{case_no}")
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="导出完整记录（JSON）").click()
    download = await download_info.value
    assert download.suggested_filename == f"{case_no}.json"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    exported = json.loads(saved.read_text(encoding="utf-8"))
    assert exported["intake"]["caller"]["name"] == WHISTLE_NAME
    assert exported["intake"]["retrieval_code"] is None
    assert [e["action"] for e in exported["timeline"]][-1] == "callback"
    exports = [e for e in log_of(database_url, case_no) if e.action == "export"]
    assert [(e.user_id, e.purpose) for e in exports] == [
        (auditor.user_id, "审计导出（工作台导出）")
    ]

    await page.get_by_role("link", name="本案件的个人信息访问日志").click()
    rows = page.locator("table.audit-log tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text("导出")
    await expect(rows.nth(1)).to_contain_text("查看")
    await expect(rows.nth(1)).to_contain_text("来电人姓名")
    shown = await page.content()
    for secret in (WHISTLE_NAME, WHISTLE_PHONE, WHISTLE_ADDRESS):
        assert secret not in shown  # the log names fields, never their values
    await page.get_by_label("用户编号").fill("nobody-else")
    await page.get_by_role("button", name="筛选").click()
    await expect(page.get_by_text("没有符合条件的访问记录")).to_be_visible()
    await page.goto(f"/audit/access-log?user={auditor.user_id}")
    await expect(page.locator("table.audit-log tbody tr")).to_have_count(2)
    bad = await page.goto("/audit/access-log?from=2026-13-01")
    assert bad is not None and bad.status == 422
    await expect(page.get_by_role("alert")).to_contain_text("起始日期")

    admin = person(database_url, "admin")  # reads the access log, not personal data
    ctx_admin, admin_page = await sign_in(browser, console_url, admin)
    await admin_page.goto(f"/audit/case/{case_no}/record")
    await expect(admin_page.locator("#caller")).to_contain_text("不能查看")
    assert WHISTLE_NAME not in await admin_page.content()
    assert WHISTLE_PHONE not in await admin_page.content()
    await expect(admin_page.get_by_role("button", name="导出完整记录（JSON）")).to_have_count(0)
    assert all(e.user_id != admin.user_id for e in log_of(database_url, case_no))
    for context in (ctx, ctx_admin):
        await context.close()


async def test_an_auditor_replays_and_verifies_an_intact_and_a_tampered_case(
    browser: Browser, console_url: str, database_url: str, client: Client
) -> None:
    intact = await closed_case(client, "核验：完整的案件")
    tampered = await closed_case(client, "核验：被改动的案件")
    removed = await closed_case(client, "核验：被删记录的案件")
    auditor = person(database_url, "auditor")
    ctx, page = await sign_in(browser, console_url, auditor)

    await page.goto(f"/audit/case/{intact}")
    await page.get_by_role("button", name="历史重放").click()
    await expect(page.locator("#verdict-replay")).to_contain_text("历史重放与当前代码一致")
    await expect(page.locator("#verdict-replay details")).not_to_have_attribute("open", "")
    await expect(page.locator("#verdict-replay pre")).to_contain_text(f"case-{intact}: replays")
    await page.get_by_role("button", name="哈希链核验").click()
    await expect(page.locator("#verdict-verify")).to_contain_text("哈希链完整")
    await expect(page.locator("#verdict-verify")).to_contain_text("已核验 6 条办理记录、1 份归档")
    await page.locator("#verdict-verify summary").click()
    await screenshot(page, "audit-verify")

    sessions = make_sessions(make_engine(database_url))
    changed = execute(
        sessions,
        "UPDATE case_transitions SET actor = 'someone-else' WHERE case_no = :c AND seq = 3",
        c=tampered,
    )
    assert changed == 1
    await page.goto(f"/audit/case/{tampered}")
    await page.get_by_role("button", name="哈希链核验").click()
    verdict = page.locator("#verdict-verify")
    await expect(verdict).to_contain_text("哈希链发现 1 处问题：记录可能被改动")
    await expect(verdict).to_contain_text("第 3 条记录的内容与其哈希不符：记录已被改动")
    await expect(verdict.locator("pre")).to_contain_text(
        f"altered: case {tampered}, transition seq 3"
    )
    await verdict.locator("summary").click()
    await screenshot(page, "audit-verify-tampered")
    await page.get_by_role("button", name="历史重放").click()  # the history itself is intact
    await expect(page.locator("#verdict-replay")).to_contain_text("历史重放与当前代码一致")
    await page.goto(f"/audit/case/{tampered}/record")  # and the sheet's cross-check says so
    await expect(page.locator("#crosscheck")).to_contain_text("与数据库办理记录有 1 处不一致")
    await expect(page.locator("#crosscheck")).to_contain_text(
        "第 3 条记录的操作人：历史为 l，数据库为 someone-else"
    )

    execute(sessions, "DELETE FROM case_transitions WHERE case_no = :c AND seq = 2", c=removed)
    await page.goto(f"/audit/case/{removed}")
    await page.get_by_role("button", name="哈希链核验").click()
    await expect(page.locator("#verdict-verify")).to_contain_text("第 2 条记录缺失：记录被删除")
    missing = await page.request.post(
        "/audit/case/GY20200101-000009/verify",
        form={"csrf": await page.locator("input[name=csrf]").first.get_attribute("value") or ""},
    )
    assert missing.status == 404
    await ctx.close()


async def test_the_access_log_is_filtered_by_user_and_day_and_paged(
    browser: Browser, console_url: str, database_url: str
) -> None:
    sessions = make_sessions(make_engine(database_url))
    reader = Principal(user_id=f"reader-{secrets.token_hex(3)}", role=Role.SUPERVISOR)
    for n in range(PAGE_SIZE + 3):
        record_access(sessions, reader, f"GY20261128-{n:06d}", ["caller.phones"], f"督办核实 {n}")
    auditor = person(database_url, "auditor")
    ctx, page = await sign_in(browser, console_url, auditor)
    await page.goto("/audit/access-log")
    await page.get_by_label("用户编号").fill(reader.user_id)
    today = datetime.now(BEIJING).date().isoformat()
    await page.get_by_label("起始日期（北京时间）").fill(today)
    await page.get_by_label("截止日期（含当日）").fill(today)
    await page.get_by_role("button", name="筛选").click()
    rows = page.locator("table.audit-log tbody tr")
    await expect(rows).to_have_count(PAGE_SIZE)
    await expect(rows.first).to_contain_text(f"督办核实 {PAGE_SIZE + 2}")
    await expect(rows.first).to_contain_text("来电人电话")
    await page.get_by_role("link", name="下一页").click()
    await expect(rows).to_have_count(3)
    await expect(rows.last).to_contain_text("督办核实 0")
    await expect(page.get_by_role("link", name="下一页")).to_have_count(0)
    await page.get_by_role("link", name="回到第一页").click()
    await expect(rows).to_have_count(PAGE_SIZE)
    await page.get_by_label("起始日期（北京时间）").fill("2020-01-01")
    await page.get_by_label("截止日期（含当日）").fill("2020-01-02")
    await page.get_by_role("button", name="筛选").click()
    await expect(page.get_by_text("没有符合条件的访问记录")).to_be_visible()
    await ctx.close()


async def test_a_dispatcher_cannot_open_the_audit_pages(
    browser: Browser, console_url: str, database_url: str, client: Client
) -> None:
    case_no = await closed_case(client, "派单员看不到审计页")
    dispatcher = person(database_url, "dispatcher")
    ctx, page = await sign_in(browser, console_url, dispatcher)
    await expect(page.locator("header nav").get_by_role("link", name="审计")).to_have_count(0)
    for path in AUDIT_PAGES:
        answer = await page.goto(path.format(no=case_no))
        assert answer is not None and answer.status == 403, path
        await expect(page.get_by_role("heading", level=1)).to_have_text("无权操作")
    await page.goto("/password")
    csrf = await page.locator("input[name=csrf]").first.get_attribute("value")
    assert csrf
    for action in ("replay", "verify", "export"):
        refused = await page.request.post(
            f"/audit/case/{case_no}/{action}", form={"csrf": csrf, "purpose": "x"}
        )
        assert refused.status == 403, action
    assert log_of(database_url, case_no) == []  # nothing was read or exported
    await ctx.close()

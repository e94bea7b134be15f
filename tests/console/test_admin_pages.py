"""The administrator's pages in a real browser, each person in a browser context of their own:
a department user created, given a one-time password and made to change it; an API token
issued and revoked (the API then answers 401); a catalogue entry added and a holiday year
published after a bad date is shown; a supervisor approving a knowledge-base version in the
review queue; and the 403 page for everyone else."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import delete
from temporalio.testing import WorkflowEnvironment

from db.engine import make_engine
from db.engine import session_factory as make_sessions
from db.tables import CatalogueRow
from knowledge import articles as kb
from models.enums import ArticleStatus
from models.knowledge import Decision
from services.console_auth import password_state
from services.knowledge_review import decide_review, submit_for_review
from services.principals import get_user
from services.reference_data import list_catalogue, list_departments
from tests.conftest import TASK_QUEUE
from tests.console.people import Person, person, screenshot, sign_in
from tests.knowledge.articles_data import add_department, low_income_fields

GOOD_DATES = "2026-01-01,2026-12-31"
BAD_DATES = "2026-01-01,2026-02-30"
ADDED_CATEGORY = "水务/管网漏水"


@pytest.fixture
def added_category(database_url: str) -> Iterator[str]:
    """A category of this test's own, removed afterwards: other tests (Open311's service list)
    expect the shared database's catalogue to be the demo one."""
    category = f"{ADDED_CATEGORY} {uuid.uuid4().hex[:4]}"
    yield category
    with make_sessions(make_engine(database_url)).begin() as session:
        session.execute(delete(CatalogueRow).where(CatalogueRow.category == category))


async def test_an_admin_creates_a_department_user_who_must_change_the_one_time_password(
    browser: Browser, console_url: str, database_url: str
) -> None:
    admin = person(database_url, "admin")
    ctx, page = await sign_in(browser, console_url, admin)
    await page.goto("/admin")
    new_id = f"water-{uuid.uuid4().hex[:6]}"
    await page.get_by_label("用户名", exact=True).fill(new_id)
    await page.get_by_label("姓名", exact=True).fill("水务局联络员")
    await page.get_by_label("角色", exact=True).select_option("department")
    await page.get_by_role("button", name="创建用户").click()
    await expect(page.get_by_role("alert")).to_contain_text("请更正")  # no department chosen
    await expect(page.locator("#err-department")).to_contain_text("department")
    await page.get_by_label("所属单位（仅承办单位角色）").select_option("gy-water")
    await page.get_by_role("button", name="创建用户").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"用户 {new_id}")
    await expect(page.locator("#password-state")).to_contain_text("未设置")
    await page.get_by_role("button", name="重置密码").click()
    secret = page.locator("#secret")
    await expect(secret).to_have_text(re.compile(r"^[A-Za-z0-9]{16}$"))
    one_time = await secret.inner_text()
    await expect(page.locator("#password-state")).to_contain_text("须在下次登录时修改")
    await page.goto("/admin")
    await expect(page.locator("#users")).to_contain_text(new_id)
    await screenshot(page, "admin-users")
    await page.goto(f"/admin/users/{new_id}")
    assert one_time not in await page.content()  # shown once, on the answer to the form only

    ctx_user, user_page = await sign_in(browser, console_url, Person(new_id, one_time))
    assert user_page.url.endswith("/password")
    await expect(user_page.get_by_role("alert")).to_contain_text("一次性密码")
    await user_page.locator("#password").fill("water-own-password-1")
    await user_page.locator("#confirm").fill("water-own-password-1")
    await user_page.get_by_role("button", name="保存").click()
    await expect(user_page.get_by_role("heading", level=1)).to_have_text("本单位待办")
    sessions = make_sessions(make_engine(database_url))
    assert not password_state(sessions, new_id).must_change
    for context in (ctx, ctx_user):
        await context.close()


async def test_an_admin_issues_and_revokes_a_token(
    browser: Browser, console_url: str, database_url: str
) -> None:
    admin = person(database_url, "admin")
    holder = person(database_url, "dispatcher")
    ctx, page = await sign_in(browser, console_url, admin)
    await page.goto(f"/admin/users/{holder.user_id}")
    await page.get_by_role("button", name="签发新令牌").click()
    token = await page.locator("#secret").inner_text()
    assert token.startswith("hl_")
    token_id = token.split("_")[1]
    await expect(page.locator(f"#token-{token_id}")).to_contain_text("有效")
    async with httpx.AsyncClient(base_url=console_url) as api:
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await api.get("/departments", headers=bearer)).status_code == 200
        await page.goto(f"/admin/users/{holder.user_id}")
        assert token not in await page.content()  # the list shows ids, never secrets
        await page.get_by_role("button", name=f"吊销令牌 {token_id}").click()
        await expect(page.get_by_role("status")).to_contain_text("令牌已吊销")
        await expect(page.locator(f"#token-{token_id}")).to_contain_text("已吊销")
        assert (await api.get("/departments", headers=bearer)).status_code == 401
    await ctx.close()


async def test_an_admin_adds_a_catalogue_entry_and_publishes_a_holiday_year(
    browser: Browser, console_url: str, database_url: str, added_category: str
) -> None:
    admin = person(database_url, "admin")
    ctx, page = await sign_in(browser, console_url, admin)
    category = added_category
    await page.goto("/admin/catalogue")
    await page.get_by_label("分类", exact=True).fill(category)
    await page.get_by_label("区县", exact=True).select_option("云岩区")
    await page.get_by_label("主办单位").select_option("gy-water")
    await page.get_by_label("协办单位（可多选）").select_option(["gy-market"])
    await page.get_by_role("button", name="添加条目").click()
    await expect(page.get_by_role("status")).to_contain_text("目录条目已添加")
    row = page.locator("#catalogue tr", has_text=category)
    await expect(row).to_contain_text("云岩区")
    await screenshot(page, "admin-catalogue")
    sessions = make_sessions(make_engine(database_url))
    [entry] = [e for e in list_catalogue(sessions) if e.category == category]
    assert (entry.lead_department, entry.assisting_departments) == ("gy-water", ["gy-market"])
    again = await page.request.post(
        "/admin/catalogue",
        form={
            "csrf": await page.locator("input[name=csrf]").first.input_value(),
            "category": category,
            "district": "云岩区",
            "lead_department": "gy-water",
        },
    )
    assert again.status == 409 and "已有目录条目" in await again.text()

    await page.goto("/admin/holidays")
    await page.get_by_label("年度", exact=True).fill("2091")
    await page.get_by_label("放假日期（每行一个，YYYY-MM-DD）").fill("2091-01-01\n2091-02-30")
    await page.get_by_label("调休上班日期（周末上班的日子）").fill("2091-01-06")
    await page.get_by_role("button", name="发布").click()
    await expect(page.locator("#err-holidays")).to_contain_text("2091-02-30")
    await expect(page.locator("#holidays")).to_have_attribute("aria-invalid", "true")
    await screenshot(page, "admin-holidays")
    await expect(page.locator("#years")).not_to_contain_text("2091")  # nothing published
    await page.get_by_label("放假日期（每行一个，YYYY-MM-DD）").fill("2091-01-01\n2091-02-20")
    await page.get_by_role("button", name="发布").click()
    await expect(page.get_by_role("status")).to_contain_text("2091 年的节假日安排已发布")
    await expect(page.locator("#years tr", has_text="2091")).to_contain_text("2 天")
    await ctx.close()


async def test_a_supervisor_approves_a_version_in_the_review_queue(
    browser: Browser, console_url: str, database_url: str, env: WorkflowEnvironment
) -> None:
    sessions = make_sessions(make_engine(database_url))
    add_department(sessions)
    first = await submit_for_review(
        env.client, sessions, TASK_QUEUE, low_income_fields(), "civil-liaison"
    )
    approved = Decision(approve=True, by="sup-setup")
    await decide_review(env.client, first.article_id, first.version, approved)
    current = kb.get_article(sessions, first.article_id)
    changed = low_income_fields(
        title=current.title, content=current.content + "可通过网上办事大厅在线申请。"
    )
    second = await submit_for_review(
        env.client,
        sessions,
        TASK_QUEUE,
        changed,
        "civil-liaison",
        note="增加网上申请渠道",
        article_id=first.article_id,
    )
    supervisor = person(database_url, "supervisor")
    ctx, page = await sign_in(browser, console_url, supervisor)
    await page.goto("/knowledge/review")
    card = page.locator(f"#review-{second.article_id}-{second.version}")
    await expect(card).to_contain_text("已发布第 1 版")
    await expect(card.locator(".diff ins")).to_contain_text("可通过网上办事大厅在线申请")
    await card.locator("input[value=reject]").check()
    await card.get_by_role("button", name="提交决定").click()  # a rejection needs a reason
    card = page.locator(f"#review-{second.article_id}-{second.version}")
    await expect(card.locator("#err-reason")).to_contain_text("驳回须写明理由")
    await screenshot(page, "knowledge-review")
    await card.locator("input[value=approve]").check()
    await card.get_by_role("button", name="提交决定").click()
    await expect(page.get_by_role("status")).to_contain_text("已通过并发布")
    await expect(page.locator(f"#review-{second.article_id}-{second.version}")).to_have_count(0)
    assert kb.get_article(sessions, first.article_id).published_version == 2
    [version] = [
        v for v in kb.article_versions(sessions, first.article_id) if v.version == second.version
    ]
    assert version.decided_by == supervisor.user_id
    await ctx.close()


async def test_anyone_but_an_admin_gets_the_403_page(
    browser: Browser, console_url: str, database_url: str
) -> None:
    operator = person(database_url, "operator")
    ctx, page = await sign_in(browser, console_url, operator)
    for path in ("/admin", "/admin/catalogue", "/admin/holidays", "/knowledge/review"):
        answer = await page.goto(path)
        assert answer is not None and answer.status == 403, path
        await expect(page.get_by_role("heading", level=1)).to_have_text("无权操作")
    await page.goto("/intake")
    await expect(page.get_by_role("link", name="系统管理")).to_have_count(0)
    csrf = await page.locator("input[name=csrf]").first.input_value()
    wanted = f"sneaky-{uuid.uuid4().hex[:6]}"
    posted = await page.request.post(
        "/admin/users", form={"csrf": csrf, "id": wanted, "name": "x", "role": "admin"}
    )
    assert posted.status == 403
    assert get_user(make_sessions(make_engine(database_url)), wanted) is None
    await ctx.close()

    supervisor = person(database_url, "supervisor")
    ctx, page = await sign_in(browser, console_url, supervisor)
    refused = await page.goto("/admin")
    assert refused is not None and refused.status == 403
    review = await page.goto("/knowledge/review")
    assert review is not None and review.status == 200
    await expect(page.locator("nav.admin-sections a")).to_have_text(["知识库审核"])
    await ctx.close()


async def test_an_admin_imports_a_file_and_edits_phrases_and_departments(
    browser: Browser, console_url: str, database_url: str, tmp_path: Path
) -> None:
    admin = person(database_url, "admin")
    ctx, page = await sign_in(browser, console_url, admin)
    header = "分类路径,标题,内容,发文单位,材料类型,所属部门,生效日期,复审日期\n"
    tag = uuid.uuid4().hex[:6]
    bad = tmp_path / "articles.csv"
    bad.write_text(
        header
        + f"民政/救助,临时救助申请 {tag},到街道申请,民政局,service_guide,gy-civil,{GOOD_DATES}\n"
        + f"民政/救助,残疾人补贴 {tag},到街道申请,民政局,service_guide,no-such,{BAD_DATES}\n",
        encoding="utf-8",
    )
    await page.goto("/knowledge/import")
    await page.get_by_label("文件（.csv 或 .json）").set_input_files(bad)
    await page.get_by_role("button", name="导入").click()
    await expect(page.get_by_role("alert")).to_contain_text("未导入任何文章")
    problems = page.locator("#import-errors tbody tr")
    await expect(problems.filter(has_text="第 3 行")).to_have_count(2)  # both bad cells named
    await screenshot(page, "admin-import")
    sessions = make_sessions(make_engine(database_url))
    published = kb.list_articles(sessions, ArticleStatus.PUBLISHED, limit=1000)
    assert not any(tag in a.title for a in published)
    good = tmp_path / "good.csv"
    good.write_text("\n".join(bad.read_text(encoding="utf-8").splitlines()[:2]), encoding="utf-8")
    await page.get_by_label("文件（.csv 或 .json）").set_input_files(good)
    await page.get_by_role("button", name="导入").click()
    await expect(page.get_by_role("status")).to_contain_text("已导入并发布 1 篇文章")

    await page.goto("/admin/phrases?situation=hold")
    await page.get_by_label("场景", exact=True).select_option("hold")
    await page.get_by_label("编号", exact=True).fill(f"wait-{tag}")
    await page.get_by_label("措辞", exact=True).fill("请稍候，这个不归我们管")
    await page.get_by_role("button", name="保存").click()
    await expect(page.locator("#err-text")).to_contain_text("不归我们管")
    await page.get_by_label("措辞", exact=True).fill("请您稍候，我马上为您查询。")
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_role("status")).to_contain_text("已保存为第 1 版")
    await page.get_by_label("措辞", exact=True).fill("请您稍候，我正在为您查询。")
    await page.get_by_role("button", name="保存新版本").click()
    await expect(page.locator("#versions li")).to_have_count(2)

    await page.goto("/admin/departments")
    department = f"gy-t{tag}"
    await page.get_by_label("单位编号", exact=True).fill(department)
    await page.get_by_label("名称", exact=True).fill("测试单位")
    await page.get_by_role("button", name="添加单位").click()
    await expect(page.get_by_role("status")).to_contain_text("承办单位已添加")
    csrf = await page.locator("input[name=csrf]").first.input_value()
    nameless = await page.request.post(
        f"/admin/departments/{department}", form={"csrf": csrf, "name": " ", "active": "on"}
    )
    assert nameless.status == 422 and f'id="err-name-{department}"' in await nameless.text()
    await page.get_by_label(f"{department} 的名称").fill("测试单位（改名）")
    await page.locator(f"#row-{department} input[name=active]").uncheck()
    await page.get_by_role("button", name=f"保存 {department}").click()
    await expect(page.get_by_role("status")).to_contain_text("承办单位已保存")
    [saved] = [d for d in list_departments(sessions) if d.id == department]
    assert (saved.name, saved.active) == ("测试单位（改名）", False)
    await ctx.close()

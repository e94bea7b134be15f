"""The supervisor's live view of today and the department ranking, in the browser, with the
figures of cases run in the test on the real engine.

One case is driven to a satisfied closure (it scores the market bureau in this month's
ranking), one is left past its sign-off deadline by moving its own virtual clock (it is overdue
today); the pages show what the evaluation services compute, and the today figures change on
screen by themselves when a new case arrives.
"""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.async_api import Browser, Page, expect
from temporalio.testing import WorkflowEnvironment

from db.engine import make_engine
from db.engine import session_factory as make_sessions
from evaluation.indicators import today_view
from evaluation.ranking import rank_departments
from models.enums import CaseStatus, Step
from models.evaluation import Period
from models.timestamps import BEIJING
from tests.console.people import person, screenshot, sign_in
from tests.workflows.cases import advance_to, drive_to_closure, intake, start, until

MARKET = "贵阳市市场监督管理局"
REFRESH_TIMEOUT_MS = 30_000


async def figure(page: Page, selector: str) -> int:
    return int((await page.locator(selector).inner_text()).strip())


async def test_today_and_ranking_show_the_figures_of_real_cases(
    browser: Browser, console_url: str, database_url: str, env: WorkflowEnvironment
) -> None:
    sessions = make_sessions(make_engine(database_url))
    closed = await start(env.client, intake(title="已办结的投诉"))
    await drive_to_closure(closed)
    late = await start(env.client, intake(title="超期未签收的投诉"))
    state = await until(late, lambda s: s.status is CaseStatus.DISPATCHED)
    sign_off = next(c for c in state.clocks if c.deadline.step is Step.SIGN_OFF)
    await advance_to(env, late, sign_off.deadline.due)
    await until(late, lambda s: s.overdue)

    supervisor = person(database_url, "supervisor")
    ctx, sup = await sign_in(browser, console_url, supervisor)
    for _ in range(40):  # the overdue flag reaches SQL with the transition just recorded
        await sup.goto("/today")
        if await figure(sup, "#today-overdue") >= 1:
            break
    expected = today_view(sessions, datetime.now(UTC))
    assert await figure(sup, "#today-open") == expected.open
    assert await figure(sup, "#today-due") == expected.due_today
    assert await figure(sup, "#today-overdue") == expected.overdue >= 1
    market = next(d for d in expected.by_department if d["department"] == "gy-market")
    row = sup.locator("#today-departments tr", has_text=MARKET)
    await expect(row.locator("td").nth(0)).to_have_text(str(market["open"]))
    await expect(row.locator("td").nth(2)).to_have_text(str(market["overdue"]))
    await expect(sup.locator("svg.chart").first).to_contain_text(MARKET)
    await screenshot(sup, "supervisor-today")

    # A new case arrives: the figures change on the page without reloading it.
    await start(env.client, intake(title="新来电"))
    await expect(sup.locator("#today-open")).to_have_text(
        str(expected.open + 1), timeout=REFRESH_TIMEOUT_MS
    )

    await sup.get_by_role("link", name="单位考核排名").click()
    now = datetime.now(BEIJING)
    ranking = rank_departments(sessions, Period.month(now.year, now.month))
    scores = {s.department: s for c in ranking.classes for s in c.scores}
    mine = scores["gy-market"]
    assert mine.score is not None and mine.rank is not None
    ranked = sup.locator("table.sup-ranking tr", has_text=MARKET)
    await expect(ranked.locator("td").nth(0)).to_have_text(str(mine.rank))
    await expect(ranked.locator("td").nth(1)).to_have_text(f"{mine.score:.1f}")
    rate = mine.satisfaction
    await expect(ranked.locator("td").nth(4)).to_contain_text(
        f"（{rate.numerator}/{rate.denominator}）"
    )
    chart = sup.locator("svg.chart", has_text=MARKET)
    await expect(chart).to_contain_text(f"{mine.score:.1f}")
    await screenshot(sup, "supervisor-ranking")

    await sup.get_by_label("周期", exact=True).select_option("quarter")
    await sup.get_by_label("月份或季度（选“年”时不填）").fill(str((now.month - 1) // 3 + 1))
    await sup.get_by_role("button", name="查看").click()
    await expect(sup.get_by_role("heading", level=1)).to_contain_text("季度")
    await expect(sup.locator("table.sup-ranking tr", has_text=MARKET)).to_be_visible()

    answer = await sup.goto("/ranking?kind=month&year=2026&part=13")
    assert answer is not None and answer.status == 422
    await expect(sup.locator("#err-part")).to_contain_text("13")
    answer = await sup.goto("/ranking?kind=week&year=2026&part=1")
    assert answer is not None and answer.status == 422
    await expect(sup.locator("p.refusal")).to_contain_text("周期")
    answer = await sup.goto("/ranking?kind=year&year=20x6&part=")
    assert answer is not None and answer.status == 422
    await expect(sup.locator("#err-year")).to_contain_text("20x6")
    await ctx.close()


async def test_only_readers_of_the_evaluation_see_the_pages(
    browser: Browser, console_url: str, database_url: str
) -> None:
    liaison = person(database_url, "department", "gy-market")
    ctx, dept = await sign_in(browser, console_url, liaison)
    for path in ("/today", "/ranking", "/fragments/supervision/today"):
        answer = await dept.goto(path)
        assert answer is not None and answer.status == 403, path
    outside = await browser.new_context(base_url=console_url)
    fetched = await outside.request.get("/fragments/supervision/today", max_redirects=0)
    assert fetched.status == 401
    await outside.close()
    await ctx.close()

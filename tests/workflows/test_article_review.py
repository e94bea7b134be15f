"""The centre's review of knowledge articles: decisions, reminders on working days, refusals,
supersession; against the real dev server with virtual time and the session's database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory, make_engine, session_factory
from db.knowledge_tables import ArticleReminderRow
from db.tables import DepartmentRow
from knowledge.articles import (
    ArticleConflictError,
    ArticleNotFoundError,
    article_version,
    decide,
    get_article,
    submit_article,
)
from models.enums import CENTRE, ArticleStatus, MaterialType, VersionState
from models.knowledge import ArticleFields, Decision, ReviewStatus
from models.timestamps import BEIJING as SHANGHAI
from rules.calendar import END_OF_DAY, default_calendar
from rules.knowledge import review_times
from services.knowledge_review import decide_review, review_handle, start_review, submit_for_review
from tests.conftest import TASK_QUEUE
from workflows.article_review import ArticleReviewWorkflow

ReviewHandle = WorkflowHandle[ArticleReviewWorkflow, Any]
TOLERANCE = timedelta(minutes=1)


@pytest.fixture
def sessions(database_url: str) -> SessionFactory:
    return session_factory(make_engine(database_url))


def new_department(sessions: SessionFactory) -> str:
    """A department of this test's own (the session database is shared)."""
    department = f"kbt-{uuid4().hex[:12]}"
    with sessions.begin() as session:
        session.add(
            DepartmentRow(
                id=department,
                name=f"知识库测试单位{department}",
                kind="functional",
                district=None,
                liaison=None,
                active=True,
            )
        )
    return department


def article_fields(department: str, **overrides: Any) -> ArticleFields:
    values: dict[str, Any] = {
        "category_path": "民政/社会救助/低保",
        "title": f"最低生活保障申请指南{uuid4().hex[:10]}",
        "content": "申请最低生活保障，请携带身份证和户口簿到户籍所在地街道办事处提出申请。",
        "issuing_unit": "贵阳市民政局",
        "material_type": MaterialType.SERVICE_GUIDE,
        "keywords": ["低保", "社会救助"],
        "department": department,
        "effective_from": date(2026, 1, 1),
        "review_by": date(2027, 12, 31),
    }
    values.update(overrides)
    return ArticleFields(**values)


def reminders(sessions: SessionFactory, key_prefix: str) -> dict[str, ArticleReminderRow]:
    """The reminders whose event key starts with `key_prefix`, by event key."""
    with sessions() as session:
        rows = session.scalars(
            select(ArticleReminderRow).where(ArticleReminderRow.event_key.startswith(key_prefix))
        ).all()
    return {row.event_key: row for row in rows}


async def until_status(
    handle: ReviewHandle, predicate: Callable[[ReviewStatus], bool], timeout: float = 15.0
) -> ReviewStatus:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status = await handle.query(ArticleReviewWorkflow.status)
        if predicate(status):
            return status
        if loop.time() > deadline:
            raise AssertionError(f"the review never reached the expected state: {status}")
        await asyncio.sleep(0.05)


def reminded(event_key: str) -> Callable[[ReviewStatus], bool]:
    return lambda status: event_key in status.reminders


async def advance_to(env: WorkflowEnvironment, handle: ReviewHandle, at: datetime) -> None:
    """Move this review's virtual clock to just past `at`."""
    now = await env.get_current_time(handle)
    await env.fast_forward(handle, max(at - now, timedelta(0)) + timedelta(seconds=5))


def next_plain_friday(after: date) -> date:
    """The first Friday after `after` followed by two weeks of plain Monday-Friday working days,
    so the expected times below read without holiday exceptions."""
    calendar = default_calendar()
    day = after + timedelta(days=(4 - after.weekday()) % 7 or 7)
    while True:
        following = [day + timedelta(days=n) for n in range(15)]
        if all(calendar.is_working_day(d)[0] == (d.weekday() < 5) for d in following):
            return day
        day += timedelta(days=7)


def local(day: date, at: time = END_OF_DAY) -> datetime:
    return datetime.combine(day, at, tzinfo=SHANGHAI)


async def test_approval_publishes_the_version_and_tells_the_department(
    client: Client, sessions: SessionFactory
) -> None:
    department = new_department(sessions)
    fields = article_fields(department)
    submission = await submit_for_review(client, sessions, TASK_QUEUE, fields, "liaison-1")
    assert (submission.version, submission.superseded_version) == (1, None)
    handle = review_handle(client, submission.article_id, 1)
    status = await until_status(handle, lambda s: s.plan is not None)
    assert status.plan.due == review_times(default_calendar(), submission.submitted_at).due
    assert article_version(sessions, submission.article_id, 1).review_due == status.plan.due
    assert get_article(sessions, submission.article_id).status is ArticleStatus.PENDING

    version = await decide_review(
        client, submission.article_id, 1, Decision(approve=True, by="reviewer-1")
    )
    assert version.state is VersionState.APPROVED
    assert version.decided_by == "reviewer-1" and version.title == fields.title

    result = await handle.result()
    assert result.state is VersionState.APPROVED and result.decided_by == "reviewer-1"
    article = get_article(sessions, submission.article_id)
    assert article.status is ArticleStatus.PUBLISHED and article.published_version == 1
    sent = reminders(sessions, f"kb-review-{submission.article_id}-v1-")
    decision = sent[f"kb-review-{submission.article_id}-v1-decision"]
    assert decision.recipient == department
    assert "审核通过" in decision.subject and fields.title in decision.subject
    assert decision.articles == [submission.article_id]
    assert list(sent) == [decision.event_key]  # nothing to the centre: decided in time


async def test_rejection_keeps_the_reason_and_publishes_nothing(
    client: Client, sessions: SessionFactory
) -> None:
    department = new_department(sessions)
    submission = await submit_for_review(
        client, sessions, TASK_QUEUE, article_fields(department), "liaison-1"
    )
    reason = "请补充申请条件和办理时限。"
    version = await decide_review(
        client,
        submission.article_id,
        1,
        Decision(approve=False, reason=reason, by="reviewer-2"),
    )
    assert version.state is VersionState.REJECTED and version.reason == reason
    result = await review_handle(client, submission.article_id, 1).result()
    assert result.state is VersionState.REJECTED and result.reason == reason

    stored = article_version(sessions, submission.article_id, 1)
    assert stored.state is VersionState.REJECTED and stored.reason == reason
    article = get_article(sessions, submission.article_id)
    assert article.status is ArticleStatus.REJECTED and article.published_version is None
    told = reminders(sessions, f"kb-review-{submission.article_id}-v1-decision")
    (row,) = told.values()
    assert row.recipient == department
    assert "未通过" in row.subject and reason in row.body


async def test_an_overdue_review_reminds_the_centre_on_working_days(
    env: WorkflowEnvironment, client: Client, sessions: SessionFactory
) -> None:
    # Submitted on a Friday: Saturday and Sunday do not count, so the three working days are
    # Monday to Wednesday; the warning goes out Tuesday 18:00.
    department = new_department(sessions)
    friday = next_plain_friday(datetime.now(SHANGHAI).date())
    monday, tuesday, wednesday = (friday + timedelta(days=n) for n in (3, 4, 5))
    submission = await asyncio.to_thread(
        submit_article,
        sessions,
        article_fields(department),
        "liaison-1",
        now=local(friday, time(10, 30)),
    )
    handle = await start_review(client, TASK_QUEUE, submission)
    status = await until_status(handle, lambda s: s.plan is not None)
    plan = status.plan
    assert plan.due == local(wednesday)
    assert plan.warn_at == local(tuesday)
    assert plan.overdue_at == [
        local(wednesday),
        local(wednesday + timedelta(days=1)),
        local(friday + timedelta(days=7)),
        local(monday + timedelta(days=7)),  # the second weekend skipped too
        local(tuesday + timedelta(days=7)),
    ]
    assert article_version(sessions, submission.article_id, 1).review_due == local(wednesday)

    prefix = f"kb-review-{submission.article_id}-v1-"
    expected: list[tuple[str, datetime]] = [("warning", local(tuesday))]
    expected += [(f"overdue-{n}", at) for n, at in enumerate(plan.overdue_at, 1)]
    for key, at in expected:
        await advance_to(env, handle, at)
        event_key = prefix + key
        await until_status(handle, reminded(event_key))
        row = reminders(sessions, event_key)[event_key]
        assert row.recipient == CENTRE
        assert at <= row.created_at < at + TOLERANCE, key
        assert ("即将到期" if key == "warning" else "已逾期") in row.subject
    status = await handle.query(ArticleReviewWorkflow.status)
    assert status.reminders == [prefix + key for key, _ in expected]
    assert status.state is VersionState.PENDING

    # Late, but the decision still counts; it ends the review.
    await decide_review(client, submission.article_id, 1, Decision(approve=True, by="rev"))
    assert (await handle.result()).state is VersionState.APPROVED
    sent = reminders(sessions, prefix)
    assert sorted(sent) == sorted([prefix + key for key, _ in expected] + [prefix + "decision"])


async def test_a_second_decision_is_refused_and_changes_nothing(
    client: Client, sessions: SessionFactory
) -> None:
    department = new_department(sessions)
    submission = await submit_for_review(
        client, sessions, TASK_QUEUE, article_fields(department), "liaison-1"
    )
    handle = review_handle(client, submission.article_id, 1)
    reason = "内容与现行政策不符。"
    first = await handle.start_update(
        ArticleReviewWorkflow.decide,
        Decision(approve=False, reason=reason, by="reviewer-1"),
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
    )
    with pytest.raises(ArticleConflictError):
        await decide_review(
            client, submission.article_id, 1, Decision(approve=True, by="reviewer-2")
        )
    assert (await first.result()).state is VersionState.REJECTED
    await handle.result()
    with pytest.raises(ArticleConflictError, match="already rejected by reviewer-1"):
        await decide_review(
            client, submission.article_id, 1, Decision(approve=True, by="reviewer-3")
        )

    stored = article_version(sessions, submission.article_id, 1)
    assert stored.state is VersionState.REJECTED
    assert (stored.decided_by, stored.reason) == ("reviewer-1", reason)
    article = get_article(sessions, submission.article_id)
    assert article.status is ArticleStatus.REJECTED and article.published_version is None
    assert list(reminders(sessions, f"kb-review-{submission.article_id}-v1-")) == [
        f"kb-review-{submission.article_id}-v1-decision"
    ]
    # The refused decisions left no trace in the review's history: one accepted update only.
    accepted = [
        event
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    assert len(accepted) == 1


async def test_a_later_submission_ends_the_earlier_review(
    client: Client, sessions: SessionFactory
) -> None:
    department = new_department(sessions)
    fields = article_fields(department)
    first = await submit_for_review(client, sessions, TASK_QUEUE, fields, "liaison-1")
    first_handle = review_handle(client, first.article_id, 1)
    await until_status(first_handle, lambda s: s.plan is not None)
    revised = fields.model_copy(update={"content": fields.content + "申请表可在政务服务网下载。"})
    second = await submit_for_review(
        client,
        sessions,
        TASK_QUEUE,
        revised,
        "liaison-1",
        note="补充申请表下载方式",
        article_id=first.article_id,
    )
    assert (second.article_id, second.version, second.superseded_version) == (
        first.article_id,
        2,
        1,
    )
    ended = await first_handle.result()
    assert ended.state is VersionState.SUPERSEDED and ended.decided_by is None
    assert article_version(sessions, first.article_id, 1).state is VersionState.SUPERSEDED
    with pytest.raises(ArticleConflictError, match="superseded"):
        await decide_review(client, first.article_id, 1, Decision(approve=True, by="rev"))

    version = await decide_review(client, first.article_id, 2, Decision(approve=True, by="rev"))
    assert version.state is VersionState.APPROVED and version.content == revised.content
    article = get_article(sessions, first.article_id)
    assert article.published_version == 2 and article.content == revised.content
    assert reminders(sessions, f"kb-review-{first.article_id}-v1-") == {}


async def test_a_decision_on_an_unknown_review_is_not_found(client: Client) -> None:
    with pytest.raises(ArticleNotFoundError, match="no review"):
        await decide_review(client, 987_654_321, 1, Decision(approve=True, by="rev"))


async def test_a_review_of_a_version_no_longer_pending_ends_at_once(
    client: Client, sessions: SessionFactory
) -> None:
    department = new_department(sessions)
    submission = await asyncio.to_thread(
        submit_article, sessions, article_fields(department), "liaison-1"
    )
    await asyncio.to_thread(
        decide, sessions, submission.article_id, 1, Decision(approve=True, by="reviewer-1")
    )
    result = await (await start_review(client, TASK_QUEUE, submission)).result()
    assert result.state is VersionState.APPROVED and result.reminders == []
    assert reminders(sessions, f"kb-review-{submission.article_id}-v1-") == {}

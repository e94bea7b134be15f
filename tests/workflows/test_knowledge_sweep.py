"""The weekly knowledge sweep: stale articles flagged and their owners reminded once, expired
ones withdrawn; and the Schedule that runs it every Friday morning."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from uuid import uuid4

import pytest
from sqlalchemy import select
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleRange,
    WorkflowExecutionStatus,
)

from db.engine import SessionFactory, make_engine, session_factory
from db.knowledge_tables import ArticleFlagRow, ArticleReminderRow
from knowledge.articles import decide, get_article, submit_article
from knowledge.sweep import expiry_event_key, stale_event_key
from models.enums import ArticleStatus, FlagReason, VersionState
from models.knowledge import Decision, SweepRequest, SweepResult
from models.timestamps import BEIJING as SHANGHAI
from services.knowledge_review import decide_review, review_handle
from tests.conftest import TASK_QUEUE
from tests.workflows.test_article_review import article_fields, new_department
from workers.schedules import KNOWLEDGE_SWEEP_SCHEDULE, ensure_knowledge_sweep
from workflows.knowledge_sweep import KnowledgeSweepWorkflow

STALE = date(2026, 1, 31)  # review-by dates long past
FRESH = date(2099, 12, 31)


@pytest.fixture
def sessions(database_url: str) -> SessionFactory:
    return session_factory(make_engine(database_url))


def published(sessions: SessionFactory, department: str, **fields: object) -> int:
    """A published article of `department` (submitted and approved, no review workflow)."""
    submission = submit_article(sessions, article_fields(department, **fields), "liaison-1")
    decide(sessions, submission.article_id, 1, Decision(approve=True, by="reviewer-1"))
    return submission.article_id


def open_flags(sessions: SessionFactory, article_id: int) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(ArticleFlagRow.reason).where(
                    ArticleFlagRow.article_id == article_id, ArticleFlagRow.cleared_at.is_(None)
                )
            )
        )


def reminders_to(sessions: SessionFactory, department: str) -> dict[str, list[int]]:
    with sessions() as session:
        rows = session.scalars(
            select(ArticleReminderRow).where(ArticleReminderRow.recipient == department)
        ).all()
    return {row.event_key: list(row.articles) for row in rows}


async def sweep(client: Client, request: SweepRequest) -> SweepResult:
    return await client.execute_workflow(
        KnowledgeSweepWorkflow.run,
        request,
        id=f"kb-sweep-test-{uuid4().hex}",
        task_queue=TASK_QUEUE,
    )


async def test_the_sweep_flags_stale_articles_reminds_once_and_withdraws_expired(
    client: Client, sessions: SessionFactory
) -> None:
    owner, other = new_department(sessions), new_department(sessions)
    stale = [published(sessions, owner, review_by=STALE) for _ in range(2)]
    fresh = published(sessions, owner, review_by=FRESH)
    expired = published(sessions, owner, review_by=FRESH, expires_on=date(2026, 6, 30))
    elsewhere = published(sessions, other, review_by=STALE)
    pending = submit_article(sessions, article_fields(owner, review_by=STALE), "liaison-1")
    today = datetime.now(SHANGHAI).date()

    result = await sweep(client, SweepRequest(departments=[owner, other]))
    assert result.today == today
    assert result.withdrawn_articles == [expired]
    assert (result.withdrawn, result.expiry_reminders) == (1, 1)
    assert sorted(result.stale_articles) == sorted([*stale, elsewhere])
    assert (result.stale, result.flagged, result.stale_reminders) == (3, 3, 2)

    for article_id in [*stale, elsewhere]:
        assert open_flags(sessions, article_id) == [FlagReason.STALE.value]
    assert open_flags(sessions, fresh) == []
    assert open_flags(sessions, pending.article_id) == []  # never published: nothing to review
    assert open_flags(sessions, expired) == [FlagReason.EXPIRED.value]
    assert get_article(sessions, expired).status is ArticleStatus.WITHDRAWN
    assert get_article(sessions, fresh).status is ArticleStatus.PUBLISHED
    told = reminders_to(sessions, owner)
    assert told == {stale_event_key(owner, today): stale, expiry_event_key(owner, today): [expired]}
    assert reminders_to(sessions, other) == {stale_event_key(other, today): [elsewhere]}

    again = await sweep(client, SweepRequest(departments=[owner, other]))
    assert sorted(again.stale_articles) == sorted(result.stale_articles)  # still listed
    assert (again.flagged, again.stale_reminders) == (0, 0)
    assert (again.withdrawn, again.expiry_reminders) == (0, 0)
    assert reminders_to(sessions, owner) == told
    for article_id in [*stale, elsewhere]:
        assert open_flags(sessions, article_id) == [FlagReason.STALE.value]

    # An approved update clears the flag: the next sweep does not list the article.
    resubmitted = submit_article(
        sessions, article_fields(owner, review_by=FRESH), "liaison-1", article_id=stale[0]
    )
    decide(sessions, stale[0], resubmitted.version, Decision(approve=True, by="reviewer-1"))
    assert open_flags(sessions, stale[0]) == []
    later = await sweep(client, SweepRequest(departments=[owner]))
    assert later.stale_articles == [stale[1]]


async def test_the_friday_schedule_runs_the_sweep(client: Client, sessions: SessionFactory) -> None:
    owner = new_department(sessions)
    stale = published(sessions, owner, review_by=STALE)
    await ensure_knowledge_sweep(client, TASK_QUEUE)
    await ensure_knowledge_sweep(client, TASK_QUEUE)  # idempotent: the second one updates
    handle = client.get_schedule_handle(KNOWLEDGE_SWEEP_SCHEDULE)
    try:
        description = await handle.describe()
        spec = description.schedule.spec
        assert spec.time_zone_name == "Asia/Shanghai"
        (calendar,) = spec.calendars
        assert list(calendar.day_of_week) == [ScheduleRange(5)]  # Friday (0 = Sunday)
        assert list(calendar.hour) == [ScheduleRange(9)]
        assert list(calendar.minute) == [ScheduleRange(0)]
        action = description.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.workflow == "KnowledgeSweepWorkflow"
        assert action.task_queue == TASK_QUEUE

        # Another weekday can be configured, and an operator's pause survives a worker start.
        await handle.pause(note="maintenance")
        await ensure_knowledge_sweep(client, TASK_QUEUE, weekday=0)
        monday = await handle.describe()
        assert list(monday.schedule.spec.calendars[0].day_of_week) == [ScheduleRange(1)]
        assert monday.schedule.state.paused
        await handle.unpause()
        await ensure_knowledge_sweep(client, TASK_QUEUE)

        await handle.trigger()
        started = await _first_started(client, KNOWLEDGE_SWEEP_SCHEDULE)
        result = await client.get_workflow_handle_for(KnowledgeSweepWorkflow.run, started).result()
        assert stale in result.stale_articles
        assert stale_event_key(owner, result.today) in reminders_to(sessions, owner)
        assert open_flags(sessions, stale) == [FlagReason.STALE.value]
    finally:
        await handle.delete()


async def _first_started(client: Client, schedule_id: str, timeout: float = 15.0) -> str:
    """The workflow id of the schedule's first action (a triggered run starts at once)."""
    handle = client.get_schedule_handle(schedule_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        actions = (await handle.describe()).info.recent_actions
        if actions:
            action = actions[0].action
            assert isinstance(action, ScheduleActionExecutionStartWorkflow)
            return action.workflow_id
        if loop.time() > deadline:
            raise AssertionError(f"schedule {schedule_id} started nothing in {timeout:.0f}s")
        await asyncio.sleep(0.1)


async def test_the_sweep_restarts_the_review_of_a_pending_version_that_has_none(
    client: Client, sessions: SessionFactory
) -> None:
    owner = new_department(sessions)
    # Saved, but its review never started (say the engine was unreachable at that moment).
    orphan = submit_article(sessions, article_fields(owner), "liaison-1")
    request = SweepRequest(today=date(2026, 11, 27), departments=[owner])

    first = await sweep(client, request)

    assert first.rearmed_reviews == [orphan.article_id]
    review = review_handle(client, orphan.article_id, orphan.version)
    assert (await review.describe()).status is WorkflowExecutionStatus.RUNNING
    again = await sweep(client, request)
    assert again.rearmed_reviews == []  # running now: left alone
    decided = await decide_review(
        client, orphan.article_id, orphan.version, Decision(approve=True, by="reviewer-1")
    )
    assert decided.state is VersionState.APPROVED
    assert get_article(sessions, orphan.article_id).status is ArticleStatus.PUBLISHED

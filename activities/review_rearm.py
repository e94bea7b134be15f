"""The weekly sweep's safety net for reviews: every version still pending gets its review
workflow back if it has none running (its start failed after the submission was saved, or the
review ended without a decision).

How a review is started is the service layer's (`services.knowledge_review.start_review`); the
worker hands it in, so this activity never imports the layers above it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import activity
from temporalio.exceptions import WorkflowAlreadyStartedError

from db.engine import SessionFactory
from knowledge.articles import Submission, pending_versions
from models.knowledge import SweepScope

ReviewStarter = Callable[[str, Submission], Awaitable[object]]
"""Starts the review of a submission on a task queue; raises `WorkflowAlreadyStartedError` when
its review is running."""


class ReviewRearmer:
    """Holds the database session factory and how to start a review."""

    def __init__(self, sessions: SessionFactory, start_review: ReviewStarter) -> None:
        self._sessions = sessions
        self._start_review = start_review

    @activity.defn(name="kb_rearm_reviews")
    async def rearm(self, scope: SweepScope) -> list[int]:
        """Start the review of each pending version that has none running; the ids of the
        articles whose review was started again, in order."""
        pending = await asyncio.to_thread(pending_versions, self._sessions)
        wanted = set(scope.departments) if scope.departments is not None else None
        task_queue = activity.info().task_queue
        rearmed: list[int] = []
        for version in pending:
            if wanted is not None and version.department not in wanted:
                continue
            submission = Submission(
                article_id=version.article_id,
                version=version.version,
                title=version.title,
                department=version.department,
                submitted_at=version.submitted_at,
                superseded_version=None,
            )
            try:
                await self._start_review(task_queue, submission)
            except WorkflowAlreadyStartedError:
                continue  # its review is running
            activity.logger.info(
                "review of article %s version %s started again", version.article_id, version.version
            )
            rearmed.append(version.article_id)
        return rearmed

    def all(self) -> list[Callable[..., Any]]:
        return [self.rearm]

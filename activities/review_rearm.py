"""The weekly sweep's safety net for reviews: every version still pending gets its review
workflow back if it has none running (its start failed after the submission was saved, or the
review ended without a decision)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from db.engine import SessionFactory
from knowledge.articles import Submission, pending_versions
from knowledge.review import start_review
from knowledge.sweep import SweepScope


class ReviewRearmer:
    """Holds the Temporal client (to start reviews) and the database session factory."""

    def __init__(self, client: Client, sessions: SessionFactory) -> None:
        self._client = client
        self._sessions = sessions

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
                await start_review(self._client, task_queue, submission)
            except WorkflowAlreadyStartedError:
                continue  # its review is running
            activity.logger.info(
                "review of article %s version %s started again", version.article_id, version.version
            )
            rearmed.append(version.article_id)
        return rearmed

    def all(self) -> list[Callable[..., Any]]:
        return [self.rearm]

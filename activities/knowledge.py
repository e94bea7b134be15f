"""The Temporal activities of the knowledge base's review and weekly sweep: thin wrappers over
`rules.knowledge`, `knowledge.articles` and `knowledge.sweep`.

Refusals of `knowledge.articles` become non-retryable `ApplicationError`s typed by the error's
class name, so the review workflow can tell a conflict (version no longer pending) from an
unknown article.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.calendar_source import CalendarSource
from db.engine import SessionFactory
from knowledge import sweep
from knowledge.articles import ArticleError, article_version, decide, set_review_due
from models.enums import VersionState
from models.knowledge import (
    AppliedDecision,
    ArticleVersion,
    ExpirySweep,
    NewReminder,
    ReviewPlan,
    ReviewRequest,
    StaleSweep,
    SweepScope,
)
from rules.knowledge import review_times


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except ArticleError as err:
        raise ApplicationError(str(err), type=type(err).__name__, non_retryable=True) from err


class KnowledgeActivities:
    """Holds the database session factory and the working-day calendar."""

    def __init__(self, sessions: SessionFactory, calendar: CalendarSource) -> None:
        self._sessions = sessions
        self._calendar = calendar

    @activity.defn(name="kb_plan_review")
    def plan_review(self, request: ReviewRequest) -> ReviewPlan:
        """The review's times on the working-day calendar, recorded on the version."""
        times = review_times(self._calendar.current(), request.submitted_at)
        with _refusals():
            set_review_due(self._sessions, request.article_id, request.version, times.due)
            recorded = article_version(self._sessions, request.article_id, request.version)
        return ReviewPlan(
            state=recorded.state,
            due=times.due,
            warn_at=times.warn_at,
            overdue_at=list(times.overdue_at),
            calendar_warnings=list(times.warnings),
        )

    @activity.defn(name="kb_apply_decision")
    def apply_decision(self, applied: AppliedDecision) -> ArticleVersion:
        with _refusals():
            return decide(
                self._sessions, applied.article_id, applied.version, applied.decision, applied.at
            )

    @activity.defn(name="kb_version_state")
    def version_state(self, request: ReviewRequest) -> VersionState:
        with _refusals():
            return article_version(self._sessions, request.article_id, request.version).state

    @activity.defn(name="kb_remind")
    def remind(self, reminder: NewReminder) -> bool:
        return sweep.remind(self._sessions, reminder)

    @activity.defn(name="kb_withdraw_expired")
    def withdraw_expired(self, scope: SweepScope) -> ExpirySweep:
        with _refusals():
            return sweep.withdraw_expired(self._sessions, scope)

    @activity.defn(name="kb_flag_stale")
    def flag_stale(self, scope: SweepScope) -> StaleSweep:
        with _refusals():
            return sweep.flag_stale(self._sessions, scope)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.plan_review,
            self.apply_decision,
            self.version_state,
            self.remind,
            self.withdraw_expired,
            self.flag_stale,
        ]

"""ArticleReviewWorkflow: the centre's review of one submitted knowledge-article version (§8).

Started when a department submits a new article or an update. It computes the review's due
time on the working-day calendar (in an activity, so the times are fixed in its history) and
records it on the version; then it waits for the centre's decision, reminding the centre one
working day before the due time and at the due time and each working day after it (a capped
number of times, see `rules.knowledge`). The decision is an Update: approving publishes the
version, rejecting keeps the reason, and either way the department is told. A second decision,
or one on a version superseded by a later submission, is refused by the validator and leaves no
trace. A later submission signals `superseded`, which ends the review quietly.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.knowledge import KnowledgeActivities
    from models.enums import CENTRE, VersionState
    from models.errors import ARTICLE_CONFLICT
    from models.knowledge import (
        AppliedDecision,
        ArticleVersion,
        Decision,
        NewReminder,
        ReviewPlan,
        ReviewRequest,
        ReviewStatus,
    )
    from models.timestamps import BEIJING
    from rules.knowledge import reminder_milestones

DB_TIMEOUT = timedelta(seconds=30)
DB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=["ArticleNotFoundError", "ArticleConflictError", "ArticleError"],
)
REFUSED = "ReviewRefused"


def review_workflow_id(article_id: int, version: int) -> str:
    return f"kb-review-{article_id}-v{version}"


def refuse(message: str) -> ApplicationError:
    return ApplicationError(message, type=REFUSED, non_retryable=True)


@workflow.defn
class ArticleReviewWorkflow:
    @workflow.init
    def __init__(self, request: ReviewRequest) -> None:
        self._request = request
        self._plan: ReviewPlan | None = None
        self._state = VersionState.PENDING
        self._deciding = False
        self._decision: Decision | None = None
        self._reminders: list[str] = []

    @workflow.run
    async def run(self, request: ReviewRequest) -> ReviewStatus:
        self._plan = plan = await workflow.execute_activity_method(
            KnowledgeActivities.plan_review,
            request,
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_RETRY,
        )
        self._adopt(plan.state)  # decided or superseded already: no reminders
        for at, kind, key in reminder_milestones(plan.warn_at, plan.overdue_at):
            if not await self._pending_at(at):
                break
            await self._remind(self._centre_reminder(plan, kind, key))
        await workflow.wait_condition(self._ended)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    # ---- queries ----------------------------------------------------------------------------

    @workflow.query
    def status(self) -> ReviewStatus:
        request = self._request
        return ReviewStatus(
            article_id=request.article_id,
            version=request.version,
            department=request.department,
            title=request.title,
            state=self._state,
            plan=self._plan,
            deciding=self._deciding,
            decided_by=self._decision.by if self._decision else None,
            reason=self._decision.reason if self._decision else None,
            reminders=list(self._reminders),
        )

    # ---- the decision -----------------------------------------------------------------------

    @workflow.update
    async def decide(self, decision: Decision) -> ArticleVersion:
        self._check_decide(decision)  # again: two updates may pass validation together
        self._deciding = True
        request = self._request
        try:
            version = await workflow.execute_activity_method(
                KnowledgeActivities.apply_decision,
                AppliedDecision(
                    article_id=request.article_id,
                    version=request.version,
                    decision=decision,
                    at=workflow.now(),
                ),
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=DB_RETRY,
            )
        except ActivityError as err:
            self._deciding = False
            failure = _unwrapped(err)
            if failure.type == ARTICLE_CONFLICT:
                await self._adopt_recorded_state()
            raise failure from err
        self._state = version.state
        self._decision = decision
        self._deciding = False
        await self._remind(self._decision_reminder(version))
        return version

    @decide.validator
    def _check_decide(self, decision: Decision) -> None:
        request = self._request
        name = f"article {request.article_id} version {request.version}"
        if self._state is VersionState.SUPERSEDED:
            raise refuse(f"{name} was superseded by a later submission: decide on that one")
        if self._state is not VersionState.PENDING:
            by = f" by {self._decision.by}" if self._decision else ""
            raise refuse(f"{name} was already {self._state.value}{by}")
        if self._deciding:
            raise refuse(f"a decision on {name} is already being recorded")

    @workflow.signal
    def superseded(self) -> None:
        """A later version was submitted: this review ends without a decision."""
        if self._state is VersionState.PENDING:
            self._state = VersionState.SUPERSEDED

    # ---- private ----------------------------------------------------------------------------

    def _ended(self) -> bool:
        return self._state is not VersionState.PENDING

    async def _pending_at(self, at: datetime) -> bool:
        """Sleep until `at`, or less if the review ends; whether it is still pending then."""
        remaining = at - workflow.now()
        if remaining > timedelta(0):
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(self._ended, timeout=remaining)
        await workflow.wait_condition(lambda: not self._deciding)
        return not self._ended()

    async def _adopt_recorded_state(self) -> None:
        """After a refused decision: if the version is not pending in the database any more
        (a later submission whose signal never came), end the review with what is recorded."""
        recorded = await workflow.execute_activity_method(
            KnowledgeActivities.version_state,
            self._request,
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_RETRY,
        )
        self._adopt(recorded)

    def _adopt(self, recorded: VersionState) -> None:
        """End a pending review when the database says the version is no longer pending."""
        if self._state is VersionState.PENDING and recorded is not VersionState.PENDING:
            self._state = recorded

    async def _remind(self, reminder: NewReminder) -> None:
        await workflow.execute_activity_method(
            KnowledgeActivities.remind,
            reminder,
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_RETRY,
        )
        self._reminders.append(reminder.event_key)

    def _event_key(self, what: str) -> str:
        return f"{review_workflow_id(self._request.article_id, self._request.version)}-{what}"

    def _centre_reminder(self, plan: ReviewPlan, kind: str, key: str) -> NewReminder:
        request = self._request
        due = _local(plan.due)
        article = f"{request.department}提交的知识库文章《{request.title}》"
        article += f"（第{request.version}版）"
        if kind == "warning":
            subject = f"知识库审核即将到期：《{request.title}》"
            body = f"{article}审核时限为{due}，目前尚未审核，请及时审核。"
        else:
            subject = f"知识库审核已逾期：《{request.title}》"
            body = f"{article}审核时限为{due}，已逾期，请尽快审核。"
        return NewReminder(
            event_key=self._event_key(key),
            recipient=CENTRE,
            subject=subject,
            body=body,
            articles=[request.article_id],
            at=workflow.now(),
        )

    def _decision_reminder(self, version: ArticleVersion) -> NewReminder:
        request = self._request
        article = f"贵单位提交的知识库文章《{request.title}》（第{request.version}版）"
        if version.state is VersionState.APPROVED:
            subject = f"知识库审核通过：《{request.title}》"
            body = f"{article}已于{_local(workflow.now())}审核通过并发布。"
        else:
            subject = f"知识库审核未通过：《{request.title}》"
            body = f"{article}未通过审核。原因：{version.reason}\n请修改后重新提交。"
        return NewReminder(
            event_key=self._event_key("decision"),
            recipient=request.department,
            subject=subject,
            body=body,
            articles=[request.article_id],
            at=workflow.now(),
        )


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(BEIJING):%Y-%m-%d %H:%M}"


def _unwrapped(err: ActivityError) -> ApplicationError:
    """The activity's business failure, as the update's own failure (same type and message)."""
    cause = err.cause
    if isinstance(cause, ApplicationError):
        return ApplicationError(cause.message, type=cause.type, non_retryable=True)
    return refuse(f"the decision could not be recorded: {cause or err}")

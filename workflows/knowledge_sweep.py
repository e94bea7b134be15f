"""KnowledgeSweepWorkflow: the knowledge base's weekly check, run by the `kb-weekly-sweep`
Schedule (Friday 09:00 Asia/Shanghai, see `rules.knowledge` and `workers.schedules`).

For the local date it runs on, it first withdraws published articles past their expiry date
from search (flag EXPIRED, their owners told), then flags published articles past their
review-by date (flag STALE) and sends each owning department one reminder listing them. Both
steps are idempotent: a second run the same day writes nothing new. Last, every version still
pending gets its review workflow back if it has none running.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.knowledge import KnowledgeActivities
    from activities.review_rearm import ReviewRearmer
    from models.knowledge import SweepRequest, SweepResult, SweepScope
    from rules.knowledge import sweep_date

SWEEP_TIMEOUT = timedelta(minutes=5)
SWEEP_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=["ArticleError"],
)
REARM_PATCH = "kb-sweep-rearms-reviews"


@workflow.defn
class KnowledgeSweepWorkflow:
    @workflow.run
    async def run(self, request: SweepRequest | None = None) -> SweepResult:
        request = request or SweepRequest()
        now = workflow.now()
        scope = SweepScope(
            today=request.today or sweep_date(now), at=now, departments=request.departments
        )
        expired = await workflow.execute_activity_method(
            KnowledgeActivities.withdraw_expired,
            scope,
            start_to_close_timeout=SWEEP_TIMEOUT,
            retry_policy=SWEEP_RETRY,
        )
        stale = await workflow.execute_activity_method(
            KnowledgeActivities.flag_stale,
            scope,
            start_to_close_timeout=SWEEP_TIMEOUT,
            retry_policy=SWEEP_RETRY,
        )
        rearmed: list[int] = []
        # Sweeps started before this step existed replay without it.
        if workflow.patched(REARM_PATCH):
            rearmed = await workflow.execute_activity_method(
                ReviewRearmer.rearm,
                scope,
                start_to_close_timeout=SWEEP_TIMEOUT,
                retry_policy=SWEEP_RETRY,
            )
        return SweepResult(
            today=scope.today,
            withdrawn=len(expired.withdrawn),
            expiry_reminders=expired.reminders,
            stale=len(stale.stale),
            flagged=stale.flagged,
            stale_reminders=stale.reminders,
            withdrawn_articles=expired.withdrawn,
            stale_articles=stale.stale,
            rearmed_reviews=rearmed,
        )

"""KnowledgeSweepWorkflow: the knowledge base's weekly check, run by the `kb-weekly-sweep`
Schedule (Friday 09:00 Asia/Shanghai, see `rules.knowledge` and `workers.schedules`).

For the local date it runs on, it first withdraws published articles past their expiry date
from search (flag EXPIRED, their owners told), then flags published articles past their
review-by date (flag STALE) and sends each owning department one reminder listing them. Both
steps are idempotent: a second run the same day writes nothing new. Last, every version still
pending gets its review workflow back if it has none running.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from knowledge.sweep import ExpirySweep, StaleSweep, SweepScope
    from rules.knowledge import sweep_date

SWEEP_TIMEOUT = timedelta(minutes=5)
SWEEP_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=["ArticleError"],
)
REARM_PATCH = "kb-sweep-rearms-reviews"


class SweepRequest(BaseModel):
    """What to sweep; the Schedule passes the defaults."""

    today: date | None = None  # None: the local date the sweep runs on
    departments: list[str] | None = None  # None: every department


class SweepResult(BaseModel):
    today: date
    withdrawn: int  # expired articles taken out of search
    expiry_reminders: int
    stale: int  # published articles past their review-by date
    flagged: int  # of them, newly flagged this run
    stale_reminders: int
    withdrawn_articles: list[int]
    stale_articles: list[int]
    rearmed_reviews: list[int] = Field(default_factory=list)  # articles whose review restarted


@workflow.defn
class KnowledgeSweepWorkflow:
    @workflow.run
    async def run(self, request: SweepRequest | None = None) -> SweepResult:
        request = request or SweepRequest()
        now = workflow.now()
        scope = SweepScope(
            today=request.today or sweep_date(now), at=now, departments=request.departments
        )
        expired: ExpirySweep = await workflow.execute_activity(
            "kb_withdraw_expired",
            scope,
            result_type=ExpirySweep,
            start_to_close_timeout=SWEEP_TIMEOUT,
            retry_policy=SWEEP_RETRY,
        )
        stale: StaleSweep = await workflow.execute_activity(
            "kb_flag_stale",
            scope,
            result_type=StaleSweep,
            start_to_close_timeout=SWEEP_TIMEOUT,
            retry_policy=SWEEP_RETRY,
        )
        rearmed: list[int] = []
        # Sweeps started before this step existed replay without it.
        if workflow.patched(REARM_PATCH):
            rearmed = await workflow.execute_activity(
                "kb_rearm_reviews",
                scope,
                result_type=list[int],
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

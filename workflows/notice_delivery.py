"""NoticeDeliveryWorkflow: one outbox row taken to its channel, durably.

Started by the dispatcher (`workers.notice_dispatch`) as `notice-<row id>`. It plans the row at
the workflow's time (`activities.delivery.plan`): a final row ends it; a held one (quiet hours,
the daily cap) waits on a durable timer until its hold ends and is planned again; otherwise the
row is claimed and sent. The send activity retries with exponential backoff (the options the
dispatcher passed: first wait, doubling, longest wait, attempts); a channel's refusal is not
retried. When the last attempt fails the row is dead-lettered for a person to look at.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.delivery import (
        CHANNEL_REFUSED,
        DeadLetterRequest,
        DeliveryActivities,
        DeliveryRequest,
        PlanRequest,
        PlanStep,
    )
    from models.delivery import NoticeStatus

STORE_TIMEOUT = timedelta(seconds=30)
STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
BACKOFF = 2.0


@workflow.defn
class NoticeDeliveryWorkflow:
    @workflow.run
    async def run(self, request: DeliveryRequest) -> NoticeStatus:
        """The row's final status: sent, delivered, dead or suppressed."""
        options = request.options
        while True:
            try:
                plan = await workflow.execute_activity_method(
                    DeliveryActivities.plan_notice,
                    PlanRequest(
                        notice_id=request.notice_id,
                        now=workflow.now(),
                        max_age_s=options.max_age_s,
                    ),
                    start_to_close_timeout=STORE_TIMEOUT,
                    retry_policy=STORE_RETRY,
                )
            except ActivityError as err:  # bad data in the row: no retry can plan it
                return await self._dead_letter(request.notice_id, err)
            if plan.step is PlanStep.DONE:
                return plan.status
            if plan.step is PlanStep.SEND:
                break
            if plan.until is not None and plan.until > workflow.now():
                await workflow.sleep(plan.until - workflow.now())
        retry = RetryPolicy(
            initial_interval=timedelta(seconds=options.retry_initial_s),
            backoff_coefficient=BACKOFF,
            maximum_interval=timedelta(seconds=options.retry_max_s),
            maximum_attempts=options.max_attempts,
            non_retryable_error_types=[CHANNEL_REFUSED],
        )
        try:
            status: NoticeStatus = await workflow.execute_activity_method(
                DeliveryActivities.send_notice,
                request.notice_id,
                start_to_close_timeout=timedelta(seconds=options.send_timeout_s),
                retry_policy=retry,
            )
        except ActivityError as err:
            return await self._dead_letter(request.notice_id, err)
        return status

    async def _dead_letter(self, notice_id: int, err: ActivityError) -> NoticeStatus:
        cause = err.cause
        reason = cause.message if isinstance(cause, ApplicationError) else "every attempt failed"
        status: NoticeStatus = await workflow.execute_activity_method(
            DeliveryActivities.dead_letter_notice,
            DeadLetterRequest(notice_id=notice_id, reason=reason),
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=STORE_RETRY,
        )
        return status

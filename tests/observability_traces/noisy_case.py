"""A workflow with a case's workflow id whose activities log a phone number and fail with a
caller's name and address in the message: what logs and spans must not pass on."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

PHONE = "13800001234"
CALLER = "张三"
ADDRESS = "中华北路1号"


@activity.defn
async def note_callback(phone: str) -> None:
    activity.logger.info("calling the caller back on %s", phone)


@activity.defn
async def store_caller() -> None:
    raise ApplicationError(f"insert failed: ({CALLER}, {ADDRESS})", non_retryable=True)


@workflow.defn
class NoisyCaseWorkflow:
    @workflow.run
    async def run(self, phone: str) -> str:
        once = RetryPolicy(maximum_attempts=1)
        timeout = timedelta(seconds=30)
        await workflow.execute_activity(
            note_callback, phone, start_to_close_timeout=timeout, retry_policy=once
        )
        try:
            await workflow.execute_activity(
                store_caller, start_to_close_timeout=timeout, retry_policy=once
            )
        except ActivityError:
            return "failed as expected"
        return "stored"

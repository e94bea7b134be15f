"""A Temporal worker interceptor counting activity failures by activity type.

Each failed attempt counts once in `hotline_activity_failures_total{activity_type=...}`; the
label is the activity's registered name, never its arguments or its error message.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter
from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)


def failure_counter(registry: CollectorRegistry) -> Counter:
    return Counter(
        "hotline_activity_failures",
        "Failed activity attempts by activity type",
        labelnames=["activity_type"],
        registry=registry,
    )


class _CountingActivityInbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, failures: Counter) -> None:
        super().__init__(next)
        self._failures = failures

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except Exception:  # a cancellation (BaseException) is not a failure
            self._failures.labels(activity_type=activity.info().activity_type).inc()
            raise


class ActivityFailureInterceptor(Interceptor):
    """Pass to `Worker(interceptors=[...])`; counts into `failures`."""

    def __init__(self, failures: Counter) -> None:
        self.failures = failures

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CountingActivityInbound(next, self.failures)

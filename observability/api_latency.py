"""An ASGI middleware timing each API request into a histogram by route template.

The `route` label is the matched route's template (`/cases/{case_no}`), never the concrete path,
which could carry a case number or a token; a request no route matched counts as `unmatched`.
The status label is the class (`2xx`, `4xx`, ...).
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def latency_histogram(registry: CollectorRegistry) -> Histogram:
    return Histogram(
        "hotline_api_request_duration_seconds",
        "API request latency by route template, method and status class",
        labelnames=["route", "method", "status"],
        buckets=BUCKETS,
        registry=registry,
    )


class LatencyMiddleware:
    """Observes every HTTP request's duration; `/metrics` itself is not counted."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == "/metrics":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.histogram.labels(
                route=template, method=str(scope.get("method", "")), status=f"{status // 100}xx"
            ).observe(time.perf_counter() - started)

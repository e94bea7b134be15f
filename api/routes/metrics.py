"""`GET /metrics`: the API's Prometheus endpoint, for the scraper (no sign-in, no personal data).

It serves the app's own registry: request latency by route template and the hotline's gauges
(case and notice counts by code), then the Temporal SDK's metrics when the process enabled
them (`observability.sdk_runtime`). It is left out of the OpenAPI document.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from observability.registry import CONTENT_TYPE_LATEST, exposition
from observability.sdk_runtime import sdk_metrics_text

router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics_registry
    body = await run_in_threadpool(lambda: exposition(registry, sdk_metrics_text()))
    return Response(content=body, media_type=CONTENT_TYPE_LATEST)

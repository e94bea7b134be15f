"""The FastAPI application: routers, problem documents, body limits, and its connections.

Started without Temporal reachable, the API still starts: its client then connects lazily, and
every route that needs Temporal answers 503 (`api.unavailable`) until Temporal is back.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from api import problems
from api.body_limits import BodyLimitMiddleware
from api.console.mount import install as install_console
from api.context import ApiContext
from api.open311.router import router as open311_router
from api.routes import (
    admin,
    calendar,
    calls,
    case_actions,
    cases,
    codec,
    evaluation,
    health,
    knowledge,
    knowledge_search,
    knowledge_transfer,
    metrics,
    notices,
    phrases,
    public,
    publication,
    sms_inbound,
)
from api.unexpected import UnexpectedErrorMiddleware
from connection.client import connect
from db.engine import SessionFactory, make_engine, session_factory
from observability.api_latency import LatencyMiddleware, latency_histogram
from observability.hotline_gauges import HotlineCollector
from observability.registry import new_registry
from observability.tracing import instrument_api
from settings.temporal import TemporalSettings

logger = logging.getLogger(__name__)


async def temporal_client(settings: TemporalSettings) -> Client:
    """A connected client; if Temporal cannot be reached now, one that connects on first use."""
    try:
        return await connect(settings)
    except RuntimeError:  # the core SDK's "Failed client connect: ..."
        logger.warning(
            "Temporal at %s cannot be reached: the API starts and answers 503 until it can",
            settings.address,
        )
        return await connect(settings, lazy=True)


def create_app(context: ApiContext | None = None) -> FastAPI:
    """The API; without a context it connects from the environment when it starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "context", None) is None:
            settings = TemporalSettings.from_env()
            app.state.context = ApiContext(
                client=await temporal_client(settings),
                sessions=session_factory(make_engine()),
                task_queue=settings.task_queue,
            )
        yield

    app = FastAPI(
        title="hotline12345",
        version="0.1.0",
        summary="12345 public-service hotline: cases, steps, supervision, Open311",
        lifespan=lifespan,
    )
    app.state.context = context
    problems.install(app)
    app.include_router(health.router)
    app.include_router(metrics.router)  # Prometheus scrapes it: no sign-in, codes only
    app.include_router(cases.router)
    app.include_router(case_actions.router)
    app.include_router(admin.router)
    app.include_router(calendar.router)
    app.include_router(phrases.router)
    app.include_router(knowledge_search.router)
    app.include_router(knowledge_transfer.router)
    app.include_router(knowledge.router)
    app.include_router(calls.router)
    app.include_router(evaluation.router)
    app.include_router(public.router)
    app.include_router(publication.router)
    app.include_router(open311_router)
    app.include_router(codec.router)
    app.include_router(notices.router)
    sms_inbound.install(app)  # the SMS gateway's signed webhook (HOTLINE_SMS_WEBHOOK_SECRET)
    install_console(app)  # the web console at /: its pages use paths no API route uses
    app.add_middleware(UnexpectedErrorMiddleware)  # innermost: sees what no handler knew
    app.add_middleware(BodyLimitMiddleware)  # inside the CORS middleware: its 413 gets CORS
    app.add_middleware(codec.CodecCorsMiddleware)
    registry = new_registry()
    registry.register(HotlineCollector(lambda: _sessions_of(app)))
    app.state.metrics_registry = registry
    app.add_middleware(LatencyMiddleware, histogram=latency_histogram(registry))  # outermost
    instrument_api(app)  # OpenTelemetry spans per request, when tracing is configured
    return app


def _sessions_of(app: FastAPI) -> SessionFactory | None:
    context: ApiContext | None = getattr(app.state, "context", None)
    return None if context is None else context.sessions

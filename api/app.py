"""The FastAPI application: routers, problem documents, and its connections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from activities.db import make_engine, session_factory
from api import problems
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
    knowledge,
    knowledge_search,
    knowledge_transfer,
    phrases,
    public,
)
from workers.client import connect
from workers.config import TemporalSettings


def create_app(context: ApiContext | None = None) -> FastAPI:
    """The API; without a context it connects from the environment when it starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "context", None) is None:
            settings = TemporalSettings.from_env()
            app.state.context = ApiContext(
                client=await connect(settings),
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
    app.include_router(open311_router)
    app.include_router(codec.router)
    app.add_middleware(codec.CodecCorsMiddleware)
    return app

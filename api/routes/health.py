"""Liveness and readiness for the process's supervisor (a Kubernetes probe, a load balancer).

`GET /healthz` answers 200 while the process serves requests at all: nothing else is checked,
so a slow database never gets a healthy API restarted. `GET /readyz` answers 200 only when the
application database answers a `SELECT 1` and the Temporal frontend its health check, each
within `CHECK_TIMEOUT_S`; otherwise 503 with `Retry-After` and which check failed (its kind
only: no address, URL or message that could name a host or a credential). No sign-in: the
answers hold nothing but these words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from api.context import ApiContext, get_context
from api.unavailable import RETRY_AFTER_SECONDS
from db.engine import SessionFactory

CHECK_TIMEOUT_S = 2.0

router = APIRouter(tags=["health"])
Context = Annotated[ApiContext, Depends(get_context)]
Check = Literal["ok", "unreachable", "timed out"]


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    database: Check
    temporal: Check


@router.get("/healthz", response_model=Liveness)
async def healthz() -> Liveness:
    return Liveness()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "a dependency does not answer"}},
)
async def readyz(context: Context) -> JSONResponse:
    database, temporal = await asyncio.gather(
        _check(run_in_threadpool(_select_one, context.sessions)),
        _check(
            context.client.service_client.check_health(timeout=timedelta(seconds=CHECK_TIMEOUT_S))
        ),
    )
    ready = database == "ok" and temporal == "ok"
    body = Readiness(status="ready" if ready else "not ready", database=database, temporal=temporal)
    headers = {} if ready else {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503, headers=headers)


def _select_one(sessions: SessionFactory) -> bool:
    with sessions() as session:
        return session.execute(text("SELECT 1")).scalar() == 1


async def _check(probe: Awaitable[bool]) -> Check:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            answered = await probe
    except TimeoutError:
        return "timed out"
    except Exception:  # any failure of the dependency means: not ready
        return "unreachable"
    return "ok" if answered else "unreachable"

"""Liveness and readiness for the process's supervisor (a Kubernetes probe, a load balancer).

`GET /healthz` answers 200 while the process serves requests at all: nothing else is checked,
so a slow database never gets a healthy API restarted. `GET /readyz` answers 200 only when the
application database answers a `SELECT 1` and the Temporal frontend its health check, each
within `CHECK_TIMEOUT_S`; otherwise 503 with `Retry-After` and which check failed (its kind
only: no address, URL or message that could name a host or a credential). No sign-in: the
answers hold nothing but these words.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.context import ApiContext, get_context
from api.unavailable import RETRY_AFTER_SECONDS
from observability.readiness import CHECK_TIMEOUT_S, Check, readiness

router = APIRouter(tags=["health"])
Context = Annotated[ApiContext, Depends(get_context)]
__all__ = ["CHECK_TIMEOUT_S", "router"]


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
    database, temporal = await readiness(context.sessions, context.client)
    ready = database == "ok" and temporal == "ok"
    body = Readiness(status="ready" if ready else "not ready", database=database, temporal=temporal)
    headers = {} if ready else {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503, headers=headers)

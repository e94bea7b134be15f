"""503 Service unavailable while the workflow engine or the database cannot be reached.

An outage is not the caller's fault and not a refusal: it is answered with the RFC 9457 problem
`503 Service unavailable` and a `Retry-After` header, never a 500, a 409 or a 400. Outages are:

- a Temporal RPC failing with a transient status (`TRANSIENT_RPC_STATUSES`: the server is down,
  did not answer in time, or sheds load);
- a Temporal client that could not connect yet (the API started while Temporal was down and
  connects lazily, see `api.app`): the core SDK raises `RuntimeError("Failed client connect…")`;
- SQLAlchemy's connection errors (`OperationalError`, `InterfaceError`, `DisconnectionError`, the
  pool's `TimeoutError`).

The outage may also be the cause (`raise … from err`) of the error a route raised, as when a
refused intake wraps the engine's error. Neither the problem nor the log carries the error's
message: a database error quotes its statement and parameters (personal data); they name the
kind of outage only (`temporal UNAVAILABLE`, `database OperationalError`).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from sqlalchemy import exc as sa_exc
from temporalio.service import RPCError, RPCStatusCode

from api.problems import problem_response

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DETAIL = "the service is temporarily unavailable; retry later"
TRANSIENT_RPC_STATUSES = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
    }
)
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
CONNECT_FAILURE = "Failed client connect"
MAX_CAUSES = 16


def outage(error: BaseException) -> str | None:
    """The kind of outage `error` is or was caused by (`temporal UNAVAILABLE`, `database
    OperationalError`); None for any other error."""
    current: BaseException | None = error
    for _ in range(MAX_CAUSES):
        if current is None:
            return None
        kind = _kind(current)
        if kind is not None:
            return kind
        current = current.__cause__
    return None


def with_retry_after(response: Response) -> Response:
    """`response` with the `Retry-After` header of an outage."""
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def log_outage(request: Request, kind: str) -> None:
    """Log a 503 with the route and the kind of outage only."""
    logger.warning("503 on %s %s: %s", request.method, request.url.path, kind)


def unavailable_response(request: Request, kind: str) -> Response:
    """The 503 problem of an outage of `kind`, logged."""
    log_outage(request, kind)
    return with_retry_after(
        problem_response(503, DETAIL, request.url.path, retry_after=RETRY_AFTER_SECONDS)
    )


def install(app: FastAPI) -> None:
    """Answer outages with 503; any other error of these classes goes on as before (a 500)."""

    async def _outage(request: Request, error: Exception) -> Response:
        kind = outage(error)
        if kind is None:
            raise error
        return unavailable_response(request, kind)

    for error_class in (RPCError, RuntimeError, *DATABASE_ERRORS):
        app.add_exception_handler(error_class, _outage)


def _kind(error: BaseException) -> str | None:
    if isinstance(error, RPCError):
        return f"temporal {error.status.name}" if error.status in TRANSIENT_RPC_STATUSES else None
    if isinstance(error, DATABASE_ERRORS):
        return f"database {type(error).__name__}"
    if type(error) is RuntimeError and str(error).startswith(CONNECT_FAILURE):
        return "temporal not connected"
    return None

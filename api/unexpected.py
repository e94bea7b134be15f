"""The last answer to an error no handler knew: a 500 problem, and a log line without its text.

An unexpected exception would reach uvicorn, which logs its traceback with every message in it:
a database error's message quotes the failing row (`DETAIL: Failing row contains (…)`), which
can hold a caller's name and phone. This middleware, inside every other one, catches it first,
logs the traceback with each message reduced to what is known to be safe
(`activities.failures.safe_traceback`) under a reference, and answers the RFC 9457 problem
`500` naming that reference only. Handled errors (problems, 422, 503 outages) never reach it.
"""

from __future__ import annotations

import logging
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from activities.failures import safe_traceback
from api.problems import problem_response

logger = logging.getLogger(__name__)


class UnexpectedErrorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as err:
            reference = uuid.uuid4().hex[:12]
            logger.error(
                "unexpected error %s on %s %s\n%s",
                reference,
                scope.get("method", ""),
                scope.get("path", ""),
                safe_traceback(err),
            )
            if started:
                return
            response = problem_response(
                500,
                f"an unexpected error; the service's log names it as {reference}",
                scope.get("path"),
                reference=reference,
            )
            await response(scope, receive, send)

"""Who is calling: the FastAPI dependencies that turn a bearer token into a principal.

`current_principal` authenticates a request (401 when it cannot); `require(action)` builds the
dependency that also checks the permission matrix of `rules.permissions` (403 when the role may
not). Tokens are issued and verified by `services.tokens`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from api.context import get_context
from api.problems import Problem
from rules.permissions import Action, Principal, allowed
from services.tokens import authenticate, parse_token

BEARER = "bearer"


def bearer_token(request: Request) -> str:
    """The token of the `Authorization: Bearer <token>` header; Problem(401) if there is none."""
    header = request.headers.get("authorization")
    if not header or not header.strip():
        raise Problem(401, "missing bearer token")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != BEARER or not token or " " in token:
        raise Problem(401, "malformed Authorization header: expected 'Bearer <token>'")
    return token


async def current_principal(request: Request) -> Principal:
    """The authenticated caller. Problem(401) for a missing, malformed, unknown or revoked token
    (or one of a deactivated user); argon2 and the database run in a worker thread."""
    token = bearer_token(request)
    if parse_token(token) is None:
        raise Problem(401, "malformed bearer token")
    sessions = get_context(request).sessions
    principal = await run_in_threadpool(authenticate, sessions, token)
    if principal is None:
        raise Problem(401, "unknown or revoked token")
    return principal


def require(action: Action) -> Callable[..., Awaitable[Principal]]:
    """A dependency returning the authenticated principal if its role may perform `action`,
    else raising Problem(403, "role <role> may not <action>")."""

    async def permitted(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        if not allowed(principal.role, action):
            raise Problem(403, f"role {principal.role} may not {action}")
        return principal

    permitted.__name__ = f"require_{action}"
    return permitted

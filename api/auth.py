"""Who is calling: bearer tokens resolved to a principal with one role (and one department).

`current_principal` is the FastAPI dependency that authenticates a request (401 when it cannot);
`require(action)` builds the dependency that also checks the permission matrix of
`api.permissions` (403 when the role may not). Tokens are issued and verified by `api.tokens`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from api.context import get_context
from api.problems import Problem

if TYPE_CHECKING:
    from api.permissions import Action

BEARER = "bearer"


class Role(StrEnum):
    OPERATOR = "operator"
    DISPATCHER = "dispatcher"
    DEPARTMENT = "department"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: Role
    department: str | None = None  # set for, and only for, the department role


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
    # Imported here: api.tokens imports this module's Role and Principal.
    from api.tokens import authenticate, parse_token

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
    # Imported here: api.permissions imports this module's Role.
    from api.permissions import allowed

    async def permitted(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        if not allowed(principal.role, action):
            raise Problem(403, f"role {principal.role} may not {action}")
        return principal

    permitted.__name__ = f"require_{action}"
    return permitted

"""An in-process HTTP client on the real app, Temporal and database; a token per role."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import httpx
from fastapi import FastAPI
from temporalio.client import Client

from api.app import create_app
from api.context import ApiContext
from db.engine import SessionFactory
from services.principals import add_user
from services.tokens import issue_token

_users = itertools.count(1)


@dataclass
class Api:
    app: FastAPI
    sessions: SessionFactory
    http: httpx.AsyncClient

    def token_for(self, role: str, department: str | None = None) -> dict[str, str]:
        user_id = f"{role}-{next(_users):04d}"
        add_user(self.sessions, user_id, f"user {user_id}", role, department)
        return {"Authorization": f"Bearer {issue_token(self.sessions, user_id).token}"}

    async def post(self, path: str, headers: dict[str, str], **body: Any) -> httpx.Response:
        return await self.http.post(path, json=body, headers=headers)


@asynccontextmanager
async def offline_http(sessions: SessionFactory) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of the real app on `sessions`, without Temporal: for the routes
    that only use the database (imports, exports, call records, evaluation)."""
    context = ApiContext(client=cast(Client, None), sessions=sessions, task_queue="hotline-test")
    transport = httpx.ASGITransport(app=create_app(context))
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
        yield client

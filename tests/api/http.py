"""An in-process HTTP client on the real app, Temporal and database; a token per role."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from activities.db import SessionFactory
from api.tokens import add_user, issue_token

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

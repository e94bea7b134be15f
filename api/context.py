"""What every request handler needs: the Temporal client, the database and the task queue."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from temporalio.client import Client

from db.engine import SessionFactory


@dataclass(frozen=True)
class ApiContext:
    client: Client
    sessions: SessionFactory
    task_queue: str


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context

"""Readiness of a process: does its database answer, does Temporal answer.

One check for the API's `/readyz` and the worker's: `SELECT 1` on the application database and
the Temporal frontend's health check, each within `CHECK_TIMEOUT_S`. A failure is reported by
its kind only ("unreachable", "timed out"), never by an address or message that could name a
host or a credential.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import Literal

from sqlalchemy import text
from temporalio.client import Client

from db.engine import SessionFactory

CHECK_TIMEOUT_S = 2.0
Check = Literal["ok", "unreachable", "timed out"]


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


async def readiness(sessions: SessionFactory, client: Client) -> tuple[Check, Check]:
    """(database, temporal), checked at the same time."""
    database, temporal = await asyncio.gather(
        _check(asyncio.to_thread(_select_one, sessions)),
        _check(client.service_client.check_health(timeout=timedelta(seconds=CHECK_TIMEOUT_S))),
    )
    return database, temporal

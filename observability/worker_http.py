"""The worker process's small HTTP endpoint: `/metrics`, `/healthz` and `/readyz`.

`/healthz` answers 200 while the process runs. `/readyz` answers 200 only while the worker's
database answers `SELECT 1` and the Temporal frontend its health check, each within
`CHECK_TIMEOUT_S`; otherwise 503 with `Retry-After` and which dependency failed (its kind, never
its address), as the API's `/readyz` does. Served with asyncio streams: no framework needed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from datetime import timedelta

from prometheus_client import CollectorRegistry
from sqlalchemy import text
from temporalio.client import Client

from db.engine import SessionFactory
from observability.registry import CONTENT_TYPE_LATEST, exposition
from observability.sdk_runtime import sdk_metrics_text

CHECK_TIMEOUT_S = 2.0
RETRY_AFTER_SECONDS = 5


PATHS = ("/metrics", "/healthz", "/readyz")
"""What the endpoint serves; anything else is 404."""


class WorkerHttp:
    """Serves the three paths until `close()`; `port` is the bound one (0 asks for a free one)."""

    def __init__(self, registry: CollectorRegistry, client: Client, sessions: SessionFactory):
        self.registry = registry
        self.client = client
        self.sessions = sessions
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, host, port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass
            parts = request_line.decode("latin-1").split()
            path = parts[1].split("?")[0] if len(parts) >= 2 else ""
            status, content_type, body, headers = await self._answer(path)
            head = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}"]
            head += [f"Content-Length: {len(body)}", "Connection: close", *headers]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _answer(self, path: str) -> tuple[str, str, bytes, list[str]]:
        if path == "/metrics":
            body = await asyncio.to_thread(exposition, self.registry, sdk_metrics_text())
            return "200 OK", CONTENT_TYPE_LATEST, body, []
        if path == "/healthz":
            return "200 OK", "application/json", b'{"status": "ok"}', []
        if path == "/readyz":
            database, temporal = await asyncio.gather(
                _check(asyncio.to_thread(self._select_one)), _check(self._temporal_health())
            )
            ready = database == "ok" and temporal == "ok"
            answer = {
                "status": "ready" if ready else "not ready",
                "database": database,
                "temporal": temporal,
            }
            body = json.dumps(answer).encode()
            if ready:
                return "200 OK", "application/json", body, []
            retry = [f"Retry-After: {RETRY_AFTER_SECONDS}"]
            return "503 Service Unavailable", "application/json", body, retry
        return "404 Not Found", "application/json", b'{"status": "not found"}', []

    def _select_one(self) -> bool:
        with self.sessions() as session:
            return session.execute(text("SELECT 1")).scalar() == 1

    async def _temporal_health(self) -> bool:
        timeout = timedelta(seconds=CHECK_TIMEOUT_S)
        return await self.client.service_client.check_health(timeout=timeout)


async def _check(probe: Awaitable[bool]) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            answered = await probe
    except TimeoutError:
        return "timed out"
    except Exception:  # any failure of the dependency means: not ready
        return "unreachable"
    return "ok" if answered else "unreachable"

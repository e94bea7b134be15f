"""The worker process's small HTTP endpoint: `/metrics`, `/healthz` and `/readyz`.

`/healthz` answers 200 while the process runs. `/readyz` answers 200 only while the worker's
database and Temporal answer (`observability.readiness`, the API's check too); otherwise 503
with `Retry-After` and which dependency failed (its kind, never its address). Served with
asyncio streams: no framework needed.
"""

from __future__ import annotations

import asyncio
import json

from prometheus_client import CollectorRegistry
from temporalio.client import Client

from db.engine import SessionFactory
from observability.readiness import readiness
from observability.registry import CONTENT_TYPE_LATEST, exposition
from observability.sdk_runtime import sdk_metrics_text

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
            database, temporal = await readiness(self.sessions, self.client)
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

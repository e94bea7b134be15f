"""A local TCP proxy to a real server (PostgreSQL, Temporal), to take it away mid-test.

It runs its own asyncio loop in a thread, so the traffic of whatever talks through it keeps
flowing whatever the test's own loop is doing. `cut()` closes the listening socket (a new
connection is refused) and every open connection, so clients see exactly what they see when the
server goes down; `restore()` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
CHUNK = 64 * 1024


def free_port() -> int:
    """A local port nothing listens on (at the time of the call)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class TcpProxy:
    """Forwards `host`:`port` (a free port by default) to `target_host`:`target_port`."""

    def __init__(
        self, target_host: str, target_port: int, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.target = (target_host, target_port)
        self.host = host
        self.port = port
        self.connections = 0
        self.cuts = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # ---- from the test's thread ----------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())

    def cut(self) -> None:
        """Close every connection and stop listening: the database is unreachable."""
        self._call(self._cut())
        self.cuts += 1

    def restore(self) -> None:
        self._call(self._listen())

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        with contextlib.suppress(Exception):
            self._call(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def _call(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=30)

    # ---- on the proxy's loop -------------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port or 0, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        try:
            upstream_reader, upstream = await asyncio.open_connection(*self.target)
        except OSError:
            client.transport.abort()
            return
        self.connections += 1
        self._writers |= {client, upstream}
        try:
            await asyncio.gather(
                self._pipe(client_reader, upstream), self._pipe(upstream_reader, client)
            )
        finally:
            for writer in (client, upstream):
                self._writers.discard(writer)
                writer.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort()

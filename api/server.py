"""Serving the API with uvicorn inside an asyncio program that owns the signals."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from settings.environment import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class ApiSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    @classmethod
    def from_env(cls, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> ApiSettings:
        settings = Settings.from_env()
        return cls(
            host=host if settings.api_host is None else settings.api_host,
            port=port if settings.api_port is None else settings.api_port,
        )


class _Server(uvicorn.Server):
    """Leaves SIGINT/SIGTERM to the program that runs it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_api(app: FastAPI, settings: ApiSettings, stop: asyncio.Event) -> None:
    """Serve until `stop` is set, then finish the requests in flight."""
    server = _Server(
        uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    await serving
    stopped.cancel()

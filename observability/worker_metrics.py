"""The worker process's metrics: its registry, the failure interceptor and its HTTP endpoint.

`worker_endpoint` builds them from `settings.observability.WorkerHttpSettings`; used as an
async context manager it serves `/metrics`, `/healthz` and `/readyz` while the worker runs
(nothing when the port is off).
"""

from __future__ import annotations

import logging
from types import TracebackType

from temporalio.client import Client
from temporalio.worker import Interceptor

from db.engine import SessionFactory
from observability.activity_failures import ActivityFailureInterceptor, failure_counter
from observability.hotline_gauges import HotlineCollector
from observability.registry import new_registry
from observability.worker_http import WorkerHttp
from settings.observability import WorkerHttpSettings

log = logging.getLogger(__name__)


class WorkerEndpoint:
    def __init__(self, http: WorkerHttp, settings: WorkerHttpSettings) -> None:
        self.http = http
        self.settings = settings
        self.interceptors: list[Interceptor] = [
            ActivityFailureInterceptor(failure_counter(http.registry))
        ]

    async def __aenter__(self) -> WorkerEndpoint:
        if self.settings.port is not None:
            try:
                await self.http.start(self.settings.host, self.settings.port)
            except OSError as err:  # e.g. a second worker on one machine with the same port
                log.error(
                    "the worker serves no /metrics, /healthz or /readyz: port %d cannot be "
                    "bound (%s); set HOTLINE_WORKER_HTTP_PORT to a free port, or 0 for none",
                    self.settings.port,
                    err.strerror or type(err).__name__,
                )
            else:
                log.info(
                    "worker metrics at http://%s:%d/metrics", self.settings.host, self.http.port
                )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.http.close()


async def worker_endpoint(
    client: Client, sessions: SessionFactory, settings: WorkerHttpSettings | None = None
) -> WorkerEndpoint:
    registry = new_registry()
    registry.register(HotlineCollector(lambda: sessions))
    http = WorkerHttp(registry, client, sessions)
    return WorkerEndpoint(http, settings or WorkerHttpSettings.from_env())

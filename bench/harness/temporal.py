"""The in-memory Temporal dev server of temporal-dev.yml and its client, started in-process."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from temporalio.client import Client
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.testing import WorkflowEnvironment

from bench.harness.machine import child_pids
from cli.devstack import load_config, server_flags, temporal_binary
from connection.client import data_converter


@dataclass(frozen=True)
class DevServer:
    client: Client
    pids: frozenset[int]
    """The dev server's processes (this process's only children when it had started)."""


@contextlib.asynccontextmanager
async def dev_server() -> AsyncIterator[DevServer]:
    """temporal-dev.yml's namespace, search attributes and dynamic config; no time skipping."""
    config = load_config()
    with _stdout_to_stderr():  # the server's banner must not mix with the figures
        env = await WorkflowEnvironment.start_local(
            namespace=config.namespace,
            data_converter=data_converter(),
            dev_server_existing_path=temporal_binary(),
            dev_server_extra_args=server_flags(config),
            runtime=_runtime(),
        )
    try:
        yield DevServer(env.client, frozenset(child_pids()))
    finally:
        await env.shutdown()


def _runtime() -> Runtime:
    """The SDK runtime with the core's log lines sent to Python logging (stderr), not stdout."""
    forwarding = LogForwardingConfig(logger=logging.getLogger("temporalio.core"))
    logging_config = LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"), forwarding=forwarding
    )
    return Runtime(telemetry=TelemetryConfig(logging=logging_config))


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Point file descriptor 1 at stderr meanwhile (child processes keep what they inherit)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)

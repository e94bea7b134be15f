"""The drills' own processes: a Temporal dev server on a file, the worker, the API.

Each is a real separate process on 127.0.0.1 and free ports, started from the project's own
command lines (`cli.devstack.server_command`, `hotline worker`, `python -m api`), so a drill
can kill, stop and restart it. Every process is stopped by `stop()` (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from temporalio.client import Client

from cli.devstack import (
    DevStackConfig,
    TemporalServer,
    server_command,
    temporal_binary,
    wait_for_port,
)
from connection.client import data_converter
from tests.conftest import ROOT

HOST = "127.0.0.1"
STOP_TIMEOUT_S = 20.0
START_TIMEOUT_S = 90.0
START_ATTEMPTS = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    """Signal the process group, wait, and SIGKILL it if it does not end in time."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


@dataclass
class DevServer:
    """`temporal server start-dev` of temporal-dev.yml, on its own ports and a db file in `folder`,
    so it can be stopped and started again with everything it held."""

    config: DevStackConfig
    folder: Path
    process: subprocess.Popen[bytes] | None = None
    port: int = field(default_factory=free_port)
    ui_port: int = field(default_factory=free_port)

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def command(self) -> list[str]:
        temporal = TemporalServer(
            ip=HOST,
            port=self.port,
            ui_port=self.ui_port,
            metrics_port=None,
            log_level="error",
            db_file=str(self.folder / "temporal.db"),
            sqlite_pragmas=self.config.temporal.sqlite_pragmas,
        )
        own = self.config.model_copy(update={"temporal": temporal, "root": self.folder})
        return server_command(own, temporal_binary())

    def start(self) -> None:
        """Start the server; a first start that loses a port race takes fresh ports (a restart
        keeps its ports, its clients reconnect to the same address)."""
        first = self.process is None and not (self.folder / "temporal.db").exists()
        for attempt in range(1, START_ATTEMPTS + 1):
            log = self.folder / "temporal.log"
            with log.open("ab") as output:
                self.process = subprocess.Popen(
                    self.command(),
                    cwd=self.folder,
                    start_new_session=True,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_until_serving():
                return
            _stop(self.process)
            if attempt == START_ATTEMPTS:
                tail = log.read_text(errors="replace")[-2000:]
                raise TimeoutError(f"Temporal did not serve {self.address}: {tail}")
            if first:
                self.port, self.ui_port = free_port(), free_port()

    def _wait_until_serving(self) -> bool:
        """True once the frontend port accepts connections; False if the server exited first or
        did not open it in time."""
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                wait_for_port(HOST, self.port, timeout=1)
                return True
            except TimeoutError:
                continue
        return False

    def stop(self) -> None:
        _stop(self.process)
        self.process = None

    async def client(self) -> Client:
        """A client of this server; it reconnects by itself after a restart."""
        deadline = time.monotonic() + 30
        while True:
            try:
                return await Client.connect(
                    self.address, namespace=self.config.namespace, data_converter=data_converter()
                )
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)


@dataclass
class Service:
    """A child process of the project (`hotline worker`, `python -m api`) with its environment."""

    command: list[str]
    environment: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.environment,
                start_new_session=True,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """kill -9: no shutdown, activities and workflow tasks cut off where they are."""
        _stop(self.process, signal.SIGKILL)
        self.process = None

    def stop(self) -> None:
        _stop(self.process)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


# The drills' workers deliver notices too: to a file of their own, not the checkout's.
DRILL_NOTICES = Path(tempfile.mkdtemp(prefix="hotline-drill-")) / "notices-sent.jsonl"


def stack_environment(server: DevServer, task_queue: str, database_url: str) -> dict[str, str]:
    return os.environ | {
        "TEMPORAL_ADDRESS": server.address,
        "TEMPORAL_NAMESPACE": server.config.namespace,
        "HOTLINE_TASK_QUEUE": task_queue,
        "DATABASE_URL": database_url,
        "HOTLINE_NOTICE_FILE": str(DRILL_NOTICES),
    }


def worker_service(server: DevServer, task_queue: str, database_url: str, log: Path) -> Service:
    """`hotline worker` against the drill's server and database."""
    hotline = str(Path(sys.executable).parent / "hotline")
    environment = stack_environment(server, task_queue, database_url)
    return Service([hotline, "worker"], environment, log)


def api_service(
    server: DevServer, task_queue: str, database_url: str, port: int, log: Path
) -> Service:
    """`python -m api` on `port`, against the drill's server and database."""
    environment = stack_environment(server, task_queue, database_url) | {
        "HOTLINE_API_HOST": HOST,
        "HOTLINE_API_PORT": str(port),
    }
    return Service([sys.executable, "-m", "api"], environment, log)


async def wait_for_api(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{url}/openapi.json")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"the API at {url} did not answer within {timeout:.0f}s")

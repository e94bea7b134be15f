"""The worker's HTTP endpoint over real HTTP: gauges after a real case, activity failures
counted by type, `/healthz`, and `/readyz` naming the database when it cannot be reached."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from db.engine import SessionFactory, make_engine, session_factory
from observability.activity_failures import ActivityFailureInterceptor, failure_counter
from observability.hotline_gauges import HotlineCollector
from observability.registry import new_registry
from observability.worker_http import WorkerHttp
from tests.api.http import Api
from tests.api.test_cases_api import open_case
from tests.observability.test_api_metrics import (
    CALLER_NAME,
    CALLER_PHONE,
    _projected,
    dispatched_now,
    sample,
)


@activity.defn(name="always_fails")
async def always_fails() -> None:
    raise RuntimeError("the channel refused")


@workflow.defn(name="FailingOnce")
class FailingOnce:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_activity(
                always_fails,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except Exception:
            return "failed"
        return "succeeded"


async def _serving(client: Client, sessions: SessionFactory) -> AsyncIterator[WorkerHttp]:
    registry = new_registry()
    registry.register(HotlineCollector(lambda: sessions, cache_seconds=0))
    http = WorkerHttp(registry, client, sessions)
    await http.start("127.0.0.1", 0)
    try:
        yield http
    finally:
        await http.close()


async def test_the_worker_endpoint_shows_the_case_gauges_without_personal_data(
    api: Api, env: WorkflowEnvironment
) -> None:
    before = dispatched_now(api)
    case_no = await open_case(api, api.token_for("operator"))
    await _projected(api, case_no, before)
    async for served in _serving(env.client, api.sessions):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{served.port}") as http:
            metrics = await http.get("/metrics")
            alive = await http.get("/healthz")
            ready = await http.get("/readyz")
    assert metrics.status_code == 200
    assert sample(metrics.text, "hotline_cases", level="0", status="dispatched") == before + 1
    assert CALLER_NAME not in metrics.text and CALLER_PHONE not in metrics.text
    assert case_no not in metrics.text
    assert alive.status_code == 200
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_readyz_names_the_database_when_it_cannot_be_reached(
    env: WorkflowEnvironment,
) -> None:
    unreachable = session_factory(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    async for served in _serving(env.client, unreachable):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{served.port}") as http:
            ready = await http.get("/readyz")
            metrics = await http.get("/metrics")
    assert ready.status_code == 503
    assert ready.headers["Retry-After"]
    assert ready.json() == {"status": "not ready", "database": "unreachable", "temporal": "ok"}
    assert "127.0.0.1" not in ready.text
    assert "hotline_database_up 0.0" in metrics.text


async def test_an_activity_failure_counts_by_activity_type(env: WorkflowEnvironment) -> None:
    registry = new_registry()
    counter = failure_counter(registry)
    queue = f"failures-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[FailingOnce],
        activities=[always_fails],
        interceptors=[ActivityFailureInterceptor(counter)],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        result = await env.client.execute_workflow(
            FailingOnce.run, id=f"failing-{uuid.uuid4()}", task_queue=queue
        )
    assert result == "failed"
    value = registry.get_sample_value(
        "hotline_activity_failures_total", {"activity_type": "always_fails"}
    )
    assert value == 1.0

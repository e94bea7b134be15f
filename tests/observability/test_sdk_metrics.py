"""The Temporal SDK's own metrics on the worker's `/metrics`: a worker on a client of the
process's telemetry runtime runs a case, and one scrape over HTTP shows the SDK's task metrics
beside the hotline's, including every Temporal metric the wall-screen dashboard names."""

from __future__ import annotations

import json
import re
import uuid

import httpx
from temporalio.client import Client

from db.engine import make_engine, session_factory
from observability.activity_failures import ActivityFailureInterceptor, failure_counter
from observability.hotline_gauges import HotlineCollector
from observability.registry import new_registry
from observability.sdk_runtime import process_runtime
from observability.worker_http import WorkerHttp
from tests.conftest import ROOT
from tests.workflows.cases import intake, start, until
from workers.worker import build_worker

DASHBOARD = ROOT / "deploy" / "grafana" / "hotline-wall.json"


def metric_names(text: str) -> set[str]:
    return set(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)", text, re.MULTILINE))


async def test_a_scrape_shows_the_sdks_task_metrics_and_every_one_the_dashboard_names(
    metered_client: Client, database_url: str
) -> None:
    assert process_runtime() is not None
    client = metered_client
    registry = new_registry()
    counter = failure_counter(registry)
    queue = f"sdk-metrics-{uuid.uuid4()}"
    async with build_worker(
        client, queue, database_url, interceptors=[ActivityFailureInterceptor(counter)]
    ):
        handle = await start(client, intake(), task_queue=queue)
        await until(handle, lambda s: s.status.value == "dispatched")
        sessions = session_factory(make_engine(database_url))
        registry.register(HotlineCollector(lambda: sessions, cache_seconds=0))
        http = WorkerHttp(registry, client, sessions)
        await http.start("127.0.0.1", 0)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http.port}") as scraper:
                text = (await scraper.get("/metrics")).text
        finally:
            await http.close()
    names = metric_names(text)
    assert "hotline_cases" in names
    assert "temporal_workflow_task_schedule_to_start_latency_bucket" in names
    assert "temporal_activity_execution_latency_bucket" in names
    assert f'task_queue="{queue}"' in text
    assert "# TYPE hotline_activity_failures_total counter" in text
    named = {
        name
        for panel in json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
        for target in panel.get("targets", [])
        for name in re.findall(r"\b((?:temporal|hotline_activity)_[a-z0-9_]+)", target["expr"])
    }
    assert len(named) >= 5
    assert named - {"hotline_activity_failures_total"} <= names, named - names

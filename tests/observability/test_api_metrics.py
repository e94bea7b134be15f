"""The API's `/metrics`, scraped after real requests: latency by route template, case gauges,
no personal data, and every metric the wall-screen dashboard names from the API present."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from observability.hotline_gauges import read_figures
from tests.api.http import Api
from tests.api.test_cases_api import open_case

DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana" / "hotline-wall.json"
CALLER_NAME = "李四"
CALLER_PHONE = "13912345678"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a scrape (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return 0.0


def dispatched_now(api: Api) -> int:
    return read_figures(api.sessions, datetime.now(UTC)).cases.get(("dispatched", 0), 0)


async def _projected(api: Api, case_no: str, before: int) -> None:
    for _ in range(200):  # the projection activity runs right after intake; bounded wait
        if dispatched_now(api) > before:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{case_no} never reached the projection")


async def test_a_scrape_shows_latency_by_route_template_and_the_open_case(api: Api) -> None:
    operator = api.token_for("operator")
    before = dispatched_now(api)
    case_no = await open_case(api, operator)
    assert (await api.http.get(f"/cases/{case_no}", headers=operator)).status_code == 200
    await api.http.get("/no/such/path")
    await _projected(api, case_no, before)

    response = await api.http.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'route="/cases/{case_no}",status="2xx"' in text
    assert 'method="POST",route="/cases",status="2xx"' in text
    assert 'route="unmatched"' in text
    assert case_no not in text
    assert sample(text, "hotline_cases", level="0", status="dispatched") == before + 1
    assert "hotline_database_up 1.0" in text
    assert CALLER_NAME not in text and CALLER_PHONE not in text


async def test_metrics_need_no_sign_in_and_stay_out_of_the_openapi_document(api: Api) -> None:
    assert (await api.http.get("/metrics")).status_code == 200
    schema = (await api.http.get("/openapi.json")).json()
    assert "/metrics" not in schema["paths"]


WORKER_ONLY = "hotline_activity_failures"


async def test_every_hotline_metric_of_the_dashboard_is_on_the_api_endpoint(api: Api) -> None:
    operator = api.token_for("operator")
    await api.http.get("/cases", headers=operator)
    text = (await api.http.get("/metrics")).text
    exported = set(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)", text, re.MULTILINE))
    named = {
        name
        for panel in json.loads(DASHBOARD.read_text())["panels"]
        for target in panel.get("targets", [])
        for name in re.findall(r"\b(hotline_[a-z0-9_]+)", target["expr"])
        if not name.startswith(WORKER_ONLY)  # tests/observability/test_sdk_metrics.py
    }
    assert named, "the dashboard names no hotline metric"
    assert named <= exported, named - exported


DATABASE_GAUGES = re.compile(r"\bhotline_(?:cases|notices)\w*")


def test_the_dashboard_counts_each_database_gauge_once_however_many_processes_export_it() -> None:
    """Every API and worker process exports the same database gauges: a plain sum over them
    would show each case once per process."""
    exprs = [
        target["expr"]
        for panel in json.loads(DASHBOARD.read_text())["panels"]
        for target in panel.get("targets", [])
    ]
    gauged = [expr for expr in exprs if DATABASE_GAUGES.search(expr)]
    assert len(gauged) >= 5
    for expr in gauged:
        for found in DATABASE_GAUGES.finditer(expr):
            assert expr[: found.start()].endswith("max without (instance, job, pod) ("), expr

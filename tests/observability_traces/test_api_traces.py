"""The instrumented API: a span per request named by its route template, no span for the
probes, /metrics or the console's static files, and no query value, phone number or client
address in any span attribute."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import ApiContext
from db.engine import make_engine, session_factory
from observability.tracing import build_tracer_provider, instrument_api, redacted_query
from tests.api.http import Api
from tests.api.test_unavailable import http_of
from tests.conftest import TASK_QUEUE

PHONE = "13800001234"
ID_CARD = "52010219900307123X"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def _text(spans: tuple[ReadableSpan, ...]) -> str:
    return repr([(span.name, dict(span.attributes or {})) for span in spans])


async def test_requests_are_spans_without_personal_data(
    env: WorkflowEnvironment, worker: None, database_url: str
) -> None:
    exporter = InMemorySpanExporter()
    provider = build_tracer_provider("hotline-api", exporter=exporter)
    sessions = session_factory(make_engine(database_url))
    app = create_app(ApiContext(client=env.client, sessions=sessions, task_queue=TASK_QUEUE))
    assert instrument_api(app, provider)
    async with http_of(app) as http:
        headers = Api(app=app, sessions=sessions, http=http).token_for("supervisor")
        listed = await http.get(
            "/cases",
            params={"q": f"张三 {PHONE}", "district": "云岩区", "limit": "5"},
            headers={**headers, "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
        )
        looked_up = await http.get(f"/cases/{PHONE}", headers=headers)
        await http.get(f"/cases/{ID_CARD}/export?caller={PHONE}", headers=headers)
        for probe in ("/healthz", "/readyz", "/metrics", "/static/console/app.js"):
            await http.get(probe)
    assert listed.status_code == 200, listed.text
    assert looked_up.status_code == 422, looked_up.text  # not a case number: a phone
    assert provider.force_flush(10_000)
    spans = exporter.get_finished_spans()
    provider.shutdown()

    assert [span.name for span in spans] == [
        "GET /cases",
        "GET /cases/{case_no}",
        "GET /cases/{case_no}/export",
    ]
    listing = spans[0]
    attributes = dict(listing.attributes or {})
    assert attributes["http.route"] == "/cases"
    assert attributes.get("http.target", "/cases") == "/cases"
    assert f"{listing.context.trace_id:032x}" == TRACE_ID  # the caller's trace continues
    assert {span.resource.attributes["service.name"] for span in spans} == {"hotline-api"}
    everything = _text(spans)
    for secret in (PHONE, ID_CARD, "张三", "云岩区", "%E5", "127.0.0.1", "testclient"):
        assert secret not in everything, (secret, everything)
    assert "[phone]" in everything


def test_a_query_keeps_only_its_parameter_names() -> None:
    assert redacted_query(f"q={PHONE}&limit=5&{PHONE}=x".encode()) == (
        "q=redacted&limit=redacted&[phone]=redacted"
    )
    assert redacted_query(b"") == ""


@pytest.mark.parametrize("mode", ["http", "http/dup"])
def test_the_new_conventions_attributes_are_scrubbed_too(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL_SEMCONV_STABILITY_OPT_IN=http(/dup) records url.query and client.address."""
    from opentelemetry.sdk.trace import TracerProvider

    from observability.tracing import scrub_request_span

    provider = TracerProvider()
    tracer = provider.get_tracer("test")
    scope = {"path": f"/cases/{PHONE}", "query_string": f"q={PHONE}".encode()}
    with tracer.start_as_current_span(
        "GET /cases/{case_no}",
        attributes={
            "url.path": f"/cases/{PHONE}",
            "url.query": f"q={PHONE}",
            "client.address": "10.1.2.3",
            "http.target": f"/cases/{PHONE}?q={PHONE}",
            "http.url": f"http://hotline.test/cases/{PHONE}?q={PHONE}",
        },
    ) as span:
        scrub_request_span(span, scope)
        attributes = dict(span.attributes or {})  # type: ignore[attr-defined]
    assert attributes == {
        "url.path": "/cases/[phone]",
        "url.query": "q=redacted",
        "client.address": "redacted",
        "http.target": "/cases/[phone]",
        "http.url": "http://hotline.test/cases/[phone]",
    }

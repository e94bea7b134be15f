"""OpenTelemetry traces of the API and the worker, exported over OTLP/HTTP when configured.

Nothing is traced (and nothing costs) unless OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set: then `configure_tracing` installs, once per process,
a tracer provider that batches spans to that collector under the service name (OTEL_SERVICE_NAME
wins over the name the process passes; the other OTEL_EXPORTER_OTLP_* settings apply as usual).

Temporal: `tracing_interceptors()` is given to `Client.connect`; a worker built on that client
inherits it, so a case started through the API or the CLI is one trace: StartWorkflow,
RunWorkflow, StartActivity and RunActivity spans carrying the workflow id (`case-<case
number>`; case numbers are not personal data). HTTP: `instrument_api(app)` makes a span per
request named by its route template; the probes, /metrics and the console's static files are
not traced, and query strings, client addresses and anything shaped like a phone or ID card
number in a path are kept out of span attributes. Every exported span is scrubbed once more on
its way out (observability.span_scrubbing: no exception messages).
"""

from __future__ import annotations

import os
import threading
import urllib.parse
from collections.abc import Mapping
from typing import Any, Final

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span
from temporalio.client import Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor

from observability.logs import mask_personal_data
from observability.span_scrubbing import ScrubbingSpanExporter

ENDPOINT_ENVS: Final = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
SERVICE_NAME_ENV: Final = "OTEL_SERVICE_NAME"
API_SERVICE: Final = "hotline-api"
WORKER_SERVICE: Final = "hotline-worker"
TRACER_NAME: Final = "hotline"

# Regular expressions (searched in the full URL) of requests that get no span.
EXCLUDED_URLS: Final = ",".join(
    [r"/healthz$", r"/readyz$", r"/metrics$", r"/static/", r"/favicon\.ico$"]
)
REDACTED: Final = "redacted"
# Attributes the ASGI instrumentation may set from the request (old and new conventions).
_QUERY_FREE_PATHS: Final = ("http.target", "url.path")
_URLS: Final = ("http.url", "url.full")
_QUERIES: Final = ("url.query",)
_CLIENT_ADDRESSES: Final = ("net.peer.ip", "client.address", "http.client_ip")

_lock = threading.Lock()
_configured: TracerProvider | None = None


def tracing_endpoint(environ: Mapping[str, str] | None = None) -> str | None:
    """The configured OTLP endpoint (traces-specific first), or None."""
    values = environ if environ is not None else os.environ
    for name in ENDPOINT_ENVS:
        if values.get(name, "").strip():
            return values[name].strip()
    return None


def build_tracer_provider(
    service_name: str,
    exporter: SpanExporter | None = None,
    environ: Mapping[str, str] | None = None,
) -> TracerProvider:
    """A provider batching its spans, scrubbed (observability.span_scrubbing), to `exporter`
    (default: OTLP/HTTP protobuf, configured by the OTEL_EXPORTER_OTLP_* environment); not
    installed anywhere."""
    values = environ if environ is not None else os.environ
    name = values.get(SERVICE_NAME_ENV, "").strip() or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    exporting = ScrubbingSpanExporter(exporter or OTLPSpanExporter())
    provider.add_span_processor(BatchSpanProcessor(exporting))
    return provider


def configure_tracing(
    service_name: str, environ: Mapping[str, str] | None = None
) -> TracerProvider | None:
    """Install the process's tracer provider when an OTLP endpoint is configured (None when
    not: nothing is traced). Only the first call of a process installs one; later calls return
    it, whatever their service name."""
    global _configured
    with _lock:
        if _configured is not None:
            return _configured
        if tracing_endpoint(environ) is None:
            return None
        _configured = build_tracer_provider(service_name, environ=environ)
        trace.set_tracer_provider(_configured)
        return _configured


def configured_provider() -> TracerProvider | None:
    """The provider `configure_tracing` installed in this process, if any."""
    return _configured


def tracing_interceptors(provider: TracerProvider | None = None) -> list[Interceptor]:
    """The client interceptors (also worker interceptors) of tracing: empty unless tracing is
    configured or a `provider` is given."""
    chosen = provider or _configured
    if chosen is None:
        return []
    return [TracingInterceptor(chosen.get_tracer(TRACER_NAME))]


def instrument_api(app: FastAPI, provider: TracerProvider | None = None) -> bool:
    """Trace `app`'s requests when tracing is configured or a `provider` is given; whether it
    did. No HTTP metrics are recorded through OpenTelemetry (the /metrics endpoint has them)."""
    chosen = provider or _configured
    if chosen is None:
        return False
    FastAPIInstrumentor.instrument_app(
        app,
        server_request_hook=scrub_request_span,
        tracer_provider=chosen,
        meter_provider=NoOpMeterProvider(),
        excluded_urls=EXCLUDED_URLS,
        exclude_spans=["receive", "send"],
    )
    return True


def scrub_request_span(span: Span, scope: dict[str, Any]) -> None:
    """Overwrite the request attributes that could carry personal data: no query values, no
    client address, and phone or ID card numbers masked in the path."""
    if not span.is_recording():
        return
    attributes = span.attributes if isinstance(span, ReadableSpan) else None
    present = set(attributes or {})
    path = mask_personal_data(str(scope.get("path", "")))
    for key in _QUERY_FREE_PATHS:
        if key in present:
            span.set_attribute(key, path)
    for key in _URLS:
        value = attributes.get(key) if attributes else None
        if isinstance(value, str):
            parts = urllib.parse.urlsplit(value)
            span.set_attribute(key, urllib.parse.urlunsplit(parts._replace(path=path, query="")))
    for key in _QUERIES:
        if key in present:
            span.set_attribute(key, redacted_query(scope.get("query_string", b"")))
    for key in _CLIENT_ADDRESSES:
        if key in present:
            span.set_attribute(key, REDACTED)


def redacted_query(query_string: bytes | str) -> str:
    """A query string's parameter names, every value replaced: `q=redacted&limit=redacted`."""
    text = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    names = [name for name, _ in urllib.parse.parse_qsl(text, keep_blank_values=True)]
    return "&".join(f"{mask_personal_data(name)}={REDACTED}" for name in names)

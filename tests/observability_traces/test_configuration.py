"""What the environment turns on: nothing without an OTLP endpoint; with one, the process's
tracer provider exports to it under the service's name; the log format of a terminal and of
everything else."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fastapi import FastAPI

from observability.logs import TextFormatter, configure_logging, wants_json
from observability.tracing import (
    configure_tracing,
    configured_provider,
    instrument_api,
    tracing_endpoint,
    tracing_interceptors,
)
from tests.observability_traces.otlp_receiver import otlp_receiver

ROOT = Path(__file__).resolve().parents[2]


def test_without_an_endpoint_nothing_is_traced() -> None:
    assert tracing_endpoint({}) is None
    assert configure_tracing("hotline-api", environ={"OTEL_EXPORTER_OTLP_ENDPOINT": " "}) is None
    assert configured_provider() is None
    assert tracing_interceptors() == []
    app = FastAPI()
    assert not instrument_api(app)
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)


def test_the_traces_endpoint_wins() -> None:
    environ = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4318/v1/traces",
    }
    assert tracing_endpoint(environ) == "http://traces:4318/v1/traces"


def test_a_configured_process_exports_under_its_service_name() -> None:
    program = textwrap.dedent(
        """
        from opentelemetry import trace
        from observability.tracing import configure_tracing, tracing_interceptors
        provider = configure_tracing("hotline-worker")
        assert provider is not None and configure_tracing("other") is provider
        assert trace.get_tracer_provider() is provider
        assert len(tracing_interceptors()) == 1
        with trace.get_tracer("check").start_as_current_span("configured"):
            pass
        provider.shutdown()
        """
    )
    with otlp_receiver() as receiver:
        environ = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url}
        environ.pop("OTEL_SERVICE_NAME", None)
        subprocess.run(
            [sys.executable, "-c", program], cwd=ROOT, env=environ, check=True, timeout=60
        )
    [span] = receiver.spans
    assert (span.name, span.service) == ("configured", "hotline-worker")
    assert receiver.paths == ["/v1/traces"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_log_format_follows_the_environment_then_the_terminal() -> None:
    assert wants_json(io.StringIO(), {}) is True
    assert wants_json(_Terminal(), {}) is False
    assert wants_json(_Terminal(), {"HOTLINE_LOG_FORMAT": "JSON"}) is True
    assert wants_json(io.StringIO(), {"HOTLINE_LOG_FORMAT": "text"}) is False
    with pytest.raises(ValueError, match="HOTLINE_LOG_FORMAT"):
        wants_json(io.StringIO(), {"HOTLINE_LOG_FORMAT": "yaml"})


def test_text_lines_are_masked_and_tagged_and_reconfiguring_replaces_the_handler() -> None:
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    first = configure_logging("hotline-api", json=True, stream=io.StringIO())
    stream = _Terminal()
    second = configure_logging("hotline-api", level="DEBUG", stream=stream)
    try:
        assert first not in root.handlers and second in root.handlers
        assert isinstance(second.formatter, TextFormatter)
        logging.getLogger("hotline.test").debug(
            "sms to %s", "13912345678", extra={"case_no": "GY20261128-000002"}
        )
    finally:
        root.removeHandler(second)
        root.setLevel(level)
    assert root.handlers == before
    [line] = stream.getvalue().splitlines()
    assert line.endswith("DEBUG hotline.test sms to [phone] [case_no=GY20261128-000002]")

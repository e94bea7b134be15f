"""The Temporal SDK's own metrics (its `Runtime` telemetry) on the process's `/metrics`.

A worker or API process calls `enable_sdk_metrics()` once at start: the SDK core then serves its
Prometheus metrics (polls, task latencies, sticky cache, activity and workflow task failures,
request failures) on a free 127.0.0.1 port of its own, and `sdk_metrics_text()` reads them so
that the process's one `/metrics` endpoint shows them after the hotline's. Durations are in
seconds. A process that never enables them (the CLI, the tests) uses the SDK's default runtime.
"""

from __future__ import annotations

import logging
import socket
import threading
import urllib.error
import urllib.request

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

log = logging.getLogger(__name__)
READ_TIMEOUT_S = 2.0

_lock = threading.Lock()
_runtime: Runtime | None = None
_address: str | None = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def enable_sdk_metrics() -> Runtime:
    """This process's runtime with the SDK's Prometheus exporter (created once)."""
    global _runtime, _address
    with _lock:
        if _runtime is None:
            _address = f"127.0.0.1:{_free_port()}"
            _runtime = Runtime(
                telemetry=TelemetryConfig(
                    metrics=PrometheusConfig(bind_address=_address, durations_as_seconds=True)
                )
            )
        return _runtime


def process_runtime() -> Runtime | None:
    """The runtime `enable_sdk_metrics` made, or None (the SDK's default)."""
    return _runtime


def sdk_metrics_text() -> bytes:
    """The SDK's metrics in the Prometheus text format; empty when not enabled or unreadable."""
    if _address is None:
        return b""
    try:
        with urllib.request.urlopen(f"http://{_address}/metrics", timeout=READ_TIMEOUT_S) as answer:
            body: bytes = answer.read()
    except (urllib.error.URLError, OSError) as err:
        log.warning("the Temporal SDK's metrics could not be read: %s", type(err).__name__)
        return b""
    return body if body.endswith(b"\n") or not body else body + b"\n"

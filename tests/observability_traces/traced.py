"""A client and worker on the test run's dev server whose spans go to a local OTLP receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client

from observability.tracing import build_tracer_provider, tracing_interceptors
from tests.observability_traces.otlp_receiver import Receiver, otlp_receiver


@dataclass
class Traced:
    client: Client
    provider: TracerProvider
    receiver: Receiver

    def flush(self) -> None:
        assert self.provider.force_flush(10_000)


def traced_client(client: Client, provider: TracerProvider) -> Client:
    """`client` (same connection, namespace, converter) with the tracing interceptors."""
    config = client.config()
    config["interceptors"] = [*config["interceptors"], *tracing_interceptors(provider)]
    return Client(**config)


@asynccontextmanager
async def traced(
    client: Client, monkeypatch: pytest.MonkeyPatch, service: str = "hotline-worker"
) -> AsyncIterator[Traced]:
    """A traced client exporting, over the default OTLP/HTTP exporter configured by
    OTEL_EXPORTER_OTLP_ENDPOINT, to a receiver of its own."""
    with otlp_receiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
        provider = build_tracer_provider(service)
        try:
            yield Traced(traced_client(client, provider), provider, receiver)
        finally:
            provider.shutdown()

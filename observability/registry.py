"""A process's metrics registry and its text exposition."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "exposition", "new_registry"]


def new_registry() -> CollectorRegistry:
    """A registry of its own (not prometheus_client's global), so apps and tests stay apart."""
    return CollectorRegistry(auto_describe=False)


def exposition(registry: CollectorRegistry, extra: bytes = b"") -> bytes:
    """The Prometheus text format of `registry`, followed by another exporter's text if any."""
    text = generate_latest(registry)
    return text + extra if extra else text

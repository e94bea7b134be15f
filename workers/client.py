"""The one client and data-converter factory used by the worker, CLI, tests and benchmarks."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.service import TLSConfig

from workers.config import TemporalSettings


def data_converter() -> DataConverter:
    """Pydantic models in and out of every payload (client, worker, replayer, tests)."""
    return pydantic_data_converter


def tls_config(settings: TemporalSettings) -> TLSConfig | bool:
    if not settings.tls:
        return False
    return TLSConfig(
        server_root_ca_cert=settings.tls_ca.read_bytes() if settings.tls_ca else None,
        client_cert=settings.tls_cert.read_bytes() if settings.tls_cert else None,
        client_private_key=settings.tls_key.read_bytes() if settings.tls_key else None,
        domain=settings.tls_server_name,
    )


async def connect(settings: TemporalSettings | None = None) -> Client:
    settings = settings or TemporalSettings.from_env()
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        data_converter=data_converter(),
        tls=tls_config(settings),
        api_key=settings.api_key,
    )

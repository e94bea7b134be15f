"""The one client and data-converter factory used by the worker, CLI, tests and benchmarks.

Every payload is converted by the pydantic converter and then encrypted by the payload codec of
security/codec.py under the codec key ring (security/keys.py: $HOTLINE_CODEC_KEYS_FILE, else
.hotline/codec-keys.json). The ring is read once per file and process.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.service import TLSConfig

from connection.payload_converter import SharedPydanticPayloadConverter
from observability.sdk_runtime import process_runtime
from observability.tracing import tracing_interceptors
from security.codec import EncryptionCodec
from security.keys import KeyRing, keys_file, load_key_ring, read_key_ring
from settings.environment import Settings
from settings.temporal import TemporalSettings

_rings: dict[Path, KeyRing] = {}
_rings_lock = threading.Lock()


def cached_key_ring(path: Path | None = None) -> KeyRing:
    """The key ring of `path` (default: $HOTLINE_CODEC_KEYS_FILE or .hotline/codec-keys.json),
    read from its file once per process."""
    path = path if path is not None else Settings.from_env().codec_keys_file
    target = keys_file(path).absolute()
    with _rings_lock:
        ring = _rings.get(target)
        if ring is None:
            ring = _rings[target] = load_key_ring(path)
        return ring


def _reread(target: Path) -> KeyRing:
    """Re-read a ring (a key rotated in by another process) and remember the new one."""
    ring = read_key_ring(target)
    with _rings_lock:
        _rings[target] = ring
    return ring


def data_converter(key_ring: KeyRing | None = None) -> DataConverter:
    """Pydantic models in and out of every payload, encrypted (client, worker, replayer, tests).

    Without `key_ring`, the ring of $HOTLINE_CODEC_KEYS_FILE or .hotline/codec-keys.json (created
    on first use when no file is configured). A payload under a key the ring does not know yet
    makes the codec re-read that file once.
    """
    if key_ring is not None:
        codec = EncryptionCodec(key_ring)
    else:
        path = Settings.from_env().codec_keys_file
        target = keys_file(path).absolute()
        codec = EncryptionCodec(cached_key_ring(path), refresh=lambda: _reread(target))
    # Failure messages and stack traces are encrypted too: a database error's message can quote
    # the statement's parameters, and an activity failure is kept in the history.
    return dataclasses.replace(
        pydantic_data_converter,
        payload_converter_class=SharedPydanticPayloadConverter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def tls_config(settings: TemporalSettings) -> TLSConfig | bool:
    if not settings.tls:
        return False
    return TLSConfig(
        server_root_ca_cert=settings.tls_ca.read_bytes() if settings.tls_ca else None,
        client_cert=settings.tls_cert.read_bytes() if settings.tls_cert else None,
        client_private_key=settings.tls_key.read_bytes() if settings.tls_key else None,
        domain=settings.tls_server_name,
    )


async def connect(settings: TemporalSettings | None = None, *, lazy: bool = False) -> Client:
    """A client of the configured server; `lazy` connects on first use (and retries on each)."""
    settings = settings or TemporalSettings.from_env()
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        data_converter=data_converter(),
        tls=tls_config(settings),
        api_key=settings.api_key,
        lazy=lazy,
        runtime=process_runtime(),  # the SDK's metrics, where the process enabled them
        interceptors=tracing_interceptors(),  # empty unless tracing is configured
    )

"""Configuration from the environment, so one worker runs on the dev server, a cluster or Cloud."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TASK_QUEUE = "hotline-cases"


@dataclass(frozen=True)
class TemporalSettings:
    address: str = "127.0.0.1:7233"
    namespace: str = "default"
    task_queue: str = DEFAULT_TASK_QUEUE
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_ca: Path | None = None
    tls_server_name: str | None = None
    api_key: str | None = None

    @property
    def heavy_task_queue(self) -> str:
        """The queue of heavy work (history archive): always `<task_queue>-heavy`, derived the
        same way by the case workflow (`workflows.archive.heavy_task_queue`)."""
        return f"{self.task_queue}-heavy"

    @property
    def tls(self) -> bool:
        return bool(self.tls_cert or self.tls_ca or self.api_key)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> TemporalSettings:
        env = dict(os.environ if environ is None else environ)

        def path(name: str) -> Path | None:
            value = env.get(name)
            if not value:
                return None
            found = Path(value)
            if not found.is_file():
                raise ValueError(f"{name}: no such file: {found.name}")
            return found

        return cls(
            address=env.get("TEMPORAL_ADDRESS", cls.address),
            namespace=env.get("TEMPORAL_NAMESPACE", cls.namespace),
            task_queue=env.get("HOTLINE_TASK_QUEUE", cls.task_queue),
            tls_cert=path("TEMPORAL_TLS_CERT"),
            tls_key=path("TEMPORAL_TLS_KEY"),
            tls_ca=path("TEMPORAL_TLS_CA"),
            tls_server_name=env.get("TEMPORAL_TLS_SERVER_NAME") or None,
            api_key=env.get("TEMPORAL_API_KEY") or None,
        )

"""Where the worker process serves `/metrics`, `/healthz` and `/readyz`.

`HOTLINE_WORKER_HTTP_HOST` (default 127.0.0.1) and `HOTLINE_WORKER_HTTP_PORT` (default 9100;
`0` or `off` turns the endpoint off).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_PORT = 9100
PORT_ENV = "HOTLINE_WORKER_HTTP_PORT"


@dataclass(frozen=True)
class WorkerHttpSettings:
    host: str = "127.0.0.1"
    port: int | None = DEFAULT_PORT  # None: no endpoint

    @classmethod
    def from_env(cls) -> WorkerHttpSettings:
        host = os.environ.get("HOTLINE_WORKER_HTTP_HOST", "").strip() or "127.0.0.1"
        raw = os.environ.get(PORT_ENV, "").strip().lower()
        if raw in ("0", "off", "none"):
            return cls(host=host, port=None)
        if not raw:
            return cls(host=host, port=DEFAULT_PORT)
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            raise ValueError(f"{PORT_ENV} must be a port number (1-65535) or 0/off, not {raw!r}")
        return cls(host=host, port=int(raw))

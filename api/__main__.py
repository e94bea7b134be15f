"""`python -m api` / `hotline api`: the HTTP API alone, against Temporal and the database of the
environment (TEMPORAL_ADDRESS, DATABASE_URL, HOTLINE_API_HOST, HOTLINE_API_PORT, ...)."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from api.server import ApiSettings
from observability.logs import configure_logging
from observability.sdk_runtime import enable_sdk_metrics
from observability.tracing import configure_tracing

API_SERVICE = "hotline-api"


def main() -> None:
    configure_logging(API_SERVICE)
    configure_tracing(API_SERVICE)
    enable_sdk_metrics()
    settings = ApiSettings.from_env()
    # log_config=None: uvicorn's own records go through the hotline's handler (JSON, redacted).
    uvicorn.run(
        create_app(),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        log_config=None,
    )


if __name__ == "__main__":
    main()

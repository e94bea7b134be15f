"""`python -m api` / `hotline api`: the HTTP API alone, against Temporal and the database of the
environment (TEMPORAL_ADDRESS, DATABASE_URL, HOTLINE_API_HOST, HOTLINE_API_PORT, ...)."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from api.server import ApiSettings


def main() -> None:
    settings = ApiSettings.from_env()
    uvicorn.run(create_app(), host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()

"""The one settings object: every environment variable the hotline reads, read in one place.

`Settings.from_env()` is called at the edge of a process (the CLI command, the worker start, the
API app factory, the dev stack, test fixtures) and the values are passed down as plain
parameters; nothing below reads the environment itself.

| variable | what | default |
|---|---|---|
| `DATABASE_URL` | the application database (PostgreSQL or SQLite) | `.hotline/hotline.db` |
| `TEMPORAL_ADDRESS` | the Temporal frontend | `127.0.0.1:7233` |
| `TEMPORAL_NAMESPACE` | the namespace | `default` |
| `HOTLINE_TASK_QUEUE` | the task queue of the worker | `hotline-cases` |
| `TEMPORAL_TLS_CERT`, `TEMPORAL_TLS_KEY`, `TEMPORAL_TLS_CA` | mTLS files (must exist) | none |
| `TEMPORAL_TLS_SERVER_NAME` | the TLS server name | none |
| `TEMPORAL_API_KEY` | an API key (Temporal Cloud) | none |
| `HOTLINE_CODEC_KEYS_FILE` | the codec's key ring (must exist) | `.hotline/codec-keys.json` |
| `HOTLINE_HOLIDAYS_DIR` | an extra directory of holiday data files (must exist) | none |
| `HOTLINE_TELEPHONY_RULES` | the centre's call direction rules (must exist) | shipped rules |
| `HOTLINE_CALLER_HASH_KEY` | the key of the callers' keyed number hash | none: no hash stored |
| `HOTLINE_CODEC_CORS_ORIGINS` | origins that may call `/codec/*` (a, b, …) | the `make run` UI |
| `HOTLINE_API_HOST`, `HOTLINE_API_PORT` | where the API listens | `127.0.0.1`, `8000` |
| `HOTLINE_DEV_CONFIG` | the dev stack's `temporal-dev.yml` | the nearest one upwards |
| `HOTLINE_NOTICE_*`, `_SMS_*`, `_SMTP_*`, `_ALIYUN_*` | notices: `settings/notices.py` | a file |

The default key ring is created on first use. An empty value counts as unset, except for
`HOTLINE_CODEC_CORS_ORIGINS` (empty: no origin) and the API's host and port (used as given).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from settings.temporal import TemporalSettings

DATABASE_URL_ENV: Final[str] = "DATABASE_URL"
KEYS_FILE_ENV: Final[str] = "HOTLINE_CODEC_KEYS_FILE"
HOLIDAYS_DIR_ENV: Final[str] = "HOTLINE_HOLIDAYS_DIR"
TELEPHONY_RULES_ENV: Final[str] = "HOTLINE_TELEPHONY_RULES"
CALLER_KEY_ENV: Final[str] = "HOTLINE_CALLER_HASH_KEY"
CORS_ORIGINS_ENV: Final[str] = "HOTLINE_CODEC_CORS_ORIGINS"
API_HOST_ENV: Final[str] = "HOTLINE_API_HOST"
API_PORT_ENV: Final[str] = "HOTLINE_API_PORT"
DEV_CONFIG_ENV: Final[str] = "HOTLINE_DEV_CONFIG"


@dataclass(frozen=True)
class Settings:
    """The hotline's configuration (see the table in the module docstring)."""

    database_url: str | None = None
    temporal: TemporalSettings = field(default_factory=TemporalSettings)
    codec_keys_file: Path | None = None
    holidays_dir: Path | None = None
    telephony_rules: Path | None = None
    caller_hash_key: bytes | None = field(default=None, repr=False)  # never logged
    codec_cors_origins: tuple[str, ...] | None = None
    api_host: str | None = None
    api_port: int | None = None
    dev_config: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of `environ` (default: this process's environment), read now."""
        env = dict(os.environ if environ is None else environ)

        def path(name: str, *, strip: bool = False) -> Path | None:
            value = env.get(name, "")
            value = value.strip() if strip else value
            return Path(value) if value else None

        origins = env.get(CORS_ORIGINS_ENV)
        port = env.get(API_PORT_ENV)
        caller_key = env.get(CALLER_KEY_ENV, "")
        return cls(
            database_url=env.get(DATABASE_URL_ENV) or None,
            temporal=TemporalSettings.from_env(env),
            codec_keys_file=path(KEYS_FILE_ENV),
            holidays_dir=path(HOLIDAYS_DIR_ENV, strip=True),
            telephony_rules=path(TELEPHONY_RULES_ENV, strip=True),
            caller_hash_key=caller_key.encode("utf-8") if caller_key else None,
            codec_cors_origins=(
                None
                if origins is None
                else tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip())
            ),
            api_host=env.get(API_HOST_ENV),
            api_port=int(port) if port is not None else None,
            dev_config=path(DEV_CONFIG_ENV),
        )

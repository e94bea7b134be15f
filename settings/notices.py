"""Where notices go and how they are retried: every `HOTLINE_NOTICE_*`, `HOTLINE_SMS_*`,
`HOTLINE_ALIYUN_*` and `HOTLINE_SMTP_*` variable, read in one place.

| variable | what | default |
|---|---|---|
| `HOTLINE_NOTICE_FILE` | the file channel: one JSON line per notice, phone masked | `.hotline/notices-sent.jsonl` |
| `HOTLINE_SMS_PROVIDER` | citizen SMS through `gateway`, `aliyun` or `file` | `gateway` with a URL, else `file` |
| `HOTLINE_SMS_WEBHOOK_URL`, `HOTLINE_SMS_WEBHOOK_SECRET` | the centre's HTTP SMS gateway, its HMAC secret | none |
| `HOTLINE_ALIYUN_ACCESS_KEY_ID`, `_SECRET`, `_SIGN_NAME`, `_TEMPLATE_CODE`, `_ENDPOINT` | Alibaba Cloud SMS | endpoint `dysmsapi.aliyuncs.com` |
| `HOTLINE_SMS_SIGNATURE` | the signature at the front of every SMS | `【贵阳12345】` |
| `HOTLINE_SMS_DAILY_CAP` | SMS per number per Beijing day | `5` |
| `HOTLINE_SMTP_HOST`, `_PORT`, `_USERNAME`, `_PASSWORD`, `_STARTTLS`, `_FROM` | the SMTP server of e-mail notices | port `587`, STARTTLS on |
| `HOTLINE_NOTICE_ROUTES` | a YAML file: each recipient's channel (below) | everything to the file |
| `HOTLINE_NOTICE_MAX_ATTEMPTS` | attempts before a notice is dead-lettered | `8` |
| `HOTLINE_NOTICE_MAX_AGE_HOURS` | a notice older than this is dead-lettered, not sent | `72` |
| `HOTLINE_NOTICE_RETRY_SECONDS` | the first retry's wait (then doubling) | `5` |
| `HOTLINE_NOTICE_RETRY_MAX_SECONDS` | the longest wait between attempts | `600` |
| `HOTLINE_NOTICE_SEND_TIMEOUT_SECONDS` | one attempt's limit (a dead worker's attempt is retried after it) | `60` |
| `HOTLINE_NOTICE_POLL_SECONDS` | how often each worker looks for new notices | `2` |

The routes file maps a recipient (a department id, `centre`, or `default` for every other) to a
channel and its address:

    default:   {channel: file}
    centre:    {channel: email, address: duban@12345.example.cn}
    gy-market: {channel: webhook, url: "https://market.example.cn/hotline", secret_env: GY_MARKET_SECRET}
    gy-water:  {channel: sms_gateway, phone: "13800001111"}

`secret` may be given inline or, better, by `secret_env` (the name of a variable holding it).
A bad value raises ValueError naming the variable; an empty value counts as unset.
"""  # noqa: E501

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import yaml

NOTICE_FILE_ENV: Final = "HOTLINE_NOTICE_FILE"
SMS_PROVIDER_ENV: Final = "HOTLINE_SMS_PROVIDER"
SMS_URL_ENV: Final = "HOTLINE_SMS_WEBHOOK_URL"
SMS_SECRET_ENV: Final = "HOTLINE_SMS_WEBHOOK_SECRET"
SIGNATURE_ENV: Final = "HOTLINE_SMS_SIGNATURE"
DAILY_CAP_ENV: Final = "HOTLINE_SMS_DAILY_CAP"
ROUTES_ENV: Final = "HOTLINE_NOTICE_ROUTES"
MAX_ATTEMPTS_ENV: Final = "HOTLINE_NOTICE_MAX_ATTEMPTS"
MAX_AGE_ENV: Final = "HOTLINE_NOTICE_MAX_AGE_HOURS"
RETRY_ENV: Final = "HOTLINE_NOTICE_RETRY_SECONDS"
RETRY_MAX_ENV: Final = "HOTLINE_NOTICE_RETRY_MAX_SECONDS"
SEND_TIMEOUT_ENV: Final = "HOTLINE_NOTICE_SEND_TIMEOUT_SECONDS"
POLL_ENV: Final = "HOTLINE_NOTICE_POLL_SECONDS"
ALIYUN_PREFIX: Final = "HOTLINE_ALIYUN_"
SMTP_PREFIX: Final = "HOTLINE_SMTP_"

DEFAULT_NOTICE_FILE: Final = Path(".hotline/notices-sent.jsonl")
DEFAULT_SIGNATURE: Final = "【贵阳12345】"
DEFAULT_ALIYUN_ENDPOINT: Final = "dysmsapi.aliyuncs.com"
SMS_PROVIDERS: Final = ("gateway", "aliyun", "file")
ROUTE_CHANNELS: Final = ("email", "webhook", "sms_gateway", "file")
DEFAULT_ROUTE: Final = "default"


@dataclass(frozen=True)
class Route:
    """One recipient's channel: `address` for e-mail, `url` and `secret` for a webhook,
    `phone` (the liaison's) for SMS."""

    channel: str
    address: str | None = None
    url: str | None = None
    secret: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    sender: str = ""


@dataclass(frozen=True)
class AliyunSettings:
    access_key_id: str
    access_key_secret: str = field(repr=False)
    sign_name: str
    template_code: str
    endpoint: str = DEFAULT_ALIYUN_ENDPOINT


@dataclass(frozen=True)
class NoticeSettings:
    """Where each notice goes and how its delivery is retried (see the module docstring)."""

    notice_file: Path = DEFAULT_NOTICE_FILE
    sms_provider: str = "file"
    sms_webhook_url: str | None = None
    sms_webhook_secret: str | None = field(default=None, repr=False)
    aliyun: AliyunSettings | None = None
    signature: str = DEFAULT_SIGNATURE
    daily_cap: int = 5
    smtp: SmtpSettings | None = None
    routes: Mapping[str, Route] = field(default_factory=dict)
    max_attempts: int = 8
    max_age: timedelta = timedelta(hours=72)
    retry_initial: timedelta = timedelta(seconds=5)
    retry_max: timedelta = timedelta(minutes=10)
    send_timeout: timedelta = timedelta(seconds=60)
    poll_interval: timedelta = timedelta(seconds=2)

    def route(self, recipient: str) -> Route:
        """The route of a department id or `centre`: its own, else `default`, else the file."""
        return self.routes.get(recipient) or self.routes.get(DEFAULT_ROUTE) or Route("file")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NoticeSettings:
        """The notice settings of `environ` (default: this process's environment)."""
        env = {k: v for k, v in (os.environ if environ is None else environ).items() if v}
        url = env.get(SMS_URL_ENV)
        provider = env.get(SMS_PROVIDER_ENV, "gateway" if url else "file").strip().lower()
        if provider not in SMS_PROVIDERS:
            raise ValueError(f"{SMS_PROVIDER_ENV} must be one of {', '.join(SMS_PROVIDERS)}")
        if provider == "gateway" and not url:
            raise ValueError(f"{SMS_PROVIDER_ENV}=gateway needs {SMS_URL_ENV}")
        if url:
            _http_url(SMS_URL_ENV, url)
        aliyun = _aliyun(env)
        if provider == "aliyun" and aliyun is None:
            raise ValueError(
                f"{SMS_PROVIDER_ENV}=aliyun needs {ALIYUN_PREFIX}ACCESS_KEY_ID, "
                f"{ALIYUN_PREFIX}ACCESS_KEY_SECRET, {ALIYUN_PREFIX}SIGN_NAME and "
                f"{ALIYUN_PREFIX}TEMPLATE_CODE"
            )
        settings = cls(
            notice_file=Path(env.get(NOTICE_FILE_ENV, str(DEFAULT_NOTICE_FILE))),
            sms_provider=provider,
            sms_webhook_url=url,
            sms_webhook_secret=env.get(SMS_SECRET_ENV),
            aliyun=aliyun,
            signature=env.get(SIGNATURE_ENV, DEFAULT_SIGNATURE).strip(),
            daily_cap=_integer(env, DAILY_CAP_ENV, 5, minimum=1),
            smtp=_smtp(env),
            routes=_routes(env),
            max_attempts=_integer(env, MAX_ATTEMPTS_ENV, 8, minimum=1),
            max_age=timedelta(hours=_number(env, MAX_AGE_ENV, 72)),
            retry_initial=timedelta(seconds=_number(env, RETRY_ENV, 5)),
            retry_max=timedelta(seconds=_number(env, RETRY_MAX_ENV, 600)),
            send_timeout=timedelta(seconds=_number(env, SEND_TIMEOUT_ENV, 60)),
            poll_interval=timedelta(seconds=_number(env, POLL_ENV, 2)),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """ValueError naming the setting if the routes need a channel that is not configured."""
        for recipient, route in self.routes.items():
            where = f"{ROUTES_ENV}: {recipient}"
            if route.channel == "email" and self.smtp is None:
                raise ValueError(f"{where} uses e-mail, which needs {SMTP_PREFIX}HOST and _FROM")
            if route.channel == "sms_gateway" and not self.sms_webhook_url:
                raise ValueError(f"{where} uses sms_gateway, which needs {SMS_URL_ENV}")
        if self.retry_max < self.retry_initial:
            raise ValueError(f"{RETRY_MAX_ENV} must not be below {RETRY_ENV}")


def _integer(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"{name} must be a whole number") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}")
    return value


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError(f"{name} must be a number") from None
    if not value > 0:
        raise ValueError(f"{name} must be more than 0")
    return value


def _http_url(name: str, value: str) -> str:
    scheme, _, rest = value.partition("://")
    if scheme not in ("http", "https") or not rest.strip("/"):
        raise ValueError(f"{name} must be an http:// or https:// URL")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false")


def _aliyun(env: Mapping[str, str]) -> AliyunSettings | None:
    names = ("ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "SIGN_NAME", "TEMPLATE_CODE")
    values = [env.get(ALIYUN_PREFIX + name) for name in names]
    if not any(values):
        return None
    missing = [ALIYUN_PREFIX + name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise ValueError(f"Alibaba Cloud SMS is half configured: {', '.join(missing)} missing")
    key_id, secret, sign_name, template = (v or "" for v in values)
    endpoint = env.get(ALIYUN_PREFIX + "ENDPOINT", DEFAULT_ALIYUN_ENDPOINT)
    return AliyunSettings(key_id, secret, sign_name, template, endpoint)


def _smtp(env: Mapping[str, str]) -> SmtpSettings | None:
    host = env.get(SMTP_PREFIX + "HOST")
    if host is None:
        return None
    sender = env.get(SMTP_PREFIX + "FROM")
    if not sender or "@" not in sender:
        raise ValueError(f"{SMTP_PREFIX}FROM must be the sender's e-mail address")
    port = _integer(env, SMTP_PREFIX + "PORT", 587, minimum=1)
    if port > 65535:
        raise ValueError(f"{SMTP_PREFIX}PORT must be a port number")
    return SmtpSettings(
        host=host.strip(),
        port=port,
        username=env.get(SMTP_PREFIX + "USERNAME"),
        password=env.get(SMTP_PREFIX + "PASSWORD"),
        starttls=_flag(env, SMTP_PREFIX + "STARTTLS", True),
        sender=sender.strip(),
    )


def _routes(env: Mapping[str, str]) -> dict[str, Route]:
    name = env.get(ROUTES_ENV)
    if name is None:
        return {}
    path = Path(name)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError:
        raise ValueError(f"{ROUTES_ENV}: cannot read {path.name}") from None
    except yaml.YAMLError:
        raise ValueError(f"{ROUTES_ENV}: {path.name} is not valid YAML") from None
    if isinstance(raw, dict) and isinstance(raw.get("routes"), dict):
        raw = raw["routes"]
    if not isinstance(raw, dict):
        raise ValueError(f"{ROUTES_ENV}: {path.name} must map recipients to their channels")
    return {str(recipient): _route(env, str(recipient), entry) for recipient, entry in raw.items()}


def _route(env: Mapping[str, str], recipient: str, entry: Any) -> Route:
    where = f"{ROUTES_ENV}: {recipient}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a mapping with a channel")
    channel = str(entry.get("channel", "")).strip()
    if channel not in ROUTE_CHANNELS:
        raise ValueError(f"{where}: channel must be one of {', '.join(ROUTE_CHANNELS)}")
    unknown = set(entry) - {"channel", "address", "url", "secret", "secret_env", "phone"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(sorted(map(str, unknown)))}")

    def text(key: str) -> str | None:
        value = entry.get(key)
        return str(value).strip() or None if value is not None else None

    secret = text("secret")
    secret_env = text("secret_env")
    if secret_env is not None:
        secret = env.get(secret_env)
        if not secret:
            raise ValueError(f"{where}: the variable {secret_env} named by secret_env is unset")
    route = Route(channel, text("address"), text("url"), secret, text("phone"))
    if channel == "email" and (route.address is None or "@" not in route.address):
        raise ValueError(f"{where}: an e-mail route needs an address")
    if channel == "webhook":
        if route.url is None:
            raise ValueError(f"{where}: a webhook route needs a url")
        _http_url(where + ": url", route.url)
        if not route.secret:
            raise ValueError(f"{where}: a webhook route needs a secret (or secret_env)")
    if channel == "sms_gateway" and route.phone is None:
        raise ValueError(f"{where}: an sms_gateway route needs the liaison's phone")
    return route

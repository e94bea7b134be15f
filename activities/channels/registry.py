"""Which channel an outbox row goes by, built from `settings.notices.NoticeSettings`.

A citizen SMS (`channel` "sms", the recipient its phone) goes by the SMS provider: the centre's
HTTP gateway, Alibaba Cloud SMS, or the notice file. A department or centre notice
(`channel` "internal") goes by its recipient's route (`HOTLINE_NOTICE_ROUTES`): e-mail, the
department's webhook, SMS to its liaison, or the notice file. Without any setting everything
goes to the notice file. Channels are built once per route and reused.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from activities.channels.base import Channel
from activities.channels.file import FileChannel
from activities.channels.sms_gateway import SmsGateway
from models.delivery import ChannelKind
from models.errors import ConfigurationError
from settings.notices import NoticeSettings, Route

CITIZEN_ROUTE = "sms"
"""`notifications.channel` of a citizen SMS (the recipient is the phone number)."""


@dataclass(frozen=True)
class Destination:
    """Where one row goes: the channel, its address (`to`), and whether the text is an SMS
    (signed, and a phone number that is masked anywhere but toward the channel)."""

    channel: Channel
    to: str
    sms: bool

    @property
    def kind(self) -> ChannelKind:
        return self.channel.kind


def load_notice_settings(environ: Mapping[str, str] | None = None) -> NoticeSettings:
    """`NoticeSettings.from_env`, its ValueError as the ConfigurationError naming the variable."""
    try:
        return NoticeSettings.from_env(environ)
    except ValueError as err:
        raise ConfigurationError(str(err)) from None


class ChannelRegistry:
    """Builds (once) and hands out the channel of each row."""

    def __init__(self, settings: NoticeSettings) -> None:
        self.settings = settings
        self._channels: dict[tuple[str, ...], Channel] = {}
        self._lock = threading.Lock()

    def destination(self, route: str, recipient: str) -> Destination:
        """The destination of a row by its `channel` ("sms"/"internal") and `recipient`."""
        if route == CITIZEN_ROUTE:
            return Destination(self._sms(), recipient, sms=True)
        chosen = self.settings.route(recipient)
        if chosen.channel == "email":
            return Destination(self._email(chosen), chosen.address or "", sms=False)
        if chosen.channel == "webhook":
            return Destination(self._webhook(chosen), chosen.url or "", sms=False)
        if chosen.channel == "sms_gateway":
            return Destination(self._gateway(), chosen.phone or "", sms=True)
        return Destination(self._file("file", phone=False), recipient, sms=False)

    def _cached(self, key: tuple[str, ...]) -> Channel | None:
        return self._channels.get(key)

    def _keep(self, key: tuple[str, ...], channel: Channel) -> Channel:
        with self._lock:
            return self._channels.setdefault(key, channel)

    def _sms(self) -> Channel:
        provider = self.settings.sms_provider
        if provider == "gateway":
            return self._gateway()
        if provider == "aliyun":
            found = self._cached(("aliyun",))
            if found is not None:
                return found
            from activities.channels.aliyun_sms import AliyunSms

            aliyun = self.settings.aliyun
            if aliyun is None:
                raise ConfigurationError("HOTLINE_SMS_PROVIDER=aliyun needs HOTLINE_ALIYUN_*")
            channel = AliyunSms(
                aliyun.access_key_id,
                aliyun.access_key_secret,
                aliyun.sign_name,
                aliyun.template_code,
                aliyun.endpoint,
            )
            return self._keep(("aliyun",), channel)
        return self._file("sms", phone=True)

    def _gateway(self) -> Channel:
        found = self._cached(("gateway",))
        if found is not None:
            return found
        url = self.settings.sms_webhook_url
        if not url:
            raise ConfigurationError("an SMS through the gateway needs HOTLINE_SMS_WEBHOOK_URL")
        return self._keep(("gateway",), SmsGateway(url, self.settings.sms_webhook_secret))

    def _email(self, route: Route) -> Channel:
        key = ("email", route.address or "")
        found = self._cached(key)
        if found is not None:
            return found
        from activities.channels.email import EmailChannel

        smtp = self.settings.smtp
        if smtp is None:
            raise ConfigurationError(
                "an e-mail route needs HOTLINE_SMTP_HOST and HOTLINE_SMTP_FROM"
            )
        channel = EmailChannel(
            smtp.host,
            smtp.port,
            smtp.username,
            smtp.password,
            smtp.starttls,
            smtp.sender,
            route.address,
        )
        return self._keep(key, channel)

    def _webhook(self, route: Route) -> Channel:
        key = ("webhook", route.url or "")
        found = self._cached(key)
        if found is not None:
            return found
        from activities.channels.webhook import WebhookChannel

        return self._keep(key, WebhookChannel(route.url or "", route.secret or ""))

    def _file(self, route: str, *, phone: bool) -> Channel:
        key = ("file", route)
        found = self._cached(key)
        if found is not None:
            return found
        return self._keep(key, FileChannel(self.settings.notice_file, route=route, phone=phone))


def _endpoint(url: str) -> str:
    """scheme://host[:port]/path of a URL, without credentials, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _route_target(route: Route, settings: NoticeSettings) -> str:
    if route.channel == "email" and settings.smtp is not None:
        return f"e-mail via SMTP {settings.smtp.host}:{settings.smtp.port}"
    if route.channel == "webhook" and route.url:
        return f"webhook {_endpoint(route.url)} (signed)"
    if route.channel == "sms_gateway" and settings.sms_webhook_url:
        return f"SMS to the liaison via {_endpoint(settings.sms_webhook_url)}"
    return f"file {settings.notice_file} (what would be sent, phones masked)"


def notice_destinations(settings: NoticeSettings) -> list[str]:
    """Where each kind of notice goes, one line each: a file, a gateway URL, an SMTP host;
    never a secret, a phone number or an address."""
    if settings.sms_provider == "gateway" and settings.sms_webhook_url:
        sms = f"SMS gateway {_endpoint(settings.sms_webhook_url)}"
        if settings.sms_webhook_secret:
            sms += " (HMAC-signed)"
    elif settings.sms_provider == "aliyun" and settings.aliyun is not None:
        sms = f"Alibaba Cloud SMS {settings.aliyun.endpoint}"
    else:
        sms = f"file {settings.notice_file} (what would be sent, phones masked)"
    lines = [f"citizen SMS   {sms}"]
    routes = dict(settings.routes)
    default = routes.pop("default", None) or Route("file")
    lines.append(f"departments   {_route_target(default, settings)}")
    lines.extend(
        f"  {recipient:<11} {_route_target(route, settings)}"
        for recipient, route in sorted(routes.items())
    )
    inbound = "signed by HOTLINE_SMS_WEBHOOK_SECRET"
    if not settings.sms_webhook_secret:
        inbound = "refused until HOTLINE_SMS_WEBHOOK_SECRET is set"
    lines.append(f"replies (退订) POST /sms/inbound, {inbound}")
    return lines

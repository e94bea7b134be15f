"""The notice settings from the environment: defaults to the file, the gateway and its secret,
the routes file, and a clear error naming the variable for a bad value."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from activities.channels.file import FileChannel
from activities.channels.registry import ChannelRegistry, load_notice_settings, notice_destinations
from activities.channels.sms_gateway import SmsGateway
from models.delivery import ChannelKind
from models.errors import ConfigurationError
from settings.notices import NoticeSettings

URL = "http://127.0.0.1:9/sms"


def test_without_settings_everything_goes_to_the_file() -> None:
    settings = NoticeSettings.from_env({})
    assert settings.sms_provider == "file"
    assert settings.notice_file == Path(".hotline/notices-sent.jsonl")
    assert (settings.daily_cap, settings.max_attempts) == (5, 8)
    assert settings.max_age == timedelta(hours=72)
    assert settings.signature == "【贵阳12345】"
    registry = ChannelRegistry(settings)
    citizen = registry.destination("sms", "13900001111")
    department = registry.destination("internal", "gy-market")
    assert isinstance(citizen.channel, FileChannel) and citizen.sms
    assert isinstance(department.channel, FileChannel) and not department.sms
    assert "notices-sent.jsonl" in "\n".join(notice_destinations(settings))


def test_a_gateway_url_sends_citizen_sms_through_it() -> None:
    settings = NoticeSettings.from_env(
        {
            "HOTLINE_SMS_WEBHOOK_URL": URL,
            "HOTLINE_SMS_WEBHOOK_SECRET": "s3cret",
            "HOTLINE_SMS_DAILY_CAP": "3",
            "HOTLINE_NOTICE_MAX_ATTEMPTS": "4",
            "HOTLINE_NOTICE_MAX_AGE_HOURS": "24",
            "HOTLINE_SMS_SIGNATURE": "【某市12345】",
        }
    )
    assert settings.sms_provider == "gateway"
    assert (settings.daily_cap, settings.max_attempts) == (3, 4)
    assert settings.max_age == timedelta(hours=24)
    citizen = ChannelRegistry(settings).destination("sms", "13900001111")
    assert isinstance(citizen.channel, SmsGateway)
    assert citizen.kind is ChannelKind.SMS_GATEWAY and citizen.to == "13900001111"
    lines = "\n".join(notice_destinations(settings))
    assert "SMS gateway" in lines and "s3cret" not in lines
    assert "s3cret" not in repr(settings)


def test_routes_choose_each_recipients_channel(tmp_path: Path) -> None:
    routes = tmp_path / "routes.yml"
    routes.write_text(
        "default: {channel: file}\n"
        "centre: {channel: email, address: duban@example.cn}\n"
        "gy-market: {channel: webhook, url: 'https://market.example.cn/in', secret_env: MK}\n"
        "gy-water: {channel: sms_gateway, phone: '13800001111'}\n",
        encoding="utf-8",
    )
    settings = NoticeSettings.from_env(
        {
            "HOTLINE_NOTICE_ROUTES": str(routes),
            "MK": "market-secret",
            "HOTLINE_SMS_WEBHOOK_URL": URL,
            "HOTLINE_SMTP_HOST": "127.0.0.1",
            "HOTLINE_SMTP_PORT": "2525",
            "HOTLINE_SMTP_STARTTLS": "false",
            "HOTLINE_SMTP_FROM": "hotline@example.cn",
        }
    )
    registry = ChannelRegistry(settings)
    assert registry.destination("internal", "centre").kind is ChannelKind.EMAIL
    webhook = registry.destination("internal", "gy-market")
    assert webhook.kind is ChannelKind.WEBHOOK
    assert settings.route("gy-market").secret == "market-secret"
    liaison = registry.destination("internal", "gy-water")
    assert liaison.kind is ChannelKind.SMS_GATEWAY and liaison.sms
    assert liaison.to == "13800001111"
    assert registry.destination("internal", "gy-other").kind is ChannelKind.FILE
    assert settings.smtp is not None and settings.smtp.port == 2525
    assert settings.smtp.starttls is False


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"HOTLINE_SMS_DAILY_CAP": "five"}, "HOTLINE_SMS_DAILY_CAP"),
        ({"HOTLINE_NOTICE_MAX_ATTEMPTS": "0"}, "HOTLINE_NOTICE_MAX_ATTEMPTS"),
        ({"HOTLINE_NOTICE_MAX_AGE_HOURS": "-1"}, "HOTLINE_NOTICE_MAX_AGE_HOURS"),
        ({"HOTLINE_SMS_PROVIDER": "carrier-pigeon"}, "HOTLINE_SMS_PROVIDER"),
        ({"HOTLINE_SMS_PROVIDER": "gateway"}, "HOTLINE_SMS_WEBHOOK_URL"),
        ({"HOTLINE_SMS_WEBHOOK_URL": "ftp://gw"}, "HOTLINE_SMS_WEBHOOK_URL"),
        ({"HOTLINE_SMS_PROVIDER": "aliyun"}, "HOTLINE_ALIYUN_ACCESS_KEY_ID"),
        ({"HOTLINE_ALIYUN_ACCESS_KEY_ID": "id"}, "HOTLINE_ALIYUN_ACCESS_KEY_SECRET"),
        ({"HOTLINE_SMTP_HOST": "mail"}, "HOTLINE_SMTP_FROM"),
        ({"HOTLINE_NOTICE_ROUTES": "/nonexistent/routes.yml"}, "HOTLINE_NOTICE_ROUTES"),
    ],
)
def test_a_bad_value_names_its_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        load_notice_settings(environ)


@pytest.mark.parametrize(
    ("routes", "named"),
    [
        ("gy-market: {channel: fax}", "gy-market: channel must be one of"),
        ("gy-market: {channel: webhook, url: 'https://x.cn/in'}", "needs a secret"),
        ("gy-market: {channel: webhook, url: 'https://x.cn', secret_env: NOPE}", "NOPE"),
        ("centre: {channel: email, address: duban@example.cn}", "HOTLINE_SMTP_HOST"),
        ("gy-water: {channel: sms_gateway}", "liaison's phone"),
        ("- just a list", "must map recipients"),
    ],
)
def test_a_bad_route_names_the_recipient(tmp_path: Path, routes: str, named: str) -> None:
    path = tmp_path / "routes.yml"
    path.write_text(routes + "\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="HOTLINE_NOTICE_ROUTES") as raised:
        load_notice_settings({"HOTLINE_NOTICE_ROUTES": str(path)})
    assert named in str(raised.value)

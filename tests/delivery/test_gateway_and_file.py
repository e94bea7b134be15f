"""The SMS gateway channel against a real local gateway, and the notice file: the request's
JSON and signature, which answers are retried, and no phone number in any error or file line."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from activities.channels.base import ChannelError
from activities.channels.file import FileChannel
from activities.channels.sms_gateway import SmsGateway
from models.delivery import OutgoingNotice
from security.webhook_signature import verify
from tests.delivery.gateway import Gateway, running_gateway
from tests.delivery.support import new_phone


def notice(phone: str) -> OutgoingNotice:
    return OutgoingNotice(
        notice_id=1,
        key="a" * 32,
        case_no="GY20261128-000123",
        template="sms_received",
        recipient="citizen",
        to=phone,
        subject="工单受理通知",
        text="【贵阳12345】您的工单号是GY20261128-000123",
    )


@pytest.fixture
def local_gateway() -> Iterator[Gateway]:
    with running_gateway() as found:
        yield found


def test_the_gateway_gets_id_to_and_text_signed(local_gateway: Gateway) -> None:
    phone = new_phone()
    receipt = SmsGateway(local_gateway.url, "s3cret").send(notice(phone))
    [got] = local_gateway.to(phone)
    assert got.body == {"id": "a" * 32, "to": phone, "text": notice(phone).text}
    assert got.headers["Content-Type"].startswith("application/json")
    assert verify(
        "s3cret",
        got.headers["X-Hotline-Timestamp"],
        got.raw,
        got.headers["X-Hotline-Signature"],
        datetime.now(UTC),
    )
    assert receipt.provider_id and receipt.provider_id.startswith("gw-")


def test_without_a_secret_there_is_no_signature(local_gateway: Gateway) -> None:
    phone = new_phone()
    SmsGateway(local_gateway.url).send(notice(phone))
    [got] = local_gateway.to(phone)
    assert "X-Hotline-Signature" not in got.headers
    assert "X-Hotline-Timestamp" in got.headers


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(500, True), (503, True), (429, True), (400, False), (401, False), (404, False)],
)
def test_which_answers_are_retried(local_gateway: Gateway, status: int, retryable: bool) -> None:
    phone = new_phone()
    local_gateway.script(phone, status)
    with pytest.raises(ChannelError) as raised:
        SmsGateway(local_gateway.url, "s3cret").send(notice(phone))
    assert raised.value.retryable is retryable
    assert str(raised.value) == f"SMS gateway answered HTTP {status}"


def test_a_refused_connection_is_retried_and_names_no_host() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    phone = new_phone()
    with pytest.raises(ChannelError) as raised:
        SmsGateway(f"http://127.0.0.1:{port}/sms", timeout_s=2).send(notice(phone))
    assert raised.value.retryable
    assert "127.0.0.1" not in str(raised.value) and phone not in str(raised.value)


def test_the_file_shows_what_would_be_sent_with_the_phone_masked(tmp_path: Path) -> None:
    path = tmp_path / "out" / "notices.jsonl"
    phone = new_phone()
    FileChannel(path, route="sms", phone=True).send(notice(phone))
    FileChannel(path).send(notice("gy-market").model_copy(update={"recipient": "gy-market"}))
    first, second = (json.loads(line) for line in path.read_text("utf-8").splitlines())
    assert first["to"] == f"{phone[:3]}****{phone[-4:]}"
    assert first["id"] == "a" * 32 and first["would_go_by"] == "sms"
    assert first["text"] == notice(phone).text
    assert phone not in path.read_text("utf-8")
    assert second["to"] == "gy-market"

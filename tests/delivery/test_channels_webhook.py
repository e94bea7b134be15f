"""The department webhook: signed JSON to a real local receiver that checks the signature with
`security.webhook_signature.verify`, as a department's system would."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from activities.channels.base import ChannelError
from activities.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookChannel
from models.delivery import OutgoingNotice
from models.errors import ConfigurationError
from security.webhook_signature import sign, verify
from tests.delivery.channel_servers import Received, http_server, refusing_port

SECRET = "shared-with-the-department"
KEY = "0123456789abcdef0123456789abcdef"


def _notice() -> OutgoingNotice:
    return OutgoingNotice(
        notice_id=11,
        key=KEY,
        case_no="GY20261128-000321",
        template="dispatch_notice",
        recipient="D-WATER",
        to="ignored-for-a-webhook",
        subject="派单通知：工单GY20261128-000321",
        text="现将以下12345诉求派至贵单位主办，请按时签收并办理答复。",
    )


def _verifying_receiver(got: Received) -> tuple[int, bytes]:
    ok = verify(
        SECRET,
        got.headers.get(TIMESTAMP_HEADER.lower(), ""),
        got.body,
        got.headers.get(SIGNATURE_HEADER.lower(), ""),
        now=time.time(),
    )
    return (204, b"") if ok else (401, b'{"error":"bad signature"}')


def test_a_notice_arrives_as_signed_json_the_receiver_verifies() -> None:
    with http_server(_verifying_receiver) as receiver:
        receipt = WebhookChannel(f"{receiver.url}/hotline/notices", SECRET).send(_notice())
    assert receipt.provider_id is None
    (got,) = receiver.received
    assert (got.method, got.path) == ("POST", "/hotline/notices")
    assert got.headers["content-type"] == "application/json; charset=utf-8"
    assert got.headers["idempotency-key"] == KEY
    body = json.loads(got.body)
    assert set(body) == {"id", "case_no", "template", "recipient", "subject", "text", "sent_at"}
    assert body["id"] == KEY
    assert body["case_no"] == "GY20261128-000321"
    assert body["recipient"] == "D-WATER"
    assert body["text"] == _notice().text
    sent_at = datetime.fromisoformat(body["sent_at"])
    assert abs(sent_at.timestamp() - int(got.headers[TIMESTAMP_HEADER.lower()])) < 1
    assert got.headers[SIGNATURE_HEADER.lower()].startswith("sha256=")


def test_a_tampered_body_or_an_old_timestamp_fails_verification() -> None:
    with http_server(_verifying_receiver) as receiver:
        WebhookChannel(receiver.url, SECRET).send(_notice())
    (got,) = receiver.received
    timestamp = got.headers[TIMESTAMP_HEADER.lower()]
    signature = got.headers[SIGNATURE_HEADER.lower()]
    now = int(timestamp)
    assert verify(SECRET, timestamp, got.body, signature, now=now)
    tampered = got.body.replace("主办".encode(), "协办".encode())
    assert tampered != got.body
    assert not verify(SECRET, timestamp, tampered, signature, now=now)
    assert not verify("another-secret", timestamp, got.body, signature, now=now)
    assert not verify(SECRET, str(now + 1), got.body, signature, now=now)  # timestamp is signed
    assert verify(SECRET, timestamp, got.body, signature, now=now + 300)
    assert not verify(SECRET, timestamp, got.body, signature, now=now + 301)
    assert not verify(SECRET, timestamp, got.body, signature, now=now - 301)  # from the future
    assert not verify(SECRET, "yesterday", got.body, signature, now=now)


def test_verify_takes_an_aware_datetime_as_now() -> None:
    body = b'{"id":"x"}'
    at = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    signature = sign(SECRET, int(at.timestamp()), body)
    assert verify(SECRET, int(at.timestamp()), body, signature, now=at + timedelta(seconds=60))
    assert not verify(SECRET, int(at.timestamp()), body, signature, now=at + timedelta(hours=1))


def test_a_stale_send_is_refused_by_the_receiver_and_not_retried() -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    with http_server(_verifying_receiver) as receiver:
        channel = WebhookChannel(receiver.url, SECRET, clock=lambda: long_ago)
        with pytest.raises(ChannelError) as refused:
            channel.send(_notice())
    assert refused.value.retryable is False
    assert "401" in str(refused.value)


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(500, True), (503, True), (429, True), (408, True), (400, False), (404, False), (302, False)],
)
def test_the_receivers_status_decides_whether_to_retry(status: int, retryable: bool) -> None:
    answering = http_server(lambda got: (status, b"{}"))
    with answering as receiver, pytest.raises(ChannelError) as failed:
        WebhookChannel(receiver.url, SECRET).send(_notice())
    assert failed.value.retryable is retryable
    assert str(status) in str(failed.value)
    assert "派单" not in str(failed.value)
    assert len(receiver.received) == 1  # a redirect is not followed


def test_an_unreachable_receiver_is_retryable() -> None:
    with refusing_port() as port, pytest.raises(ChannelError) as failed:
        WebhookChannel(f"http://127.0.0.1:{port}/", SECRET).send(_notice())
    assert failed.value.retryable is True
    assert str(port) not in str(failed.value)


def test_only_an_http_url_and_a_secret_make_a_channel() -> None:
    with pytest.raises(ConfigurationError):
        WebhookChannel("file:///etc/passwd", SECRET)
    with pytest.raises(ConfigurationError):
        WebhookChannel("http://127.0.0.1:9/", "")

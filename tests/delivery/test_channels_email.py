"""The e-mail channel against a real local SMTP server (aiosmtpd): the message an urging
notice becomes, with its formal document attached, login, STARTTLS, and how SMTP answers map
to retrying or not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from activities.channels.base import ChannelError
from activities.channels.email import EmailChannel
from activities.notice_documents import formal_document
from models.delivery import Attachment, OutgoingNotice
from tests.delivery.channel_servers import (
    MailStore,
    password_checker,
    refusing_port,
    self_signed_certificate,
    server_tls_context,
    silent_port,
    smtp_server,
)

CASE_NO = "GY20261128-000456"
KEY = "fedcba9876543210fedcba9876543210"
SENDER = "notices@12345.guiyang.example"
LIAISON = "liaison@water.guiyang.example"
SUBJECT = f"催办通知书：工单{CASE_NO}办理已超期"
TEXT = f"贵单位承办的12345工单{CASE_NO}，办理时限为2026年11月30日 18:00，现已超期2天。"


def _notice(*attachments: Attachment, to: str = LIAISON) -> OutgoingNotice:
    return OutgoingNotice(
        notice_id=21,
        key=KEY,
        case_no=CASE_NO,
        template="urging_notice",
        recipient="D-WATER",
        to=to,
        subject=SUBJECT,
        text=TEXT,
        attachments=list(attachments),
    )


def _document() -> Attachment:
    issued = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    document = formal_document("urging_notice", CASE_NO, "市水务局", SUBJECT, TEXT, issued)
    assert document is not None
    return document


def _channel(
    port: int,
    *,
    username: str | None = None,
    password: str | None = None,
    starttls: bool = False,
    to: str | None = None,
    timeout_s: float = 5.0,
    ca_file: str | None = None,
) -> EmailChannel:
    return EmailChannel(
        "127.0.0.1",
        port,
        username,
        password,
        starttls,
        SENDER,
        to,
        timeout_s=timeout_s,
        ca_file=ca_file,
    )


def test_an_urging_notice_arrives_with_its_document_and_its_idempotency_headers() -> None:
    store = MailStore()
    document = _document()
    with smtp_server(store) as port:
        receipt = _channel(port).send(_notice(document))
    assert receipt.provider_id == f"<{KEY}@hotline12345>"
    (envelope,) = store.envelopes
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == [LIAISON]
    (message,) = store.messages()
    assert message["Subject"] == SUBJECT
    assert message["Message-ID"] == f"<{KEY}@hotline12345>"
    assert message["X-Hotline-Notice-Id"] == KEY
    assert message["To"] == LIAISON
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().strip() == TEXT
    (attached,) = list(message.iter_attachments())
    assert attached.get_filename() == f"催办通知书-{CASE_NO}.html"
    assert attached.get_content_type() == "text/html"
    assert attached.get_param("charset") == "utf-8"
    assert attached.get_payload(decode=True) == document.content


def test_the_configured_address_is_used_when_the_notice_names_none() -> None:
    store = MailStore()
    with smtp_server(store) as port:
        channel = _channel(port, to="a@dept.example, b@dept.example")
        channel.send(_notice(to="D-WATER"))
    (envelope,) = store.envelopes
    assert envelope.rcpt_tos == ["a@dept.example", "b@dept.example"]
    with pytest.raises(ChannelError) as nowhere:
        _channel(1).send(_notice(to="D-WATER"))
    assert nowhere.value.retryable is False


def test_login_when_a_username_is_set() -> None:
    store = MailStore()
    options = dict(authenticator=password_checker("hotline", "s3cret"), auth_require_tls=False)
    with smtp_server(store, **options) as port:
        _channel(port, username="hotline", password="s3cret").send(_notice())
        with pytest.raises(ChannelError) as refused:
            _channel(port, username="hotline", password="wrong").send(_notice())
    assert len(store.envelopes) == 1
    assert refused.value.retryable is False
    assert "535" in str(refused.value)


def test_starttls_when_asked(tmp_path: Path) -> None:
    cert_file, key_file = self_signed_certificate(tmp_path)
    store = MailStore()
    options = dict(tls_context=server_tls_context(cert_file, key_file), require_starttls=True)
    with smtp_server(store, **options) as port:
        _channel(port, starttls=True, ca_file=str(cert_file)).send(_notice())
        with pytest.raises(ChannelError) as untrusted:
            _channel(port, starttls=True).send(_notice())  # the system CAs do not know it
        with pytest.raises(ChannelError) as plain:
            _channel(port).send(_notice())  # the server insists on STARTTLS
    assert len(store.envelopes) == 1
    assert store.envelopes[0].rcpt_tos == [LIAISON]
    assert untrusted.value.retryable is False
    assert plain.value.retryable is False


@pytest.mark.parametrize(
    ("refusal", "retryable"),
    [
        (dict(refuse_rcpt="450 4.2.1 mailbox busy"), True),
        (dict(refuse_rcpt="550 5.1.1 no such user"), False),
        (dict(refuse_data="451 4.3.0 try again later"), True),
        (dict(refuse_data="554 5.7.1 rejected"), False),
    ],
)
def test_smtp_4xx_is_retryable_and_5xx_is_not(refusal: dict[str, str], retryable: bool) -> None:
    store = MailStore()
    for name, line in refusal.items():
        setattr(store, name, line)
    with smtp_server(store) as port, pytest.raises(ChannelError) as refused:
        _channel(port).send(_notice())
    assert refused.value.retryable is retryable
    assert next(iter(refusal.values()))[:3] in str(refused.value)
    assert LIAISON not in str(refused.value)
    assert store.envelopes == []


def test_an_unreachable_or_silent_server_is_retryable() -> None:
    with refusing_port() as port, pytest.raises(ChannelError) as refused:
        _channel(port).send(_notice())
    assert refused.value.retryable is True
    with silent_port() as port, pytest.raises(ChannelError) as silent:
        _channel(port, timeout_s=0.3).send(_notice())
    assert silent.value.retryable is True

"""The e-mail channel: a department notice over SMTP, its formal document attached.

One UTF-8 MIME message per notice: the Chinese subject, the text as the plain body, every
`notice.attachments` attached (the printable 催办通知书/督办通知书), `Message-ID:
<key@hotline12345>` and `X-Hotline-Notice-Id: <key>` from the notice's idempotency key, so the
receiving side (a mail filter, a ticketing system) can drop a repeat. STARTTLS when asked (the
server's certificate is verified against the system's CAs, or `ca_file` for a centre's own CA),
login when a username is set.

The message goes to `notice.to` when it holds an address (the department's liaison, resolved
by the delivery), else to the channel's configured `to` (comma-separated for several).
An SMTP 4xx answer, a timeout or a lost connection may pass on a later attempt; a 5xx answer
(a refused login, sender or recipient) will not. The error names the SMTP code only.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Final

from activities.channels.base import ChannelError
from models.delivery import Attachment, ChannelKind, OutgoingNotice, SendReceipt
from models.errors import ConfigurationError
from models.timestamps import BEIJING

MESSAGE_ID_DOMAIN: Final = "hotline12345"
NOTICE_ID_HEADER: Final = "X-Hotline-Notice-Id"
SENDER_NAME: Final = "贵阳市12345政务服务便民热线"
DEFAULT_TIMEOUT_S: Final = 30.0


def message_id(key: str) -> str:
    return f"<{key}@{MESSAGE_ID_DOMAIN}>"


def _addresses(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def build_message(notice: OutgoingNotice, sender: str, to: list[str], at: datetime) -> EmailMessage:
    """The MIME message for `notice`, dated `at` (shown in Beijing time)."""
    message = EmailMessage()
    message["Subject"] = notice.subject
    message["From"] = formataddr((SENDER_NAME, sender))
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(at.astimezone(BEIJING))
    message["Message-ID"] = message_id(notice.key)
    message[NOTICE_ID_HEADER] = notice.key
    message.set_content(notice.text, charset="utf-8")
    for attachment in notice.attachments:
        _attach(message, attachment)
    return message


def _attach(message: EmailMessage, attachment: Attachment) -> None:
    """Attach as the attachment's content type says, its parameters (a charset) kept."""
    kind, *params = (part.strip() for part in attachment.content_type.split(";"))
    maintype, _, subtype = kind.partition("/")
    message.add_attachment(
        attachment.content,
        maintype=maintype or "application",
        subtype=subtype or "octet-stream",
        filename=attachment.filename,
    )
    *_, part = message.iter_attachments()
    for param in params:
        name, _, value = param.partition("=")
        if name and value:
            part.set_param(name.strip().lower(), value.strip().strip('"'))


def _smtp_error(err: smtplib.SMTPException | OSError) -> ChannelError:
    if isinstance(err, smtplib.SMTPResponseException):
        code = err.smtp_code
        return ChannelError(f"smtp answered {code}", retryable=400 <= code < 500)
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in err.recipients.values()})
        retryable = all(400 <= code < 500 for code in codes)
        shown = ",".join(str(code) for code in codes)
        return ChannelError(f"smtp refused the recipients ({shown})", retryable=retryable)
    if isinstance(err, smtplib.SMTPNotSupportedError):
        return ChannelError("smtp server does not offer STARTTLS or login", retryable=False)
    if isinstance(err, ssl.SSLCertVerificationError):
        return ChannelError("smtp server certificate not trusted", retryable=False)
    if isinstance(err, TimeoutError):
        return ChannelError("smtp timed out", retryable=True)
    return ChannelError(f"smtp connection failed ({type(err).__name__})", retryable=True)


class EmailChannel:
    """Sends each notice as one e-mail through one SMTP server."""

    kind = ChannelKind.EMAIL

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None,
        password: str | None,
        starttls: bool,
        sender: str,
        to: str | None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        ca_file: str | None = None,
    ) -> None:
        if not host or not sender:
            raise ConfigurationError("the e-mail channel needs an SMTP host and a sender address")
        self._host = host
        self._port = port
        self._username = username or None
        self._password = password or ""
        self._starttls = starttls
        self._sender = sender
        self._to = _addresses(to or "")
        self._timeout_s = timeout_s
        self._ca_file = ca_file or None

    def recipients(self, notice: OutgoingNotice) -> list[str]:
        own = _addresses(notice.to) if "@" in notice.to else []
        found = own or self._to
        if not found:
            raise ChannelError("no e-mail address for this recipient", retryable=False)
        return found

    def send(self, notice: OutgoingNotice) -> SendReceipt:
        to = self.recipients(notice)
        message = build_message(notice, self._sender, to, datetime.now(UTC))
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout_s) as smtp:
                smtp.ehlo()
                if self._starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=self._ca_file))
                    smtp.ehlo()
                if self._username is not None:
                    smtp.login(self._username, self._password)
                smtp.send_message(message, from_addr=self._sender, to_addrs=to)
        except (smtplib.SMTPException, OSError) as err:
            raise _smtp_error(err) from None
        return SendReceipt(provider_id=message_id(notice.key))

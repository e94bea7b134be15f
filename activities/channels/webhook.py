"""The webhook channel: a department notice POSTed as signed JSON to the department's own system.

The body is `{"id", "case_no", "template", "recipient", "subject", "text", "sent_at"}` (`id` is
the notice's idempotency key, the same on every attempt: the receiver drops a repeat by it),
UTF-8 JSON. `X-Hotline-Timestamp` carries the unix time of the attempt and
`X-Hotline-Signature` the HMAC of `security.webhook_signature` over that time and the raw body.
A 2xx answer is success; 429, 408, 5xx, a timeout or a refused connection may pass on a later
attempt; any other answer (another 4xx, a redirect) will not. Redirects are not followed: a
signed notice goes only where it was configured to go.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urlsplit

from activities.channels.base import ChannelError
from models.delivery import ChannelKind, OutgoingNotice, SendReceipt
from models.errors import ConfigurationError
from security.webhook_signature import sign

TIMESTAMP_HEADER: Final = "X-Hotline-Timestamp"
SIGNATURE_HEADER: Final = "X-Hotline-Signature"
DEFAULT_TIMEOUT_S: Final = 10.0
_RETRYABLE_4XX: Final = frozenset({408, 429})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER: Final = urllib.request.build_opener(_NoRedirect)


def webhook_body(notice: OutgoingNotice, sent_at: datetime) -> bytes:
    """The JSON the receiver gets (never the channel address `notice.to`)."""
    payload = {
        "id": notice.key,
        "case_no": notice.case_no,
        "template": notice.template,
        "recipient": notice.recipient,
        "subject": notice.subject,
        "text": notice.text,
        "sent_at": sent_at.astimezone(UTC).isoformat(timespec="seconds"),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def status_error(status: int) -> ChannelError:
    """The failure a non-2xx HTTP status means for a JSON-over-HTTP channel."""
    retryable = status >= 500 or status in _RETRYABLE_4XX
    return ChannelError(f"webhook answered HTTP {status}", retryable=retryable)


def transport_error(channel: str, err: OSError) -> ChannelError:
    """A timeout or a connection that failed: worth another attempt. The message names the
    kind of failure only (never the host, the address or the body)."""
    reason = getattr(err, "reason", err)
    if isinstance(reason, TimeoutError):
        return ChannelError(f"{channel} timed out", retryable=True)
    return ChannelError(f"{channel} unreachable ({type(reason).__name__})", retryable=True)


class WebhookChannel:
    """POSTs each notice to one URL, signed with one shared secret."""

    kind = ChannelKind.WEBHOOK

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ConfigurationError("the webhook URL must be an http:// or https:// URL")
        if not secret:
            raise ConfigurationError("the webhook secret must not be empty")
        self._url = url
        self._secret = secret
        self._timeout_s = timeout_s
        self._clock = clock

    def send(self, notice: OutgoingNotice) -> SendReceipt:
        sent_at = self._clock()
        timestamp = int(sent_at.timestamp())
        body = webhook_body(notice, sent_at)
        request = urllib.request.Request(
            self._url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": notice.key,
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: sign(self._secret, timestamp, body),
            },
        )
        try:
            with _OPENER.open(request, timeout=self._timeout_s) as response:
                status = response.status
        except urllib.error.HTTPError as err:
            err.close()
            raise status_error(err.code) from None
        except (urllib.error.URLError, OSError) as err:
            raise transport_error("webhook", err) from None
        if not 200 <= status < 300:
            raise status_error(status)
        return SendReceipt()

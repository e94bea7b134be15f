"""The centre's own HTTP SMS gateway: one POST of JSON per SMS.

The body is `{"id": <idempotency key>, "to": <phone>, "text": <signed text>}` (UTF-8 JSON;
`id` is the same on every attempt of a notice, so the gateway drops a repeat by it). Every
request carries `X-Hotline-Timestamp` (unix seconds) and, when a secret is configured,
`X-Hotline-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`
(`security.webhook_signature`). A 2xx answer is success (a JSON `{"message_id": …}` or
`{"id": …}` in it is kept as the provider's id, `"delivered": true` marks it delivered); 5xx,
429, 408, a timeout or a refused connection may pass later; any other answer will not. The
phone number goes only into the request body: no error message holds it, the host or the text.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from activities.channels.base import ChannelError
from models.delivery import ChannelKind, OutgoingNotice, SendReceipt
from security.webhook_signature import sign

TIMESTAMP_HEADER: Final = "X-Hotline-Timestamp"
SIGNATURE_HEADER: Final = "X-Hotline-Signature"
DEFAULT_TIMEOUT_S: Final = 10.0
_RETRYABLE_4XX: Final = frozenset({408, 429})
_MAX_ANSWER: Final = 64 * 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER: Final = urllib.request.build_opener(_NoRedirect)


def gateway_body(notice: OutgoingNotice) -> bytes:
    payload = {"id": notice.key, "to": notice.to, "text": notice.text}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def http_failure(status: int) -> ChannelError:
    retryable = status >= 500 or status in _RETRYABLE_4XX
    return ChannelError(f"SMS gateway answered HTTP {status}", retryable=retryable)


def receipt_of(raw: bytes) -> SendReceipt:
    """What a 2xx answer says: its message id and whether it reports delivery, if it is JSON."""
    try:
        answer = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):
        return SendReceipt()
    if not isinstance(answer, dict):
        return SendReceipt()
    provider_id = answer.get("message_id") or answer.get("id")
    return SendReceipt(
        provider_id=str(provider_id)[:128] if provider_id is not None else None,
        delivered=answer.get("delivered") is True,
    )


class SmsGateway:
    """POSTs each SMS to one gateway URL, HMAC-signed when a secret is given."""

    kind = ChannelKind.SMS_GATEWAY

    def __init__(
        self,
        url: str,
        secret: str | None = None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._url = url
        self._secret = secret or None
        self._timeout_s = timeout_s
        self._clock = clock

    def headers(self, body: bytes) -> dict[str, str]:
        timestamp = int(self._clock().timestamp())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: str(timestamp),
        }
        if self._secret:
            headers[SIGNATURE_HEADER] = sign(self._secret, timestamp, body)
        return headers

    def send(self, notice: OutgoingNotice) -> SendReceipt:
        body = gateway_body(notice)
        request = urllib.request.Request(
            self._url, data=body, method="POST", headers=self.headers(body)
        )
        try:
            with _OPENER.open(request, timeout=self._timeout_s) as response:
                status = response.status
                raw = response.read(_MAX_ANSWER)
        except urllib.error.HTTPError as err:
            err.close()
            raise http_failure(err.code) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            if isinstance(reason, TimeoutError):
                raise ChannelError("SMS gateway timed out", retryable=True) from None
            raise ChannelError(
                f"SMS gateway unreachable ({type(reason).__name__})", retryable=True
            ) from None
        if not 200 <= status < 300:
            raise http_failure(status)
        return receipt_of(raw)

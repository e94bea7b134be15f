"""The HMAC signature of a webhook: what our webhook channel sends, and what a receiver checks.

The sender puts the unix time in `X-Hotline-Timestamp` and
`sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>` in `X-Hotline-Signature`. A
receiver (a department's system, or our own inbound SMS endpoint) recomputes it over the raw
body bytes as received, compares in constant time, and refuses a timestamp more than
`tolerance_s` away from its own clock, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

SCHEME = "sha256="
DEFAULT_TOLERANCE_S = 300


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, timestamp: int, body: bytes) -> str:
    """The `X-Hotline-Signature` value for `body` sent at unix time `timestamp`."""
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return SCHEME + hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def _unix(now: datetime | float) -> float:
    return now.timestamp() if isinstance(now, datetime) else float(now)


def verify(
    secret: str | bytes,
    timestamp: int | str,
    body: bytes,
    signature: str,
    now: datetime | float,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> bool:
    """True if `signature` is ours for `body` at `timestamp`, and `timestamp` is within
    `tolerance_s` seconds of `now` (an aware datetime or unix seconds) either way."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(_unix(now) - sent_at) > tolerance_s:
        return False
    expected = sign(secret, sent_at, body)
    return hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("utf-8"))

"""The one interface every channel implements, and the two ways a send can fail.

A channel's `send` is synchronous (it runs in an activity thread) and either returns a
`SendReceipt` or raises `ChannelError`: `retryable=True` for what may pass on a later attempt
(timeouts, 5xx, 429, a refused connection), `False` for what never will (4xx, a bad address,
a rejected signature). The error message is the channel's status line: it never holds the
phone number, the address or the text.
"""

from __future__ import annotations

from typing import Protocol

from models.delivery import ChannelKind, OutgoingNotice, SendReceipt
from models.errors import HotlineError


class ChannelError(HotlineError):
    """A send that did not succeed; `retryable` says whether another attempt may."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Channel(Protocol):
    kind: ChannelKind

    def send(self, notice: OutgoingNotice) -> SendReceipt:
        """Send one notice (its `key` travels with it as the idempotency key)."""
        ...

"""Notice delivery as data: the states of an outbox row, one message on its way to a channel,
and what a channel answers.

The outbox (`notifications`) holds every rendered notice; the delivery process takes each row
to the channel its recipient is configured for and records every attempt. These types are what
the workflow, the activities, the channels and the API/CLI/console surfaces share.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class NoticeStatus(StrEnum):
    """Where one outbox row stands. `sent` and `delivered` are final successes; `dead` and
    `suppressed` are final without sending."""

    PENDING = "pending"  # written, not yet taken by a delivery
    HELD = "held"  # waiting for `held_until` (quiet hours, the daily cap)
    SENDING = "sending"  # an attempt is under way, or failed and will be retried
    SENT = "sent"  # the channel accepted it (2xx, SMTP 250)
    DELIVERED = "delivered"  # the channel reported it reached the person
    DEAD = "dead"  # every attempt failed: dead-lettered, for a person to look at
    SUPPRESSED = "suppressed"  # not sent by rule: the number opted out (退订)


FINAL_STATUSES: frozenset[NoticeStatus] = frozenset(
    {NoticeStatus.SENT, NoticeStatus.DELIVERED, NoticeStatus.DEAD, NoticeStatus.SUPPRESSED}
)


class ChannelKind(StrEnum):
    SMS_GATEWAY = "sms_gateway"  # the centre's own HTTP SMS gateway
    ALIYUN_SMS = "aliyun_sms"  # Alibaba Cloud SMS (dysmsapi SendSms)
    EMAIL = "email"  # SMTP, with the formal notice attached
    WEBHOOK = "webhook"  # a department's own system, HMAC-signed JSON
    FILE = "file"  # the default: a local file of what would be sent


class Attachment(BaseModel):
    filename: str
    content_type: str
    content: bytes


class OutgoingNotice(BaseModel):
    """One outbox row on its way: `key` is the idempotency key the receiving side can drop a
    repeat by (the same on every attempt of the row); `to` is the channel's address (a phone
    number only toward an SMS channel)."""

    notice_id: int
    key: str = Field(min_length=1, max_length=64)
    case_no: str
    template: str
    recipient: str  # department id, "centre" or "citizen": never the phone number
    to: str = Field(repr=False)  # phone, e-mail address, URL: never logged
    subject: str
    text: str
    urgent: bool = False
    attachments: list[Attachment] = Field(default_factory=list)


class SendReceipt(BaseModel):
    """A channel's answer to a successful send: its own message id, if it gave one."""

    provider_id: str | None = None
    delivered: bool = False  # the channel reports delivery itself, not only acceptance


class NoticeAttempt(BaseModel):
    """One recorded attempt of a row (no personal data: the error is the channel's status)."""

    attempt: int
    channel: ChannelKind
    started_at: datetime
    finished_at: datetime | None = None
    ok: bool | None = None
    detail: str = ""


class NoticeDelivery(BaseModel):
    """A row's delivery as the API, the CLI and the console show it (phone masked)."""

    notice_id: int
    case_no: str
    template: str
    recipient: str
    channel: ChannelKind | None
    status: NoticeStatus
    attempts: int
    held_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None


class DeliveryCounts(BaseModel):
    """What supervisors watch: rows not yet sent and rows dead-lettered."""

    pending: int
    held: int
    dead: int

"""The activities of notice delivery: decide what an outbox row does next, send it, dead-letter it.

- `plan_notice` (at the workflow's time, so held notices follow virtual time in tests): a row
  already final is done; a citizen SMS older than the maximum age is dead-lettered (too old to
  text a citizen), one to an opted-out number (退订, `sms_opt_outs`) is suppressed, one in the
  quiet hours is held until 08:00 Beijing unless the case is urgent, one over the number's daily
  cap is held until 08:00 the next day; otherwise the row is claimed for sending (`sending`).
  The cap's count and the claim happen under one lock (the row's write lock, and on PostgreSQL
  an advisory lock of the number), so concurrent deliveries to one number never pass it.
- `send_notice`: a row already `sent`/`delivered` returns at once (never sent twice by us once
  its success is recorded); otherwise the attempt is recorded first (`notice_attempts`, the
  row's `attempts`), then the notice goes to its channel with the row's idempotency key, then
  the result is recorded (`sent`, `delivered`, or the channel's status line in `last_error`).
  A worker that dies between the send and the record leaves the row `sending`: Temporal retries
  the activity, which sends again with the same key, and the receiver drops the repeat.
- `dead_letter`: every attempt failed (or the channel refused for good): status `dead`.

No log line or failure message holds a phone number, an address or a notice's text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels.base import ChannelError
from activities.channels.registry import CITIZEN_ROUTE, ChannelRegistry, Destination
from activities.failures import describe, guard_worker_logs, safe_activity
from activities.notice_documents import formal_document
from db.engine import SessionFactory
from db.tables import DepartmentRow, NoticeAttemptRow, NotificationRow, SmsOptOutRow
from models.delivery import ChannelKind, NoticeStatus, OutgoingNotice, SendReceipt
from rules.notice_rules import (
    beijing_day,
    day_bounds,
    next_morning,
    notice_key,
    phone_hash,
    quiet_until,
    signed,
)
from settings.notices import NoticeSettings

log = logging.getLogger(__name__)

CHANNEL_REFUSED = "ChannelRefused"
"""The failure type of a send the channel refused for good (not retried)."""
CHANNEL_FAILED = "ChannelFailed"
"""The failure type of a send that may pass on a later attempt."""
CENTRE = "centre"
CENTRE_NAME = "贵阳市12345政务服务便民热线"
CITIZEN = "citizen"
DONE_STATUSES = frozenset({NoticeStatus.SENT, NoticeStatus.DELIVERED})
FINAL = frozenset(
    {NoticeStatus.SENT, NoticeStatus.DELIVERED, NoticeStatus.DEAD, NoticeStatus.SUPPRESSED}
)
DETAIL_LIMIT = 500


class DeliveryOptions(BaseModel):
    """How one row's delivery is retried, fixed in its workflow's history at the start."""

    max_attempts: int = Field(default=8, ge=1)
    retry_initial_s: float = Field(default=5.0, gt=0)
    retry_max_s: float = Field(default=600.0, gt=0)
    send_timeout_s: float = Field(default=60.0, gt=0)
    max_age_s: float = Field(default=72 * 3600.0, gt=0)

    @classmethod
    def of(cls, settings: NoticeSettings) -> DeliveryOptions:
        return cls(
            max_attempts=settings.max_attempts,
            retry_initial_s=settings.retry_initial.total_seconds(),
            retry_max_s=settings.retry_max.total_seconds(),
            send_timeout_s=settings.send_timeout.total_seconds(),
            max_age_s=settings.max_age.total_seconds(),
        )


class DeliveryRequest(BaseModel):
    """The input of one row's delivery workflow."""

    notice_id: int
    options: DeliveryOptions = Field(default_factory=DeliveryOptions)


class PlanRequest(BaseModel):
    notice_id: int
    now: datetime  # the workflow's time
    max_age_s: float


class PlanStep(StrEnum):
    SEND = "send"  # claimed: send it now
    HOLD = "hold"  # wait until `until`, then plan again
    DONE = "done"  # final: nothing to send


class NoticePlan(BaseModel):
    step: PlanStep
    status: NoticeStatus
    until: datetime | None = None
    reason: str = ""


class DeadLetterRequest(BaseModel):
    notice_id: int
    reason: str


def delivery_workflow_id(notice_id: int) -> str:
    return f"notice-{notice_id}"


def pending_notices(
    sessions: SessionFactory,
    limit: int,
    after: int = 0,
    stale_before: datetime | None = None,
) -> list[int]:
    """Ids of rows waiting for a delivery, oldest first, after id `after`: `pending` ones, and
    (with `stale_before`) `held` ones whose hold ended before it (their delivery was lost with
    a Temporal server that lost its state; a running one is never doubled by its start)."""
    waiting = NotificationRow.status == NoticeStatus.PENDING.value
    if stale_before is not None:
        waiting = or_(
            waiting,
            and_(
                NotificationRow.status == NoticeStatus.HELD.value,
                NotificationRow.held_until < stale_before,
            ),
        )
    with sessions() as session:
        return list(
            session.scalars(
                select(NotificationRow.id)
                .where(waiting, NotificationRow.id > after)
                .order_by(NotificationRow.id)
                .limit(limit)
            )
        )


def _lock(session: Session, row_id: int) -> NotificationRow | None:
    """The row, write-locked for this transaction (a no-op UPDATE: the row's lock on
    PostgreSQL, the database's write lock on SQLite), read after the lock."""
    session.execute(
        update(NotificationRow)
        .where(NotificationRow.id == row_id)
        .values(attempts=NotificationRow.attempts)
    )
    return session.scalars(
        select(NotificationRow)
        .where(NotificationRow.id == row_id)
        .execution_options(populate_existing=True)
    ).one_or_none()


def _lock_number(session: Session, phone: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(func.pg_advisory_xact_lock(func.hashtext(f"sms-cap:{phone_hash(phone)}")))
        )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def sent_today(session: Session, row: NotificationRow, now: datetime) -> int:
    """SMS to the row's number counted against today's cap: sent this Beijing day, or claimed
    and under way (the row itself not counted)."""
    start, end = day_bounds(beijing_day(now))
    return int(
        session.scalar(
            select(func.count())
            .select_from(NotificationRow)
            .where(
                NotificationRow.channel == CITIZEN_ROUTE,
                NotificationRow.recipient == row.recipient,
                NotificationRow.id != row.id,
                or_(
                    NotificationRow.status == NoticeStatus.SENDING.value,
                    and_(
                        NotificationRow.status.in_(
                            [NoticeStatus.SENT.value, NoticeStatus.DELIVERED.value]
                        ),
                        NotificationRow.sent_at >= start,
                        NotificationRow.sent_at < end,
                    ),
                ),
            )
        )
        or 0
    )


def plan(sessions: SessionFactory, request: PlanRequest, daily_cap: int) -> NoticePlan:
    """What the row does next at the workflow's time `request.now` (module docstring)."""
    now = request.now
    with sessions.begin() as session:
        row = _lock(session, request.notice_id)
        if row is None:
            return NoticePlan(step=PlanStep.DONE, status=NoticeStatus.DEAD, reason="missing")
        status = NoticeStatus(row.status)
        if status in FINAL:
            return NoticePlan(step=PlanStep.DONE, status=status, reason="final")
        if status is NoticeStatus.SENDING:
            return NoticePlan(step=PlanStep.SEND, status=status, reason="under way")
        if row.channel == CITIZEN_ROUTE:
            held = _citizen_rules(session, row, now, request.max_age_s, daily_cap)
            if held is not None:
                return held
        row.status = NoticeStatus.SENDING.value
        row.held_until = None
        return NoticePlan(step=PlanStep.SEND, status=NoticeStatus.SENDING)


def _citizen_rules(
    session: Session, row: NotificationRow, now: datetime, max_age_s: float, cap: int
) -> NoticePlan | None:
    """The plan of a citizen SMS that is not sent now (dead, suppressed, held), else None."""
    if now - _aware(row.created_at) > timedelta(seconds=max_age_s):
        row.status = NoticeStatus.DEAD.value
        row.last_error = f"too old to text a citizen (older than {max_age_s / 3600:g} h)"
        row.held_until = None
        return NoticePlan(step=PlanStep.DONE, status=NoticeStatus.DEAD, reason="too old")
    if session.get(SmsOptOutRow, phone_hash(row.recipient)) is not None:
        row.status = NoticeStatus.SUPPRESSED.value
        row.held_until = None
        return NoticePlan(step=PlanStep.DONE, status=NoticeStatus.SUPPRESSED, reason="opted out")
    until = quiet_until(now, row.urgent)
    reason = "quiet hours"
    if until is None:
        _lock_number(session, row.recipient)
        if sent_today(session, row, now) >= cap:
            until, reason = next_morning(now), "daily cap"
    if until is None:
        return None
    row.status = NoticeStatus.HELD.value
    row.held_until = until
    return NoticePlan(step=PlanStep.HOLD, status=NoticeStatus.HELD, until=until, reason=reason)


def _recipient_name(session: Session, recipient: str) -> str:
    if recipient == CENTRE:
        return CENTRE_NAME
    name = session.scalar(select(DepartmentRow.name).where(DepartmentRow.id == recipient))
    return name or recipient


def outgoing(
    session: Session, row: NotificationRow, destination: Destination, signature: str
) -> OutgoingNotice:
    """The row as its channel gets it: an SMS signed, an e-mail with its formal document."""
    citizen = row.channel == CITIZEN_ROUTE
    text = signed(f"{row.subject}\n{row.body}", signature) if destination.sms else row.body
    attachments = []
    if destination.kind is ChannelKind.EMAIL:
        document = formal_document(
            row.template,
            row.case_no,
            _recipient_name(session, row.recipient),
            row.subject,
            row.body,
            _aware(row.created_at),
        )
        if document is not None:
            attachments.append(document)
    return OutgoingNotice(
        notice_id=row.id,
        key=notice_key(row.case_no, row.event_key),
        case_no=row.case_no,
        template=row.template,
        recipient=CITIZEN if citizen else row.recipient,
        to=destination.to,
        subject=row.subject,
        text=text,
        urgent=row.urgent,
        attachments=attachments,
    )


class Sender:
    """Sends one row through its channel, recording the attempt before and its result after."""

    def __init__(
        self,
        sessions: SessionFactory,
        registry: ChannelRegistry,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions
        self._registry = registry
        self._clock = clock

    def send(self, notice_id: int) -> NoticeStatus:
        started = self._begin(notice_id)
        if isinstance(started, NoticeStatus):
            return started
        notice, destination, attempt = started
        kind = destination.kind.value
        log.info(
            "notice %d of case %s (%s) attempt %d by %s: sending",
            notice_id, notice.case_no, notice.template, attempt, kind,
        )  # fmt: skip
        try:
            receipt = destination.channel.send(notice)
        except ChannelError as err:
            self._failed(notice_id, attempt, str(err))
            log.info(
                "notice %d of case %s (%s) attempt %d by %s failed: %s",
                notice_id, notice.case_no, notice.template, attempt, kind, err,
            )  # fmt: skip
            raise ApplicationError(
                str(err),
                type=CHANNEL_FAILED if err.retryable else CHANNEL_REFUSED,
                non_retryable=not err.retryable,
            ) from None
        except Exception as err:  # a channel's bug: said without its text, and retried
            self._failed(notice_id, attempt, describe(err))
            raise
        status = self._succeeded(notice_id, attempt, receipt)
        log.info(
            "notice %d of case %s (%s) attempt %d by %s: %s",
            notice_id, notice.case_no, notice.template, attempt, kind, status.value,
        )  # fmt: skip
        return status

    def _begin(self, notice_id: int) -> NoticeStatus | tuple[OutgoingNotice, Destination, int]:
        """Record the attempt's start; the row's final status instead if it has one."""
        now = self._clock()
        with self._sessions.begin() as session:
            row = _lock(session, notice_id)
            if row is None:
                return NoticeStatus.DEAD
            status = NoticeStatus(row.status)
            if status in FINAL:
                return status  # sent already (never twice), or dead-lettered or suppressed
            destination = self._registry.destination(row.channel, row.recipient)
            notice = outgoing(session, row, destination, self._registry.settings.signature)
            attempt = row.attempts + 1
            row.attempts = attempt
            row.status = NoticeStatus.SENDING.value
            row.channel_kind = destination.kind.value
            row.held_until = None
            session.add(
                NoticeAttemptRow(
                    notification_id=row.id,
                    attempt=attempt,
                    channel_kind=destination.kind.value,
                    started_at=now,
                )
            )
        return notice, destination, attempt

    def _failed(self, notice_id: int, attempt: int, detail: str) -> None:
        detail = detail[:DETAIL_LIMIT]
        with self._sessions.begin() as session:
            _record_attempt(session, notice_id, attempt, self._clock(), ok=False, detail=detail)
            session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.id == notice_id,
                    NotificationRow.status == NoticeStatus.SENDING.value,
                )
                .values(last_error=detail)
            )

    def _succeeded(self, notice_id: int, attempt: int, receipt: SendReceipt) -> NoticeStatus:
        now = self._clock()
        status = NoticeStatus.DELIVERED if receipt.delivered else NoticeStatus.SENT
        detail = f"accepted ({receipt.provider_id})" if receipt.provider_id else "accepted"
        with self._sessions.begin() as session:
            _record_attempt(session, notice_id, attempt, now, ok=True, detail=detail[:DETAIL_LIMIT])
            session.execute(
                update(NotificationRow)
                .where(NotificationRow.id == notice_id)
                .values(
                    status=status.value,
                    sent_at=now,
                    delivered_at=now if receipt.delivered else None,
                    last_error=None,
                    held_until=None,
                )
            )
        return status


def _record_attempt(
    session: Session, notice_id: int, attempt: int, at: datetime, *, ok: bool, detail: str
) -> None:
    session.execute(
        update(NoticeAttemptRow)
        .where(NoticeAttemptRow.notification_id == notice_id, NoticeAttemptRow.attempt == attempt)
        .values(finished_at=at, ok=ok, detail=detail)
    )


def dead_letter(sessions: SessionFactory, request: DeadLetterRequest) -> NoticeStatus:
    """Mark the row `dead` (a success or a suppression already recorded stays)."""
    with sessions.begin() as session:
        row = _lock(session, request.notice_id)
        if row is None:
            return NoticeStatus.DEAD
        status = NoticeStatus(row.status)
        if status in FINAL:
            return status
        row.status = NoticeStatus.DEAD.value
        row.held_until = None
        row.last_error = row.last_error or request.reason[:DETAIL_LIMIT]
    log.warning("notice %d of case %s (%s) is dead-lettered", row.id, row.case_no, row.template)
    return NoticeStatus.DEAD


class DeliveryActivities:
    """The delivery activities over one database and one set of channels."""

    def __init__(self, sessions: SessionFactory, settings: NoticeSettings) -> None:
        self._sessions = sessions
        self._settings = settings
        self._sender = Sender(sessions, ChannelRegistry(settings))
        guard_worker_logs()

    @activity.defn(name="plan_notice")
    @safe_activity
    def plan_notice(self, request: PlanRequest) -> NoticePlan:
        decided = plan(self._sessions, request, self._settings.daily_cap)
        if decided.step is not PlanStep.SEND or decided.reason:
            log.info("notice %d: %s (%s)", request.notice_id, decided.status.value, decided.reason)
        return decided

    @activity.defn(name="send_notice")
    def send_notice(self, notice_id: int) -> NoticeStatus:
        try:
            return self._sender.send(notice_id)
        except ApplicationError:
            raise
        except Exception as err:  # the database, a channel's bug: retried, said safely
            raise ApplicationError(
                f"send_notice failed: {describe(err)}; retrying", type=type(err).__name__
            ) from None

    @activity.defn(name="dead_letter_notice")
    @safe_activity
    def dead_letter_notice(self, request: DeadLetterRequest) -> NoticeStatus:
        return dead_letter(self._sessions, request)

    def all(self) -> Sequence[Callable[..., Any]]:
        return [self.plan_notice, self.send_notice, self.dead_letter_notice]

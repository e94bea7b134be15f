"""What the API, the CLI and the console show of notice delivery, and the one act on it.

- `case_notices`: a case's outbox rows as a reader may see them. The centre's roles see every
  row, a department only the rows addressed to it, and a case the department does not hold is
  "no case", exactly as over `GET /cases/{no}`. The recipient shows as the department id,
  `centre` or `citizen`; the citizen's phone appears masked (`139****5678`), only to readers
  whose audience is the centre (`rules.disclosure`), and that reading goes to the access log.
- `delivery_counts`: what supervisors watch: rows waiting (pending or being sent), held, dead.
- `requeue`: a supervisor or administrator puts a dead-lettered row back to `pending`; the
  delivery process then takes it again. Any other status is refused. The act is logged with who
  did it, as the centre's other administrative acts are.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select, update

from db.engine import SessionFactory
from db.tables import CaseRow, NotificationRow
from models.delivery import ChannelKind, DeliveryCounts, NoticeDelivery, NoticeStatus
from models.errors import CaseNotFoundError, ConflictError, NotFoundError, RefusedError
from models.privacy import mask_phone
from rules.disclosure import Audience
from rules.permissions import Action, Principal, Role, allowed
from services.access_log import record_access
from services.case_access import may_see
from services.case_reading import reader_audience

logger = logging.getLogger(__name__)

CITIZEN = "citizen"
SMS_ROUTE = "sms"
PURPOSE = "notice delivery status"
WAITING: frozenset[str] = frozenset({NoticeStatus.PENDING, NoticeStatus.SENDING})


class CaseNotice(NoticeDelivery):
    """One row as shown: `route` is how the case addressed it ("sms" to the citizen,
    "internal" to a department or the centre); `phone` the citizen's number, masked, for the
    centre's readers only."""

    route: str
    phone: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None


class NoticeNotFoundError(NotFoundError, LookupError):
    """No outbox row with that id."""


class NoticeNotRetryableError(ConflictError):
    """Only a dead-lettered row can be put back; this one is elsewhere."""

    def __init__(self, notice_id: int, status: str) -> None:
        super().__init__(
            f"notice {notice_id} is {status}: only a dead-lettered (dead) notice can be retried"
        )
        self.status = status


class NoticeAccessRefusedError(RefusedError):
    """The reader's role may not do this with notices."""


def case_notices(
    sessions: SessionFactory, case_no: str, reader: Principal | None, purpose: str = PURPOSE
) -> list[CaseNotice]:
    """The case's notices, oldest first, as `reader` may see them; `reader` None is the
    centre's view without personal data (every row, no phone: the command line without --by).

    CaseNotFoundError for a case that does not exist or that a department does not hold;
    NoticeAccessRefusedError for a role that may not read notices.
    """
    if reader is not None and not allowed(reader.role, Action.READ_NOTICES):
        raise NoticeAccessRefusedError(f"role {reader.role} may not {Action.READ_NOTICES}")
    with sessions() as session:
        exists = session.scalar(select(CaseRow.case_no).where(CaseRow.case_no == case_no))
    if exists is None or (reader is not None and not may_see(sessions, reader, case_no)):
        raise CaseNotFoundError(f"no case {case_no}")
    query = select(NotificationRow).where(NotificationRow.case_no == case_no)
    if reader is not None and reader.role is Role.DEPARTMENT:
        query = query.where(NotificationRow.recipient == reader.department)
    with sessions() as session:
        rows = list(session.scalars(query.order_by(NotificationRow.id)))
    show_phone = reader is not None and reader_audience(reader) is Audience.CENTRE
    notices = [_notice(row, show_phone) for row in rows]
    if reader is not None and show_phone and any(notice.phone for notice in notices):
        record_access(sessions, reader, case_no, ["caller.phones"], purpose, "view", masked=True)
    return notices


def delivery_counts(sessions: SessionFactory) -> DeliveryCounts:
    """Rows waiting to go (pending or sending), held (quiet hours, the daily cap), dead."""
    with sessions() as session:
        rows = session.execute(
            select(NotificationRow.status, func.count())
            .where(
                NotificationRow.status.in_(
                    [*WAITING, NoticeStatus.HELD.value, NoticeStatus.DEAD.value]
                )
            )
            .group_by(NotificationRow.status)
        )
        counted: dict[str, int] = {status: count for status, count in rows}
    return DeliveryCounts(
        pending=sum(counted.get(status, 0) for status in WAITING),
        held=counted.get(NoticeStatus.HELD, 0),
        dead=counted.get(NoticeStatus.DEAD, 0),
    )


def requeue(sessions: SessionFactory, notice_id: int, by: Principal) -> CaseNotice:
    """Put the dead-lettered row `notice_id` back to `pending` for a new delivery run.

    NoticeNotFoundError if there is no such row, NoticeNotRetryableError if it is not dead,
    NoticeAccessRefusedError if `by` may not manage notices. Its attempts so far stay recorded;
    the row is returned as it is now (without the phone).
    """
    if not allowed(by.role, Action.MANAGE_NOTICES):
        raise NoticeAccessRefusedError(f"role {by.role} may not {Action.MANAGE_NOTICES}")
    with sessions.begin() as session:
        changed = session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == notice_id, NotificationRow.status == NoticeStatus.DEAD)
            .values(status=NoticeStatus.PENDING.value, held_until=None)
        )
        row = session.get(NotificationRow, notice_id)
        if row is None:
            raise NoticeNotFoundError(f"no notice {notice_id}")
        if not changed.rowcount:  # type: ignore[attr-defined]
            raise NoticeNotRetryableError(notice_id, row.status)
        notice = _notice(row, show_phone=False)
    logger.info(
        "notice %s of case %s (dead-lettered) put back to pending by %s",
        notice_id,
        notice.case_no,
        by.user_id,
    )
    return notice


def _notice(row: NotificationRow, show_phone: bool) -> CaseNotice:
    to_citizen = row.channel == SMS_ROUTE
    return CaseNotice(
        notice_id=row.id,
        case_no=row.case_no,
        template=row.template,
        recipient=CITIZEN if to_citizen else row.recipient,
        channel=_channel(row.channel_kind),
        status=NoticeStatus(row.status),
        attempts=row.attempts,
        held_until=row.held_until,
        sent_at=row.sent_at,
        last_error=row.last_error,
        route=row.channel,
        phone=mask_phone(row.recipient) if to_citizen and show_phone else None,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


def _channel(kind: str | None) -> ChannelKind | None:
    try:
        return ChannelKind(kind) if kind else None
    except ValueError:
        return None
